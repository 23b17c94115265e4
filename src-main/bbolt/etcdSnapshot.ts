// Reading an etcd backend (a snapshot or member/snap/db) through its bucket schema.
// Everything streams from the db except the small buckets (meta, auth, cluster), so
// restore can walk a multi-gigabyte `key` bucket one revision at a time.

import { fromUtf8, utf8 } from './bytes'
import { bucketAt, entries, forEachEntry, get, topLevelBuckets } from './cursor'
import { openDb } from './db'
import type { BoltDb, BucketRef } from './db'
import {
  ETCD_BUCKETS,
  EtcdBucket,
  EtcdSchemaError,
  MetaKey,
  decodeAlarm,
  decodeKeyValue,
  decodeLease,
  decodeMember,
  decodeRevisionKey,
  decodeRole,
  decodeU64be,
  decodeUser,
  parseMemberKey,
} from './etcdSchema'
import type { Alarm, AuthRole, AuthUser, KeyValue, Lease, MemberRecord, Revision } from './etcdSchema'
import type { EtcdState, ExtraRecord } from './etcdWriter'

export interface EtcdMeta {
  readonly consistentIndex: bigint | null
  /** Present from etcd 3.5 on. */
  readonly term: bigint | null
  readonly scheduledCompactRev: Revision | null
  readonly finishedCompactRev: Revision | null
}

export interface RevisionRecord extends Revision {
  readonly tombstone: boolean
  /**
   * The stored KeyValue. null for an empty value: the marker record that
   * `--bump-revision` writes to move the revision forward.
   */
  readonly kv: KeyValue | null
}

export interface AuthState {
  readonly enabled: boolean
  readonly revision: bigint
}

export class EtcdSnapshotReader {
  constructor(readonly db: BoltDb) {}

  private bucket(name: string): BucketRef | null {
    return bucketAt(this.db, name)
  }

  hasBucket(name: string): boolean {
    return this.bucket(name) !== null
  }

  private *raw(name: string): Generator<{ key: Uint8Array; value: Uint8Array }> {
    const b = this.bucket(name)
    if (!b) return
    for (const e of entries(this.db, b)) {
      if (e.isBucket) throw new EtcdSchemaError(`bucket ${name} contains a nested bucket ${JSON.stringify(fromUtf8(e.key))}`)
      yield e
    }
  }

  private value(bucket: string, key: string): Uint8Array | null {
    const b = this.bucket(bucket)
    if (!b) return null
    const e = get(this.db, b, utf8(key))
    return e && !e.isBucket ? e.value : null
  }

  meta(): EtcdMeta {
    const u64 = (k: string): bigint | null => {
      const v = this.value(EtcdBucket.meta, k)
      return v ? decodeU64be(v, `meta/${k}`) : null
    }
    const rev = (k: string): Revision | null => {
      const v = this.value(EtcdBucket.meta, k)
      if (!v) return null
      const r = decodeRevisionKey(v)
      return { main: r.main, sub: r.sub }
    }
    return {
      consistentIndex: u64(MetaKey.consistentIndex),
      term: u64(MetaKey.term),
      scheduledCompactRev: rev(MetaKey.scheduledCompactRev),
      finishedCompactRev: rev(MetaKey.finishedCompactRev),
    }
  }

  /** Every revision in the `key` bucket, oldest first (the MVCC history etcd keeps). */
  *revisions(): Generator<RevisionRecord> {
    for (const { key, value } of this.raw(EtcdBucket.key)) {
      const rev = decodeRevisionKey(key)
      yield { ...rev, kv: value.length === 0 ? null : decodeKeyValue(value) }
    }
  }

  /** The live key/value pairs at the latest revision, keyed by the key's bytes in hex-free latin1. */
  liveKeyValues(): Map<string, KeyValue> {
    const live = new Map<string, KeyValue>()
    for (const r of this.revisions()) {
      if (!r.kv) continue
      const k = Buffer.from(r.kv.key).toString('latin1')
      if (r.tombstone) live.delete(k)
      else live.set(k, { ...r.kv, key: r.kv.key.slice(), value: r.kv.value.slice() })
    }
    return live
  }

  *leases(): Generator<Lease> {
    for (const { value } of this.raw(EtcdBucket.lease)) yield decodeLease(value)
  }

  *members(): Generator<MemberRecord> {
    for (const { key, value } of this.raw(EtcdBucket.members)) yield decodeMember(value, fromUtf8(key))
  }

  *removedMembers(): Generator<bigint> {
    for (const { key } of this.raw(EtcdBucket.membersRemoved)) yield parseMemberKey(fromUtf8(key))
  }

  clusterVersion(): string | null {
    const v = this.value(EtcdBucket.cluster, 'clusterVersion')
    return v ? fromUtf8(v) : null
  }

  auth(): AuthState {
    const enabled = this.value(EtcdBucket.auth, 'authEnabled')
    const revision = this.value(EtcdBucket.auth, 'authRevision')
    return {
      enabled: enabled !== null && enabled.length === 1 && enabled[0] === 1,
      revision: revision ? decodeU64be(revision, 'auth/authRevision') : 0n,
    }
  }

  *users(): Generator<AuthUser> {
    for (const { value } of this.raw(EtcdBucket.authUsers)) yield decodeUser(value)
  }

  *roles(): Generator<AuthRole> {
    for (const { value } of this.raw(EtcdBucket.authRoles)) yield decodeRole(value)
  }

