import { describe, expect, it } from 'vitest'
import { s, SchemaError } from '../../src-main/shared'

describe('parameter schemas', () => {
  const conn = s.object({
    name: s.string({ min: 1, max: 20 }),
    endpoints: s.array(s.string({ pattern: /^https?:\/\// }), { max: 3 }),
    port: s.optional(s.number({ int: true, min: 1, max: 65535 })),
    mode: s.enum(['ro', 'rw'] as const),
  })

  it('accepts a valid value and drops absent optionals', () => {
    expect(conn.parse({ name: 'prod', endpoints: ['https://a:2379'], mode: 'ro' })).toEqual({ name: 'prod', endpoints: ['https://a:2379'], mode: 'ro' })
  })

  it.each([
    [{ name: '', endpoints: [], mode: 'ro' }, 'name: must be at least 1 characters'],
    [{ name: 'x', endpoints: ['ftp://a'], mode: 'ro' }, 'endpoints[0]: does not match'],
    [{ name: 'x', endpoints: ['http://a', 'http://b', 'http://c', 'http://d'], mode: 'ro' }, 'endpoints: at most 3 items'],
    [{ name: 'x', endpoints: [], mode: 'ro', port: 1.5 }, 'port: expected an integer'],
    [{ name: 'x', endpoints: [], mode: 'wo' }, 'mode: expected one of ro, rw'],
    [{ name: 'x', endpoints: [], mode: 'ro', admin: true }, 'admin: unknown field'],
    [['x'], 'params: expected object, got array'],
  ])('rejects %j with a path to the problem', (value, message) => {
    expect(() => conn.parse(value)).toThrow(SchemaError)
    expect(() => conn.parse(value)).toThrow(message)
  })
})
