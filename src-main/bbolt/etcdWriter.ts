// Builds an etcd 3.4 backend from typed state: the inverse of EtcdSnapshotReader. The
// member uses it to serve Maintenance.Snapshot and restore uses it to lay out new data
// dirs, so every bucket etcd creates at start-up is present, even when empty.

import { compareBytes, utf8 } from './bytes'
import {
  EtcdBucket,
  MetaKey,
  encodeAlarm,
  encodeKeyValue,
  encodeLease,
  encodeLeaseKey,
  encodeMember,
  encodeRevision,
  encodeRole,
  encodeU64be,
  encodeUser,
  memberKey,
} from './etcdSchema'
import type { Alarm, AuthRole, AuthUser, KeyValue, Lease, MemberRecord, Revision } from './etcdSchema'
import { WriterInputError } from './errors'
import { snapshotStream, snapshotStreamAsync, writeDb } from './writer'
import type { BucketContents, SnapshotStream, WriteOptions, WriteResult, WriterEntry } from './writer'

export interface RevisionInput extends Revision {
  readonly tombstone?: boolean
  /** null writes the empty-value marker etcd's --bump-revision uses. */
  readonly kv: KeyValue | null
}

export interface EtcdState {
  /**
   * The MVCC history, sorted by (main, sub). Must be re-iterable: the writer walks it
   * twice (layout, then bytes) so it never holds the whole history in memory.
   */
  readonly revisions: Iterable<RevisionInput>
  readonly consistentIndex?: bigint
  /** Written only when given: etcd 3.5+ stores the Raft term beside the index. */
  readonly term?: bigint
  readonly scheduledCompactRev?: Revision
  readonly finishedCompactRev?: Revision
  readonly leases?: Iterable<Lease>
  readonly members?: Iterable<MemberRecord>
  readonly removedMembers?: Iterable<bigint>
  /** Default "3.4.0"; null writes no clusterVersion key. */
  readonly clusterVersion?: string | null
  /**
   * Each key is written only when given: a fresh etcd 3.4 stores authRevision but no
   * authEnabled until auth is first enabled or disabled.
   */
  readonly auth?: { readonly enabled?: boolean; readonly revision?: bigint }
  readonly users?: Iterable<AuthUser>
  readonly roles?: Iterable<AuthRole>
  readonly alarms?: Iterable<Alarm>
  /**
   * Records this writer does not model, copied verbatim: keys of newer etcd versions in
   * meta/cluster/auth (confState, downgrade, storageVersion…) and whole unknown buckets.
   * Not allowed in the key bucket, whose every record is a revision.
   */
  readonly extra?: ReadonlyArray<ExtraRecord>
}

export interface ExtraRecord {
  readonly bucket: string
  readonly key: Uint8Array
  readonly value: Uint8Array
}

const EMPTY = new Uint8Array(0)

function sortedPairs(pairs: Array<readonly [Uint8Array, Uint8Array]>): WriterEntry[] {
  return pairs.sort((a, b) => compareBytes(a[0], b[0]))
}

/** Lazily maps the history to key-bucket entries, restarting with each iteration. */
function revisionEntries(revisions: Iterable<RevisionInput>): Iterable<WriterEntry> {
  return {
    *[Symbol.iterator]() {
      for (const r of revisions) {
        yield [encodeRevision(r, r.tombstone ?? false), r.kv ? encodeKeyValue(r.kv) : EMPTY] as const
      }
    },
  }
}

