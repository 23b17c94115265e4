/**
 * The hand-written put/delete proposal encoder (src-main/etcdpb/writeProposal.ts) must give
 * protobufjs's very bytes for every value it takes, and must decline (undefined) what it does not
 * take, so the proposer falls back to protobufjs rather than writing something else.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { internalRequestCodec, messageTypes } from '../../../src-main/etcdpb/load'
import { encodeWriteProposal, type WriteProposal } from '../../../src-main/etcdpb/writeProposal'
import type { InternalRequest } from '../../../src-main/member/server/pb'

const type = messageTypes().find((t) => t.fullName === '.raftdeck.internal.InternalRequest')!
const codec = internalRequestCodec<InternalRequest>()
const viaProtobufjs = (v: WriteProposal): Buffer => Buffer.from(type.encode(v as Record<string, unknown>).finish())

// Every field may be missing, null or present; integers as the decoders and the member give them.
const maybe = <T,>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 4 }).chain((v) => (v === undefined ? fc.constantFrom(undefined, null) : fc.constant(v)))
const u64 = fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String), fc.constantFrom('0', '1', '127', '128', '16383', '16384', '4294967295', '4294967296', '18446744073709551615'), fc.nat().map(String))
const i64 = fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String), fc.integer({ min: -1000, max: 1000 }), fc.constantFrom('0', '-1', '-9223372036854775808'))
const bytes = fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a))
const ascii = fc.string({ unit: fc.integer({ min: 0, max: 127 }).map((c) => String.fromCharCode(c)), maxLength: 140 })

const record = (shape: Record<string, fc.Arbitrary<unknown>>) =>
  fc.record(Object.fromEntries(Object.entries(shape).map(([k, a]) => [k, maybe(a)])), { requiredKeys: [] })

const put = record({ key: bytes, value: bytes, lease: i64, prev_kv: fc.boolean(), ignore_value: fc.boolean(), ignore_lease: fc.boolean() })
const del = record({ key: bytes, range_end: bytes, prev_kv: fc.boolean() })
const header = record({ username: ascii, auth_revision: u64 })
const proposal = fc.oneof(
  record({ ID: u64, proposer: u64, header, put }),
  record({ ID: u64, proposer: u64, header, delete_range: del }),
  record({ ID: u64, proposer: u64, header, put, delete_range: del }),
) as fc.Arbitrary<WriteProposal>

describe('encodeWriteProposal', () => {
  it('writes protobufjs’s bytes for puts and deletes, with fields missing, null, zero or false', () => {
    fc.assert(
      fc.property(proposal, (p) => {
        const mine = encodeWriteProposal(p)
        expect(mine).toBeDefined()
        expect(mine!.equals(viaProtobufjs(p))).toBe(true)
      }),
      { numRuns: 2000 },
    )
  })

  it('decodes back to the same proposal through the member’s codec', () => {
    const p = { ID: '18446744073709551615', proposer: '9472393932842387', header: { username: 'root', auth_revision: '7' }, put: { key: Buffer.from('/a'), value: Buffer.alloc(256, 7), lease: '-3', prev_kv: true, ignore_value: false, ignore_lease: false } }
    const back = codec.decode(encodeWriteProposal(p)!)
    expect(back.ID).toBe(p.ID)
    expect(back.proposer).toBe(p.proposer)
    expect(back.header).toEqual(p.header)
    expect(Buffer.from(back.put!.key).equals(p.put.key)).toBe(true)
    expect(Buffer.from(back.put!.value).equals(p.put.value)).toBe(true)
    expect(String(back.put!.lease)).toBe('-3')
    expect(back.put!.prev_kv).toBe(true)
  })

  it('takes 64-bit IDs as bigints, with the bytes of their decimal strings', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (id, lease) => {
        const asBig = encodeWriteProposal({ ID: id, put: { key: Buffer.from('k'), lease } })!
        expect(asBig.equals(viaProtobufjs({ ID: id.toString(), put: { key: Buffer.from('k'), lease: lease.toString() } }))).toBe(true)
      }),
    )
  })

  it('declines what it does not take, so the caller uses protobufjs', () => {
    const key = Buffer.from('k')
    const declined: WriteProposal[] = [
      { ID: '1', put: { key }, txn: {} } as WriteProposal,
      { ID: '1', header: { username: 'zoë' }, put: { key } },
      { ID: '1', put: { key: 'aGk=' as unknown as Buffer } },
      { ID: '0x10', put: { key } },
      { ID: '', put: { key } },
      { ID: '1.5', put: { key } },
      { ID: 2 ** 60, put: { key } },
      { ID: { low: 1, high: 0, unsigned: true } as unknown as string, put: { key } },
      { ID: '1', put: { key, prev_kv: 1 as unknown as boolean } },
      { ID: '1', delete_range: { key, range_end: [1, 2] as unknown as Buffer } },
    ]
    for (const p of declined) expect(encodeWriteProposal(p)).toBeUndefined()
    // A null field of another kind is absent, as protobufjs reads it.
    expect(encodeWriteProposal({ ID: '1', put: { key }, txn: null } as WriteProposal)!.equals(viaProtobufjs({ ID: '1', put: { key } }))).toBe(true)
  })
})
