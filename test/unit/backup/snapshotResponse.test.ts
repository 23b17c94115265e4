// The hand-written SnapshotResponse decoder against the generic one (protobufjs via proto-loader, what
// every other call uses): the same fields for any message etcd could send, including unknown fields
// and 64-bit values, and a clear error, never a wrong result, for malformed ones.

import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { etcdPackageDefinition } from '../../../src-main/etcdpb/load'
import { decodeSnapshotResponse } from '../../../src-main/services/etcd/snapshotResponse'

interface MethodDef {
  responseSerialize(v: unknown): Buffer
  responseDeserialize(b: Buffer): unknown
}
const snapshot = (etcdPackageDefinition()['etcdserverpb.Maintenance'] as unknown as Record<string, MethodDef>).Snapshot!
const encode = (v: unknown) => snapshot.responseSerialize(v)
const generic = (b: Buffer) => snapshot.responseDeserialize(b) as { header: unknown; remaining_bytes: string; blob: Buffer }

const zeros = { cluster_id: '0', member_id: '0', revision: '0', raft_term: '0' }
/** Plain values, so that Buffer views and copies compare by content; a missing header reads as zeros. */
const plain = (r: { header: unknown; remaining_bytes: string; blob: Uint8Array }) => ({ header: r.header ?? zeros, remaining_bytes: r.remaining_bytes, blob: Buffer.from(r.blob).toString('hex') })

const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String)
const i64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String)
const header = fc.record({ cluster_id: u64, member_id: u64, revision: i64, raft_term: u64 })
const message = fc.record({ header, remaining_bytes: u64, blob: fc.uint8Array({ maxLength: 3000 }).map((a) => Buffer.from(a)) })

/** An unknown field of any wire type protobuf readers skip (varint, 64-bit, length-delimited, 32-bit). */
const unknownField = fc
  .tuple(fc.integer({ min: 4, max: 2 ** 29 - 1 }), fc.constantFrom(0, 1, 2, 5), fc.uint8Array({ maxLength: 40 }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }))
  .map(([field, wire, bytes, n]) => {
    const varint = (v: bigint) => {
      const out: number[] = []
      do {
        const b = Number(v & 0x7fn)
        v >>= 7n
        out.push(v ? b | 0x80 : b)
      } while (v)
      return out
    }
    const tag = varint(BigInt(field * 8 + wire))
    const body = wire === 0 ? varint(n) : wire === 1 ? [...Buffer.alloc(8, 7)] : wire === 5 ? [1, 2, 3, 4] : [...varint(BigInt(bytes.length)), ...bytes]
    return Buffer.from([...tag, ...body])
  })

describe('decodeSnapshotResponse', () => {
  it('decodes what etcd sends as the generic decoder does (fast-check)', () => {
    fc.assert(
      fc.property(message, (m) => {
        const wire = encode(m)
        expect(plain(decodeSnapshotResponse(wire))).toEqual(plain(generic(wire)))
      }),
      { numRuns: 500 },
    )
  })

  it('skips unknown fields anywhere and decodes repeated fields as protobuf does (fast-check)', () => {
    fc.assert(
      fc.property(message, fc.array(unknownField, { maxLength: 4 }), fc.array(fc.nat(), { maxLength: 4 }), fc.boolean(), (m, unknown, at, twice) => {
        // Fields in any order, with unknown ones between them, and a field repeated (last one wins,
        // header merged): a protobuf message may be concatenated from parts.
        const parts = [encode({ header: m.header }), encode({ remaining_bytes: m.remaining_bytes }), encode({ blob: m.blob })]
        if (twice) parts.unshift(encode({ remaining_bytes: '12345', blob: Buffer.from('old'), header: { raft_term: '9' } }))
        unknown.forEach((u, i) => parts.splice((at[i] ?? 0) % (parts.length + 1), 0, u))
        const wire = Buffer.concat(parts)
        expect(plain(decodeSnapshotResponse(wire))).toEqual(plain(generic(wire)))
      }),
      { numRuns: 300 },
    )
  })

  it('returns the blob as a view of the message, without copying', () => {
    const wire = encode({ header: { revision: '5' }, remaining_bytes: '10', blob: Buffer.alloc(32 * 1024, 1) })
    const r = decodeSnapshotResponse(wire)
    expect(r.blob.buffer).toBe(wire.buffer)
    expect(r.blob.length).toBe(32 * 1024)
    expect(r.header.revision).toBe('5')
  })

  it('reads an empty message (the end of some streams) as zeros', () => {
    expect(plain(decodeSnapshotResponse(Buffer.alloc(0)))).toEqual({ header: zeros, remaining_bytes: '0', blob: '' })
  })

  it('refuses every message cut inside a field, with a clear error (fast-check over cut points)', () => {
    fc.assert(
      fc.property(message, fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), (m, f) => {
        const wire = encode(m)
        const cut = Math.floor(f * wire.length)
        const prefix = wire.subarray(0, cut)
        // Cut between two fields, a prefix is itself a valid message: then both decoders agree.
        let ok = true
        try {
          generic(Buffer.from(prefix))
        } catch {
          ok = false
        }
        if (ok) {
          let ours: ReturnType<typeof plain> | Error
          try {
            ours = plain(decodeSnapshotResponse(Buffer.from(prefix)))
          } catch (err) {
            ours = err as Error
          }
          // Where protobufjs reads past a nested message's end, ours is stricter; never a different result.
          if (!(ours instanceof Error)) expect(ours).toEqual(plain(generic(Buffer.from(prefix))))
          else expect(ours.message).toMatch(/^malformed SnapshotResponse: /)
        } else expect(() => decodeSnapshotResponse(Buffer.from(prefix))).toThrow(/^malformed SnapshotResponse: /)
      }),
      { numRuns: 500 },
    )
  })

  it('names what is wrong in malformed messages', () => {
    const cases: [number[], RegExp][] = [
      [[0x1a, 0x05, 1, 2], /the blob runs past the message/],
      [[0x10, 0x80], /truncated varint/],
      [[0x10, ...Array(10).fill(0xff), 0x01], /varint longer than 10 bytes/],
      [[0x0a, 0x03, 0x08, 0x01], /runs past the message|truncated/],
      [[0x0a, 0x02, 0x0a, 0x00], /header field 1 has wire type 2/],
      [[0x18, 0x05], /field 3 has wire type 0, expected 2/],
      [[0x12, 0x00], /field 2 has wire type 2, expected 0/],
      [[0x00], /field number 0/],
      [[0x23], /unsupported wire type 3/],
      [[0x25, 1, 2], /field 4 runs past the message/],
      [[0x80, 0x80, 0x80, 0x80, 0x80, 0x01], /tag or length varint longer than 5 bytes/],
    ]
    for (const [bytes, why] of cases) expect(() => decodeSnapshotResponse(Buffer.from(bytes)), Buffer.from(bytes).toString('hex')).toThrow(why)
  })
})