  *alarms(): Generator<Alarm> {
    for (const { key } of this.raw(EtcdBucket.alarm)) yield decodeAlarm(key)
  }

  /**
   * The whole backend as writer input, for restore: small buckets are read into memory,
   * the revision history stays a lazy, re-iterable view over this (still open) db.
   */
  toState(): EtcdState {
    const m = this.meta()
    return {
      revisions: { [Symbol.iterator]: () => this.revisions() },
      ...(m.consistentIndex !== null ? { consistentIndex: m.consistentIndex } : {}),
      ...(m.term !== null ? { term: m.term } : {}),
      ...(m.scheduledCompactRev ? { scheduledCompactRev: m.scheduledCompactRev } : {}),
      ...(m.finishedCompactRev ? { finishedCompactRev: m.finishedCompactRev } : {}),
      leases: [...this.leases()],
      members: [...this.members()],
      removedMembers: [...this.removedMembers()],
      ...(this.clusterVersion() !== null ? { clusterVersion: this.clusterVersion()! } : {}),
      auth: {
        ...(this.value(EtcdBucket.auth, 'authEnabled') !== null ? { enabled: this.auth().enabled } : {}),
        ...(this.value(EtcdBucket.auth, 'authRevision') !== null ? { revision: this.auth().revision } : {}),
      },
      users: [...this.users()],
      roles: [...this.roles()],
      alarms: [...this.alarms()],
      ...(this.clusterVersion() === null ? { clusterVersion: null } : {}),
      extra: this.unmodelledRecords(),
    }
  }

  /** Records the typed state does not carry, so toState() loses nothing (see EtcdState.extra). */
  unmodelledRecords(): ExtraRecord[] {
    const modelled: Record<string, ReadonlySet<string>> = {
      [EtcdBucket.meta]: new Set(Object.values(MetaKey)),
      [EtcdBucket.cluster]: new Set(['clusterVersion']),
      [EtcdBucket.auth]: new Set(['authEnabled', 'authRevision']),
    }
    const known = new Set(ETCD_BUCKETS)
    const out: ExtraRecord[] = []
    for (const { name, bucket } of topLevelBuckets(this.db)) {
      const bucketName = fromUtf8(name)
      const keys = modelled[bucketName]
      if (known.has(bucketName) && !keys) continue
      for (const e of entries(this.db, bucket)) {
        if (e.isBucket) throw new EtcdSchemaError(`bucket ${bucketName} contains a nested bucket`)
        if (keys && keys.has(fromUtf8(e.key))) continue
        out.push({ bucket: bucketName, key: e.key.slice(), value: e.value.slice() })
      }
    }
    return out
  }

  close(): void {
    this.db.close()
  }
}

/** Opens an etcd backend for reading: pass an open BoltDb, or a path (closed by `close()`). */
export function readEtcdSnapshot(db: BoltDb | string): EtcdSnapshotReader {
  return new EtcdSnapshotReader(typeof db === 'string' ? openDb(db) : db)
}

/**
 * Parses every record of every etcd bucket and checks the invariants etcd relies on at
 * start-up. Returns the problems found (empty when the schema is valid).
 */
export function validateEtcdSchema(db: BoltDb, maxProblems = 50, options: { skipKeyRecords?: boolean } = {}): string[] {
  const problems: string[] = []
  const r = new EtcdSnapshotReader(db)
  const attempt = (what: string, fn: () => void): void => {
    if (problems.length >= maxProblems) return
    try {
      fn()
    } catch (e) {
      problems.push(`${what}: ${(e as Error).message}`)
    }
  }
  if (!r.hasBucket(EtcdBucket.key)) problems.push('bucket "key" is missing, so this is not an etcd v3 backend')
  if (!r.hasBucket(EtcdBucket.meta)) problems.push('bucket "meta" is missing, so this is not an etcd v3 backend')
  attempt('meta', () => void r.meta())
  attempt('key', () => {
    // A streaming check (streamVerify.ts) has already parsed these records page by page.
    if (options.skipKeyRecords) return
    const bucket = bucketAt(db, EtcdBucket.key)
    if (!bucket) return
    // The callback walk, not revisions(): verify parses every record of a large history.
    forEachEntry(db, bucket, (key, value, isBucket) => {
      if (isBucket) throw new EtcdSchemaError('the key bucket contains a nested bucket')
      const rev = decodeRevisionKey(key)
      if (rev.main < 0n || rev.sub < 0n) throw new EtcdSchemaError(`negative revision ${rev.main}_${rev.sub}`)
      if (value.length === 0) return // --bump-revision marker
      const kv = decodeKeyValue(value)
      if (!rev.tombstone && kv.modRevision !== rev.main) {
        throw new EtcdSchemaError(`revision ${rev.main}_${rev.sub} holds a KeyValue with mod_revision ${kv.modRevision}`)
      }
      if (kv.key.length === 0) throw new EtcdSchemaError(`revision ${rev.main}_${rev.sub} has an empty key`)
    })
  })
  attempt('lease', () => {
    for (const l of r.leases()) void l
  })
  attempt('members', () => {
    for (const m of r.members()) void m
  })
  attempt('members_removed', () => {
    for (const m of r.removedMembers()) void m
  })
  attempt('auth', () => void r.auth())
  attempt('authUsers', () => {
    for (const u of r.users()) void u
  })
  attempt('authRoles', () => {
    for (const x of r.roles()) void x
  })
  attempt('alarm', () => {
    for (const a of r.alarms()) void a
  })
  return problems
}
