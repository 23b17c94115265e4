// readEtcdSnapshot(...).toState() → buildEtcdBuckets must reproduce a backend record for
// record, including what newer etcd versions add and the typed model does not know.

import { describe, expect, it } from 'vitest'
import {
  buildEtcdBuckets,
  encodeAlarm,
  encodeDbBytes,
  encodeKeyValue,
  encodeLease,
  encodeLeaseKey,
  encodeMember,
  encodeRevision,
  encodeRole,
  encodeU64be,
  encodeUser,
  entries,
  openDbBytes,
  readEtcdSnapshot,
  topLevelBuckets,
  validateEtcdSchema,
} from '../../../src-main/bbolt'
import type { BucketContents, WriterEntry } from '../../../src-main/bbolt'

const te = new TextEncoder()
const pairs = (list: Array<[Uint8Array | string, Uint8Array | string]>): WriterEntry[] =>
  list
    .map(([k, v]) => [typeof k === 'string' ? te.encode(k) : k, typeof v === 'string' ? te.encode(v) : v] as const)
    .sort((a, b) => Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0])))

function dump(bytes: Uint8Array): Record<string, string[]> {
  const db = openDbBytes(bytes)
  const out: Record<string, string[]> = {}
  for (const { name, bucket } of topLevelBuckets(db)) {
    out[Buffer.from(name).toString()] = [...entries(db, bucket)].map((e) => `${Buffer.from(e.key).toString('hex')}=${Buffer.from(e.value).toString('hex')}`)
  }
  return out
}

describe('typed etcd state round trip', () => {
  it('reproduces every bucket, including 3.5/3.6 keys and unknown buckets', () => {
    const kv = (key: string, rev: bigint) => encodeKeyValue({ key: te.encode(key), createRevision: rev, modRevision: rev, version: 1n, value: te.encode('v'), lease: 0n })
    const buckets: BucketContents[] = [
      {
        name: 'key',
        entries: pairs([
          [encodeRevision({ main: 2n, sub: 0n }), kv('/a', 2n)],
          [encodeRevision({ main: 3n, sub: 0n }), kv('/b', 3n)],
          [encodeRevision({ main: 4n, sub: 0n }, true), encodeKeyValue({ key: te.encode('/a'), createRevision: 0n, modRevision: 4n, version: 0n, value: new Uint8Array(0), lease: 0n })],
        ]),
      },
      {
        name: 'meta',
        entries: pairs([
          ['consistent_index', encodeU64be(99n)],
          ['term', encodeU64be(3n)],
          ['confState', '{"voters":[1]}'],
          ['storageVersion', '3.6.0'],
          ['finishedCompactRev', encodeRevision({ main: 2n, sub: 0n })],
        ]),
      },
      { name: 'lease', entries: pairs([[encodeLeaseKey(7n), encodeLease({ id: 7n, ttl: 60n, remainingTtl: 0n })]]) },
      { name: 'members', entries: pairs([['fedcba9876543210', encodeMember({ id: 0xfedcba9876543210n, peerURLs: ['http://a:2380'], name: 'a' })]]) },
      { name: 'members_removed', entries: pairs([['1234', 'removed']]) },
      { name: 'cluster', entries: pairs([['clusterVersion', '3.6.0'], ['downgrade', '{"enabled":false}']]) },
      { name: 'auth', entries: pairs([['authRevision', encodeU64be(5n)]]) },
      { name: 'authUsers', entries: pairs([['u', encodeUser({ name: 'u', password: te.encode('h'), roles: ['r'], options: { noPassword: false } })]]) },
      { name: 'authRoles', entries: pairs([['r', encodeRole({ name: 'r', keyPermission: [{ permType: 'write', key: te.encode('/'), rangeEnd: new Uint8Array(0) }] })]]) },
      { name: 'alarm', entries: pairs([[encodeAlarm({ memberId: 0xfedcba9876543210n, alarm: 'corrupt' }), new Uint8Array(0)]]) },
      { name: 'future', entries: pairs([['x', 'y']]) },
    ]
    const original = encodeDbBytes(buckets)
    expect(validateEtcdSchema(openDbBytes(original))).toEqual([])
    const reader = readEtcdSnapshot(openDbBytes(original))
    const state = reader.toState()
    expect(state.term).toBe(3n)
    expect(state.extra!.map((x) => `${x.bucket}/${Buffer.from(x.key).toString()}`).sort()).toEqual([
      'cluster/downgrade',
      'future/x',
      'meta/confState',
      'meta/storageVersion',
    ])
    const rebuilt = encodeDbBytes(buildEtcdBuckets(state))
    expect(dump(rebuilt)).toEqual(dump(original))
  })

  it('the schema check names what is wrong', () => {
    const bad = encodeDbBytes([
      { name: 'key', entries: pairs([[encodeRevision({ main: 2n, sub: 0n }), encodeKeyValue({ key: te.encode('/a'), createRevision: 2n, modRevision: 9n, version: 1n, value: new Uint8Array(0), lease: 0n })]]) },
      { name: 'meta', entries: pairs([['consistent_index', 'short']]) },
    ])
    const problems = validateEtcdSchema(openDbBytes(bad))
    expect(problems.join('\n')).toMatch(/mod_revision 9/)
    expect(problems.join('\n')).toMatch(/consistent_index has 5 bytes/)
    expect(validateEtcdSchema(openDbBytes(encodeDbBytes([{ name: 'other', entries: [] }])))).toEqual(
      expect.arrayContaining([expect.stringMatching(/"key" is missing/), expect.stringMatching(/"meta" is missing/)]),
    )
  })
})
