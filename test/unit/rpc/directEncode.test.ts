/**
 * Encoding without protobufjs's fromObject pass (src-main/etcdpb/load.ts `encodesDirectly`, and
 * the proposer's `encodeShaped` for puts and deletes) must give the very bytes the fromObject path
 * gives, for every message in the shapes decoding produces. Random messages of every such type are
 * built from the type's own fields, encoded both ways and compared.
 */
import fc from 'fast-check'
import protobuf from 'protobufjs'
import { describe, expect, it, vi } from 'vitest'
import { encodesDirectly, internalRequestCodec, messageTypes, serviceDefinition } from '../../../src-main/etcdpb/load'
import type { InternalRequest } from '../../../src-main/member/server/pb'

/** A random value of a message type, in the shapes decoding gives (64-bit integers as strings…). */
function messageArb(type: protobuf.Type, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  const fields: Record<string, fc.Arbitrary<unknown>> = {}
  for (const field of type.fieldsArray) {
    field.resolve()
    const one = scalarArb(field, depth)
    if (!one) continue
    fields[field.name] = field.repeated ? fc.array(one, { maxLength: 3 }) : one
  }
  return fc.record(fields, { requiredKeys: [] })
}

function scalarArb(field: protobuf.Field, depth: number): fc.Arbitrary<unknown> | undefined {
  if (field.resolvedType instanceof protobuf.Type) return depth < 3 ? messageArb(field.resolvedType, depth + 1) : undefined
  switch (field.type) {
    case 'int64':
    case 'sint64':
    case 'sfixed64':
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String)
    case 'uint64':
    case 'fixed64':
      return fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String), fc.constant('0'))
    case 'int32':
    case 'sint32':
    case 'sfixed32':
      return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })
    case 'uint32':
    case 'fixed32':
      return fc.integer({ min: 0, max: 2 ** 32 - 1 })
    case 'bool':
      return fc.boolean()
    case 'bytes':
      return fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a))
    case 'double':
    case 'float':
      return fc.integer({ min: -1000, max: 1000 })
    default:
      return undefined
  }
}

const viaFromObject = (type: protobuf.Type, value: Record<string, unknown>) => Buffer.from(type.encode(type.fromObject(value)).finish())

describe('encoding without fromObject', () => {
  const direct = messageTypes().filter((t) => encodesDirectly(t))

  it('applies to KV’s responses and puts, and not to messages with enums or strings', () => {
    const names = direct.map((t) => t.fullName)
    for (const n of ['.etcdserverpb.RangeResponse', '.etcdserverpb.PutResponse', '.etcdserverpb.DeleteRangeResponse', '.etcdserverpb.TxnResponse', '.etcdserverpb.PutRequest']) expect(names).toContain(n)
    // Enums (sort order, compare targets), strings (user names): these keep the fromObject pass.
    for (const n of ['.etcdserverpb.RangeRequest', '.etcdserverpb.TxnRequest', '.etcdserverpb.AuthUserAddRequest', '.etcdserverpb.StatusResponse']) expect(names).not.toContain(n)
  })

  it('gives the same bytes as the fromObject path for every such type', () => {
    expect(direct.length).toBeGreaterThan(10)
    for (const type of direct) {
      fc.assert(
        fc.property(messageArb(type), (value) => {
          expect(Buffer.from(type.encode(value).finish()).equals(viaFromObject(type, value))).toBe(true)
        }),
        { numRuns: 40 },
      )
    }
  })

  it('is what the services’ serializers use for those types, with the same bytes', () => {
    const kv = serviceDefinition('etcdserverpb.KV')
    const responseType = messageTypes().find((t) => t.fullName === '.etcdserverpb.RangeResponse')!
    const requestType = messageTypes().find((t) => t.fullName === '.etcdserverpb.RangeRequest')!
    const skipped = vi.spyOn(responseType, 'fromObject')
    const kept = vi.spyOn(requestType, 'fromObject')
    try {
      const res = { header: { cluster_id: '18446744073709551615', member_id: '1', revision: '42', raft_term: '3' }, kvs: [{ key: Buffer.from('/k'), value: Buffer.from('v'), create_revision: '2', mod_revision: '42', version: '7', lease: '0' }], count: '1', more: false }
      const bytes = kv.Range!.responseSerialize(res)
      expect(skipped).not.toHaveBeenCalled()
      kv.Range!.requestSerialize({ key: Buffer.from('/k'), sort_order: 'DESCEND' })
      expect(kept).toHaveBeenCalledTimes(1)
      skipped.mockRestore()
      expect(bytes.equals(viaFromObject(responseType, res))).toBe(true)
    } finally {
      skipped.mockRestore()
      kept.mockRestore()
    }
  })

  it('encodes a shaped put or delete proposal as the fromObject path does', () => {
    const codec = internalRequestCodec<InternalRequest>()
    const type = messageTypes().find((t) => t.fullName === '.raftdeck.internal.InternalRequest')!
    const put = messageArb(messageTypes().find((t) => t.fullName === '.etcdserverpb.PutRequest')!)
    const del = messageArb(messageTypes().find((t) => t.fullName === '.etcdserverpb.DeleteRangeRequest')!)
    const header = fc.record({ username: fc.string(), auth_revision: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String) })
    const id = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String)
    fc.assert(
      fc.property(fc.oneof(put.map((p) => ({ put: p })), del.map((d) => ({ delete_range: d }))), id, id, header, (body, ID, proposer, h) => {
        const req = { ...body, ID, proposer, header: h } as unknown as InternalRequest
        const shaped = codec.encodeShaped(req)
        expect(shaped.equals(viaFromObject(type, req as unknown as Record<string, unknown>))).toBe(true)
        expect(shaped.equals(codec.encode(req))).toBe(true)
      }),
      { numRuns: 200 },
    )
  })
})
