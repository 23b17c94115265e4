// Checksums, the protobuf codec and etcd's key encodings, against known vectors.

import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import {
  crc32c,
  Crc32c,
  decodeAlarm,
  decodeKeyValue,
  decodeLease,
  decodeMember,
  decodeRevisionKey,
  decodeRole,
  decodeUser,
  encodeAlarm,
  encodeKeyValue,
  encodeLease,
  encodeMember,
  encodeRevision,
  encodeRole,
  encodeUser,
  fnv1a64,
  memberKey,
} from '../../../src-main/bbolt'

const te = new TextEncoder()

function fnvReference(bytes: Uint8Array): bigint {
  let h = 0xcbf29ce484222325n
  for (const b of bytes) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n)
  return h
}

describe('checksums', () => {
  it('FNV-1a 64 matches the published vectors and a BigInt reference', () => {
    expect(fnv1a64(new Uint8Array(0))).toBe(0xcbf29ce484222325n)
    expect(fnv1a64(te.encode('a'))).toBe(0xaf63dc4c8601ec8cn)
    expect(fnv1a64(te.encode('foobar'))).toBe(0x85944171f73967e8n)
    fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), (b) => fnv1a64(b) === fnvReference(b)))
  })

  it('CRC-32C matches the standard check value and is chunking-independent', () => {
    expect(crc32c(te.encode('123456789'))).toBe(0xe3069283)
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa)
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(200), (b, cut) => {
        const at = Math.min(cut, b.length)
        return new Crc32c().update(b.subarray(0, at)).update(b.subarray(at)).value === crc32c(b)
      }),
    )
  })
})

describe('etcd encodings', () => {
  it('revision keys: 8-byte big-endian main, "_", 8-byte sub, optional "t"', () => {
    const k = encodeRevision({ main: 0x0102n, sub: 3n })
    expect([...k]).toEqual([0, 0, 0, 0, 0, 0, 1, 2, 0x5f, 0, 0, 0, 0, 0, 0, 0, 3])
    const t = encodeRevision({ main: 5n, sub: 0n }, true)
    expect(t.length).toBe(18)
    expect(t[17]).toBe(0x74)
    expect(decodeRevisionKey(t)).toEqual({ main: 5n, sub: 0n, tombstone: true })
    expect(() => decodeRevisionKey(new Uint8Array(16))).toThrow(/17 or 18/)
  })

  it('mvccpb.KeyValue round-trips with 64-bit fields and matches gogoproto bytes', () => {
    const kv = { key: te.encode('foo'), createRevision: 2n, modRevision: 3n, version: 1n, value: te.encode('bar'), lease: 0n }
    // key=foo, create=2, mod=3, version=1, value=bar, lease omitted (proto3 default)
    expect([...encodeKeyValue(kv)]).toEqual([0x0a, 3, 0x66, 0x6f, 0x6f, 0x10, 2, 0x18, 3, 0x20, 1, 0x2a, 3, 0x62, 0x61, 0x72])
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 40 }),
        fc.uint8Array({ maxLength: 100 }),
        fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }),
        fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }),
        (key, value, rev, lease) => {
          const x = { key, value, createRevision: rev, modRevision: rev, version: 7n, lease }
          const y = decodeKeyValue(encodeKeyValue(x))
          return y.createRevision === rev && y.lease === lease && Buffer.from(y.key).equals(Buffer.from(key)) && Buffer.from(y.value).equals(Buffer.from(value))
        },
      ),
    )
  })

  it('lease, user, role and alarm records round-trip', () => {
    const lease = { id: 0x7fffffffffffffffn, ttl: 600n, remainingTtl: 0n }
    expect(decodeLease(encodeLease(lease))).toEqual(lease)
    const user = { name: 'alice', password: te.encode('$2a$10$x'), roles: ['a', 'b'], options: { noPassword: false } }
    expect(decodeUser(encodeUser(user))).toEqual(user)
    const role = { name: 'r', keyPermission: [{ permType: 'readwrite' as const, key: te.encode('/a'), rangeEnd: te.encode('/b') }] }
    expect(decodeRole(encodeRole(role))).toEqual(role)
    const alarm = { memberId: 0xfedcba9876543210n, alarm: 'nospace' as const }
    expect(decodeAlarm(encodeAlarm(alarm))).toEqual(alarm)
  })

  it('member ids above 2^53 survive the JSON etcd stores', () => {
    const id = 0xfedcba9876543211n
    const json = encodeMember({ id, name: 'm1', peerURLs: ['http://10.0.0.1:2380'], clientURLs: ['http://10.0.0.1:2379'] })
    expect(new TextDecoder().decode(json)).toBe(
      `{"id":${id},"peerURLs":["http://10.0.0.1:2380"],"name":"m1","clientURLs":["http://10.0.0.1:2379"]}`,
    )
    const back = decodeMember(json, memberKey(id))
    expect(back.id).toBe(id)
    expect(memberKey(id)).toBe('fedcba9876543211')
  })
})

describe('protobuf varints', () => {
  it('round-trip across the fast-path boundary and the full uint64 range', async () => {
    const { ProtoWriter, decodeFields } = await import('../../../src-main/bbolt/protobuf')
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: (1n << 64n) - 1n }), (v) => {
        const f = decodeFields(new ProtoWriter().int(1, v).finish())[0]!
        return f.wire === 0 && f.int === v
      }),
    )
    for (const v of [1n, 127n, 128n, (1n << 49n) - 1n, 1n << 49n, (1n << 56n) + 5n, (1n << 64n) - 1n]) {
      const f = decodeFields(new ProtoWriter().int(3, v).finish())[0]!
      expect(f.wire === 0 && f.int).toBe(v)
    }
  })
})

describe('authpb.User as etcd 3.4.23 writes it', () => {
  it('keeps the empty options message byte for byte', () => {
    // name "root", password "pw", role "root", options {} — what `etcdctl user add` stores.
    const stored = Uint8Array.from([0x0a, 4, 0x72, 0x6f, 0x6f, 0x74, 0x12, 2, 0x70, 0x77, 0x1a, 4, 0x72, 0x6f, 0x6f, 0x74, 0x22, 0])
    const user = decodeUser(stored)
    expect(user.options).toEqual({ noPassword: false })
    expect([...encodeUser(user)]).toEqual([...stored])
  })
})
