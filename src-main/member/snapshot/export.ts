/**
 * The member's applied state as the bbolt layer's EtcdState, frozen at one applied index.
 *
 * `freezeState` runs synchronously inside one turn of the event loop, so nothing can be applied
 * while it copies. It copies only references and small tables: the MVCC revisions are immutable
 * objects once committed, so an array of them is a consistent view even while the store keeps
 * growing or compacting. The conversion to etcd's records happens lazily, while the writer pulls
 * them (twice: layout, then bytes).
 */
import type { Alarm, AuthRole, AuthUser, EtcdState, KeyValue, Lease, MemberRecord, PermissionTypeName, RevisionInput } from '../../bbolt/index'
import { sortSliced, turnsEvery } from '../mvcc/slicedSort'
import type { StoreView } from '../mvcc/store'
import type { KeyRevision } from '../mvcc/types'
import type { StateMachine } from '../server/stateMachine'

const EMPTY = new Uint8Array(0)

export interface FrozenState {
  state: EtcdState
  /** Lets the store compact physically again; call once the snapshot has been written. */
  release(): void
  /**
   * Orders the compacted part of the history in slices (it can be one revision per key: hundreds of
   * thousands); without it, the first pass over the revisions sorts them in one go.
   */
  prepare(): Promise<void>
  /** The applied index the state belongs to (etcd's consistent index). */
  appliedIndex: number
  revision: number
}

/**
 * The history in (main, sub) order, as etcd's `key` bucket holds it: what compaction keeps below the
 * compaction revision (at most one revision per key, sorted here once, on first use), then every
 * change from the compaction revision on, already in commit order.
 */
function orderedHistory(view: StoreView, sorted: { old?: KeyRevision[] }): Iterable<KeyRevision> {
  return {
    *[Symbol.iterator]() {
      sorted.old ??= [...view.survivors()].sort(byRevision)
      yield* sorted.old
      yield* view.changes
    },
  }
}

const byRevision = (a: KeyRevision, b: KeyRevision): number => a.mod - b.mod || a.sub - b.sub

/** etcd stores a tombstone as a KeyValue holding only the key. */
export function revisionInput(r: KeyRevision): RevisionInput {
  const key = Buffer.from(r.key, 'latin1')
  const main = BigInt(r.mod)
  const sub = BigInt(r.sub)
  if (r.tombstone) return { main, sub, tombstone: true, kv: { key, createRevision: 0n, modRevision: 0n, version: 0n, value: EMPTY, lease: 0n } }
  const kv: KeyValue = { key, createRevision: BigInt(r.create), modRevision: main, version: BigInt(r.version), value: r.value, lease: BigInt(r.lease) }
  return { main, sub, kv }
}

const permTypes: Record<string, PermissionTypeName> = { READ: 'read', WRITE: 'write', READWRITE: 'readwrite' }

export function freezeState(sm: StateMachine): FrozenState {
  const view = sm.store.view()
  const sorted: { old?: KeyRevision[] } = {}
  const history = orderedHistory(view, sorted)
  const revisions: Iterable<RevisionInput> = {
    *[Symbol.iterator]() {
      for (const r of history) yield revisionInput(r)
    },
  }
  const leases: Lease[] = [...sm.lessor.leases.values()].map((l) => ({ id: BigInt(l.id), ttl: BigInt(l.ttl), remainingTtl: BigInt(l.remainingTTL) }))
  const members: MemberRecord[] = sm.cluster.list().map((m) => ({
    id: BigInt(m.ID),
    peerURLs: [...m.peerURLs],
    ...(m.name ? { name: m.name } : {}),
    ...(m.clientURLs.length ? { clientURLs: [...m.clientURLs] } : {}),
    ...(m.isLearner ? { isLearner: true } : {}),
  }))
  const auth = sm.auth.toJSON()
  // Deep copies: the auth store edits user and role objects in place.
  const users: AuthUser[] = auth.users.map((u) => ({
    name: u.name,
    password: Buffer.from(u.password, 'latin1'),
    roles: [...u.roles].sort(),
    // etcd 3.4.23 writes UserAddOptions on every user it creates.
    options: { noPassword: u.password === '' },
  }))
  const roles: AuthRole[] = auth.roles.map((r) => ({
    name: r.name,
    keyPermission: r.perms.map((p) => ({ permType: permTypes[p.permType] ?? 'read', key: Buffer.from(p.key, 'latin1'), rangeEnd: Buffer.from(p.rangeEnd, 'latin1') })),
  }))
  // Alarms with effects only: etcd lists a NONE (or unknown) alarm someone raised, but it means nothing.
  const alarms: Alarm[] = sm
    .alarmList()
    .filter((a) => a.alarm === 'NOSPACE' || a.alarm === 'CORRUPT')
    .map((a) => ({ memberId: BigInt(a.memberID), alarm: a.alarm === 'NOSPACE' ? 'nospace' : 'corrupt' }))
  const compactRev = view.compactRev
  const compacted = compactRev > 0 ? { main: BigInt(compactRev), sub: 0n } : undefined
  const state: EtcdState = {
    revisions,
    consistentIndex: BigInt(sm.appliedIndex),
    // etcd 3.5 keeps the term beside the index; 3.4 ignores the key, so it costs nothing there.
    term: BigInt(sm.appliedTerm),
    ...(compacted ? { scheduledCompactRev: compacted, finishedCompactRev: compacted } : {}),
    leases,
    members,
    removedMembers: [...sm.cluster.removed].map((id) => BigInt(id)),
    clusterVersion: sm.clusterVersion || null,
    // A fresh etcd stores only authRevision; authEnabled appears once auth has been switched on.
    auth: { ...(auth.enabled ? { enabled: true } : {}), revision: BigInt(auth.revision) },
    users,
    roles,
    alarms,
  }
  return { state, appliedIndex: sm.appliedIndex, revision: view.currentRev,
    release: () => view.release(),
    prepare: async () => {
      if (sorted.old) return
      const old: KeyRevision[] = []
      const pause = turnsEvery(5)
      for (const batch of view.survivorBatches()) {
        for (const r of batch) old.push(r)
        await pause()
      }
      sorted.old = await sortSliced(old, byRevision)
    },
  }
}