export function buildEtcdBuckets(state: EtcdState): BucketContents[] {
  const meta: Array<readonly [Uint8Array, Uint8Array]> = []
  if (state.consistentIndex !== undefined) meta.push([utf8(MetaKey.consistentIndex), encodeU64be(state.consistentIndex)])
  if (state.term !== undefined) meta.push([utf8(MetaKey.term), encodeU64be(state.term)])
  if (state.scheduledCompactRev) meta.push([utf8(MetaKey.scheduledCompactRev), encodeRevision(state.scheduledCompactRev)])
  if (state.finishedCompactRev) meta.push([utf8(MetaKey.finishedCompactRev), encodeRevision(state.finishedCompactRev)])

  const auth: Array<readonly [Uint8Array, Uint8Array]> = []
  if (state.auth?.enabled !== undefined) auth.push([utf8('authEnabled'), Uint8Array.of(state.auth.enabled ? 1 : 0)])
  if (state.auth?.revision !== undefined) auth.push([utf8('authRevision'), encodeU64be(state.auth.revision)])

  const extras = new Map<string, Array<readonly [Uint8Array, Uint8Array]>>()
  for (const x of state.extra ?? []) {
    if (x.bucket === EtcdBucket.key) throw new WriterInputError('extra records cannot go into the key bucket; pass them as revisions')
    let list = extras.get(x.bucket)
    if (!list) extras.set(x.bucket, (list = []))
    list.push([x.key, x.value])
  }
  const plus = (bucket: string, pairs: Array<readonly [Uint8Array, Uint8Array]>): WriterEntry[] => {
    const more = extras.get(bucket)
    extras.delete(bucket)
    return sortedPairs(more ? [...pairs, ...more] : pairs)
  }
  const cluster: Array<readonly [Uint8Array, Uint8Array]> =
    state.clusterVersion === null ? [] : [[utf8('clusterVersion'), utf8(state.clusterVersion ?? '3.4.0')]]

  const buckets: BucketContents[] = [
    { name: EtcdBucket.key, entries: revisionEntries(state.revisions) },
    { name: EtcdBucket.meta, entries: plus(EtcdBucket.meta, meta) },
    { name: EtcdBucket.lease, entries: plus(EtcdBucket.lease, [...(state.leases ?? [])].map((l) => [encodeLeaseKey(l.id), encodeLease(l)] as const)) },
    {
      name: EtcdBucket.members,
      entries: plus(EtcdBucket.members, [...(state.members ?? [])].map((m) => [utf8(memberKey(m.id)), encodeMember(m)] as const)),
    },
    {
      name: EtcdBucket.membersRemoved,
      entries: plus(EtcdBucket.membersRemoved, [...(state.removedMembers ?? [])].map((id) => [utf8(memberKey(id)), utf8('removed')] as const)),
    },
    { name: EtcdBucket.cluster, entries: plus(EtcdBucket.cluster, cluster) },
    { name: EtcdBucket.auth, entries: plus(EtcdBucket.auth, auth) },
    { name: EtcdBucket.authUsers, entries: plus(EtcdBucket.authUsers, [...(state.users ?? [])].map((u) => [utf8(u.name), encodeUser(u)] as const)) },
    { name: EtcdBucket.authRoles, entries: plus(EtcdBucket.authRoles, [...(state.roles ?? [])].map((r) => [utf8(r.name), encodeRole(r)] as const)) },
    { name: EtcdBucket.alarm, entries: plus(EtcdBucket.alarm, [...(state.alarms ?? [])].map((a) => [encodeAlarm(a), EMPTY] as const)) },
  ]
  // Whatever is left names buckets etcd 3.4 does not have.
  for (const [name, pairs] of extras) buckets.push({ name, entries: sortedPairs(pairs) })
  return buckets
}

/** Writes an etcd backend db (what lives at member/snap/db). */
export function buildEtcdDb(path: string, state: EtcdState, options: WriteOptions = {}): WriteResult {
  return writeDb(path, buildEtcdBuckets(state), options)
}

/** Writes an etcd snapshot file (db + SHA-256 trailer), as `etcdctl snapshot save` would. */
export function buildEtcdSnapshot(path: string, state: EtcdState, options: WriteOptions = {}): WriteResult {
  return writeDb(path, buildEtcdBuckets(state), { ...options, snapshotTrailer: true })
}

/**
 * The member's Maintenance.Snapshot body: chunks of an etcd snapshot with the total size
 * known up front. `state` must be a frozen view (e.g. the MVCC store at one revision).
 */
export function etcdSnapshotStream(state: EtcdState, options: WriteOptions = {}): SnapshotStream {
  return snapshotStream(buildEtcdBuckets(state), options)
}

/** etcdSnapshotStream with the layout pass sliced so the caller's event loop keeps running. */
export function etcdSnapshotStreamAsync(state: EtcdState, options: WriteOptions & { sliceMs?: number } = {}): Promise<SnapshotStream> {
  return snapshotStreamAsync(buildEtcdBuckets(state), options)
}

/**
 * Turns plain key/value pairs into a history where each put has its own revision,
 * starting at `firstRevision` (etcd's first put is revision 2).
 */
export function keyValuesAsRevisions(
  pairs: ReadonlyArray<{ key: Uint8Array | string; value: Uint8Array | string; lease?: bigint }>,
  firstRevision = 2n,
): RevisionInput[] {
  return pairs.map((p, i) => {
    const main = firstRevision + BigInt(i)
    const key = typeof p.key === 'string' ? utf8(p.key) : p.key
    const value = typeof p.value === 'string' ? utf8(p.value) : p.value
    return { main, sub: 0n, kv: { key, value, createRevision: main, modRevision: main, version: 1n, lease: p.lease ?? 0n } }
  })
}

/**
 * The history plus the empty-value marker revision that etcd's `--bump-revision`
 * appends, so the next write lands at `bumpTo + 1`. Pair it with
 * `scheduledCompactRev: { main: bumpTo, sub: 0n }` for `--mark-compacted`.
 */
export function withRevisionMarker(revisions: Iterable<RevisionInput>, bumpTo: bigint): Iterable<RevisionInput> {
  return {
    *[Symbol.iterator]() {
      yield* revisions
      yield { main: bumpTo, sub: 0n, kv: null }
    },
  }
}
