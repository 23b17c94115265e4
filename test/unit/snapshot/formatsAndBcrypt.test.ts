/**
 * Small pure pieces of the snapshot work: etcdctl's status table and size format, and the bcrypt
 * check that lets users restored from real etcd log in (OpenBSD's published test vector).
 */
import { describe, expect, it } from 'vitest'
import { humanBytes, statusJson, statusTable } from '../../../src-main/cli/snapshot'
import { bcryptVerify, isBcryptHash } from '../../../src-main/member/auth/bcrypt'

describe('snapshot status output', () => {
  it('prints sizes as go-humanize does', () => {
    expect([0, 9, 10, 999, 1000, 12288, 99_999, 104_857_600, 1_500_000_000].map(humanBytes)).toEqual(['0 B', '9 B', '10 B', '999 B', '1.0 kB', '12 kB', '100 kB', '105 MB', '1.5 GB'])
  })

  it('prints the table and JSON as etcdctl 3.4 does', () => {
    const st = { hash: 0x9f2480ac, revision: 6, totalKey: 13, totalSize: 12288 }
    expect(statusTable(st)).toBe(
      [
        '+----------+----------+------------+------------+',
        '|   HASH   | REVISION | TOTAL KEYS | TOTAL SIZE |',
        '+----------+----------+------------+------------+',
        '| 9f2480ac |        6 |         13 |      12 kB |',
        '+----------+----------+------------+------------+',
      ].join('\n'),
    )
    expect(statusJson(st)).toBe('{"hash":2669969580,"revision":6,"totalKey":13,"totalSize":12288}')
  })
})

describe('bcrypt verification', () => {
  const vector = '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW'
  it('accepts the right password and nothing else', () => {
    expect(isBcryptHash(vector)).toBe(true)
    expect(bcryptVerify(vector, 'U*U')).toBe(true)
    expect(bcryptVerify(vector, 'U*V')).toBe(false)
    expect(bcryptVerify(vector.replace('$2a$', '$2b$'), 'U*U')).toBe(true)
    expect(isBcryptHash('scrypt$00$11')).toBe(false)
    expect(bcryptVerify('$2a$05$short', 'U*U')).toBe(false)
  })
})
