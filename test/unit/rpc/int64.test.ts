/**
 * The quick 64-bit decimal conversions (src-main/etcdpb/int64.ts) against long.js's own, which they
 * replace: the same Long for every string long.js parses, the same string for every Long, and the
 * same bytes out of the real codecs.
 */
import fc from 'fast-check'
import protobuf from 'protobufjs'
import { describe, expect, it } from 'vitest'
import { etcdPackageDefinition } from '../../../src-main/etcdpb/load'
import { longJs } from '../../../src-main/etcdpb/int64'

type L = { low: number; high: number; unsigned: boolean }
const Long = protobuf.util.Long as unknown as {
  fromString(s: string, u?: boolean | number, r?: number): L
  fromBits(lo: number, hi: number, u?: boolean): L
  prototype: { toString(this: L, r?: number): string }
}

function original(): { fromString: (s: string, u?: boolean | number, r?: number) => L; toString: (l: L, r?: number) => string } {
  expect(longJs.fromString).toBeTypeOf('function')
  return { fromString: (s, u, r) => longJs.fromString!.call(Long, s, u, r) as L, toString: (l, r) => longJs.toString!.call(l, r) }
}
const same = (a: L, b: L) => expect([a.low | 0, a.high | 0, a.unsigned]).toEqual([b.low | 0, b.high | 0, b.unsigned])

const decimal = fc.oneof(
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String),
  fc.bigInt({ min: -(10n ** 16n), max: 10n ** 16n }).map(String),
  // Up to 20 digits but beyond 2^64, and leading zeros: long.js wraps and ignores them.
  fc.bigInt({ min: 2n ** 64n, max: 10n ** 20n - 1n }).map(String),
  fc.tuple(fc.integer({ min: 1, max: 4 }), fc.bigInt({ min: 0n, max: 10n ** 12n })).map(([z, v]) => '0'.repeat(z) + String(v)),
  fc.constantFrom('0', '-0', '9007199254740991', '9007199254740992', '-9007199254740993', '18446744073709551615', '9223372036854775808', '-9223372036854775808'),
)

describe('64-bit decimal conversions', () => {
  it('are installed: the codecs use them', () => {
    etcdPackageDefinition()
    expect(Long.fromString.name).toBe('quickFromString')
    expect(Long.prototype.toString.name).toBe('quickToString')
  })

  it('parse every decimal string to the Long long.js gives, signed and unsigned', () => {
    const o = original()
    fc.assert(
      fc.property(decimal, fc.boolean(), (s, unsigned) => {
        same(Long.fromString(s, unsigned), o.fromString(s, unsigned))
      }),
      { numRuns: 3000 },
    )
  })

  it('leave other radixes and other strings to long.js', () => {
    const o = original()
    for (const [s, r] of [
      ['ff', 16],
      ['-777', 8],
      ['123', 10],
    ] as const)
      same(Long.fromString(s, false, r), o.fromString(s, false, r))
    same(Long.fromString('zz', 36), o.fromString('zz', 36))
    for (const s of ['+5', '123456789012345678901234', '1e3', ' 7']) {
      let quick: unknown
      let slow: unknown
      try {
        quick = Long.fromString(s, true)
      } catch (e) {
        quick = String(e)
      }
      try {
        slow = o.fromString(s, true)
      } catch (e) {
        slow = String(e)
      }
      expect(JSON.stringify(quick)).toBe(JSON.stringify(slow))
    }
    expect(() => Long.fromString('')).toThrow()
  })

  it('turn every decimal string into the bits protobufjs made, and leave numbers and Longs to it', () => {
    const LongBits = protobuf.util.LongBits as unknown as { from(v: unknown): { lo: number; hi: number }; name: string }
    expect(LongBits.from.name).toBe('quickBitsFrom')
    const orig = longJs.bitsFrom!
    const bits = (b: { lo: number; hi: number }) => [b.lo >>> 0, b.hi >>> 0]
    fc.assert(
      fc.property(decimal, (s) => {
        expect(bits(LongBits.from(s))).toEqual(bits(orig(s)))
      }),
      { numRuns: 3000 },
    )
    for (const v of [0, 1, -1, 2 ** 40, -(2 ** 52), Long.fromBits(5, 7, true), '+5', 'ff']) expect(bits(LongBits.from(v))).toEqual(bits(orig(v)))
    // Fresh bits each time (the writers change the ones they are given), except the shared zero.
    const a = LongBits.from('123')
    a.lo = 9
    expect(LongBits.from('123').lo).toBe(123)
  })

  it('print every Long as long.js does', () => {
    const o = original()
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.boolean(), (lo, hi, unsigned) => {
        const l = Long.fromBits(lo, hi, unsigned)
        expect(Long.prototype.toString.call(l)).toBe(o.toString(l))
        expect(Long.prototype.toString.call(l, 16)).toBe(o.toString(l, 16))
      }),
      { numRuns: 3000 },
    )
    for (const [lo, hi] of [
      [0, 0],
      [-1, -1],
      [-1, 0x1fffff],
      [0, 0x200000],
      [0, -0x200000],
      [-1, -0x200001],
      [0, -0x80000000],
    ])
      for (const u of [false, true]) expect(Long.prototype.toString.call(Long.fromBits(lo!, hi!, u))).toBe(o.toString(Long.fromBits(lo!, hi!, u)))
  })

  it('give the same bytes and objects through a real codec', () => {
    const o = original()
    const put = etcdPackageDefinition()['etcdserverpb.KV']!.Put!
    fc.assert(
      fc.property(decimal, fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }), (lease, rev) => {
        const req = { key: Buffer.from('k'), value: Buffer.from('v'), lease }
        const bytes = put.requestSerialize(req)
        const back = put.requestDeserialize(bytes) as { lease: string }
        // int64 lease: what long.js would have made of the same string, printed as long.js prints it.
        expect(back.lease).toBe(o.toString(o.fromString(lease, false)))
        const res = { header: { cluster_id: '14841639068965178418', member_id: '10276657743932975437', revision: String(rev), raft_term: '3' } }
        const decoded = put.responseDeserialize(put.responseSerialize(res)) as { header: { revision: string; cluster_id: string } }
        expect(decoded.header.revision).toBe(String(rev))
        expect(decoded.header.cluster_id).toBe('14841639068965178418')
      }),
      { numRuns: 500 },
    )
  })
})
