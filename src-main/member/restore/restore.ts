/**
 * `snapshot restore` for raftdeck members: an etcd snapshot file (from real etcd or from a member)
 * becomes the data dir of one member of a new cluster, which `raftdeck member` then restarts from.
 *
 * It mirrors what etcd 3.4's restore does, in our member's on-disk format:
 *   - IDs come from the flags as etcd derives them: member ID = SHA-1(sorted peer URLs + token),
 *     cluster ID = SHA-1(sorted member IDs) (ids.ts), so every member of the new cluster, restored
 *     from the same file with the same flags, agrees on them;
 *   - the log starts at index N (N = number of members), term 1, as if the N "add member" entries
 *     had been committed; the state machine snapshot sits at that index and carries the new
 *     membership, so Raft starts from the snapshot with all N voters and no entries to replay;
 *   - the MVCC history, leases, auth, alarms and cluster version come from the file unchanged;
 *     the old cluster's members do not (etcd 3.4 drops them too);
 *   - `bumpRevision` and `markCompacted` are etcd's --bump-revision and --mark-compacted.
 *
 * The snapshot is verified before anything is written, and everything is written into temporary
 * directories that are renamed into place at the end, so a failure leaves nothing behind.
 */
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import { openDb, readEtcdSnapshot, verifySnapshot, type EtcdSnapshotReader, type RevisionRecord, type VerifyResult } from '../../bbolt/index'
import type { MemberConfig } from '../config'
import { clusterIdFor, memberIdFor } from '../ids'
import { KeyRevision } from '../mvcc/types'
import type { Member } from '../server/pb'
import { snapshotFileChunks } from '../server/snapshotFile'
import { encodeRecordChunks, stateHeader } from '../server/stateCodec'
import { StoreLoader } from '../mvcc/store'
import type { AlarmName } from '../server/alarms'
import { StateMachine } from '../server/stateMachine'
import { Snapshotter } from '../snap/snapshotter'
import { Wal } from '../wal/wal'

/** A problem with the request itself (flags, existing dirs): nothing was written. */
export class RestoreInputError extends Error {}

export type RestoreConfig = Pick<MemberConfig, 'name' | 'dataDir' | 'walDir' | 'initialCluster' | 'initialClusterToken' | 'initialAdvertisePeerUrls'>

export interface RestoreOptions {
  /** Move the revision forward by this much past the snapshot's newest revision (etcd's --bump-revision). */
  bumpRevision?: number
  /** Mark every revision up to the bumped one compacted (etcd's --mark-compacted; needs bumpRevision). */
  markCompacted?: boolean
  /** Accept a file without the SHA-256 trailer (a copied member/snap/db), like etcd's --skip-hash-check. */
  skipHashCheck?: boolean
}

export interface RestoreResult {
  dataDir: string
  walDir: string
  memberId: string
  clusterId: string
  members: Member[]
  /** Raft index and term the restored member starts from. */
  index: number
  term: number
  /** Store revision after restore (bumped when asked) and compaction revision. */
  revision: number
  compactRevision: number
  /** Revisions restored into the key history, and live keys at the newest revision. */
  revisions: number
  keys: number
  leases: number
  verified: VerifyResult
}

/** The term the restored log starts in, as etcd's restore writes it. */
const RESTORE_TERM = 1

/** The new cluster's members in --initial-cluster order, with etcd's IDs. */
export function plannedMembers(cfg: Pick<RestoreConfig, 'initialCluster' | 'initialClusterToken'>): Member[] {
  return [...cfg.initialCluster].map(([name, urls]) => ({ ID: memberIdFor(urls, cfg.initialClusterToken), name, peerURLs: [...urls], clientURLs: [], isLearner: false }))
}

function exists(p: string): boolean {
  try {
    fs.statSync(p)
    return true
  } catch {
    return false
  }
}

function checkInput(cfg: RestoreConfig, o: RestoreOptions): void {
  if (o.markCompacted && !o.bumpRevision) throw new RestoreInputError('--mark-compacted requires --bump-revision')
  if (o.bumpRevision !== undefined && (!Number.isSafeInteger(o.bumpRevision) || o.bumpRevision < 0)) {
    throw new RestoreInputError(`--bump-revision must be a non-negative integer, got ${o.bumpRevision}`)
  }
  if (exists(cfg.dataDir)) throw new RestoreInputError(`data-dir "${cfg.dataDir}" exists`)
  if (cfg.walDir && exists(cfg.walDir)) throw new RestoreInputError(`wal-dir "${cfg.walDir}" exists`)
  const ids = new Set<string>()
  for (const m of plannedMembers(cfg)) {
    if (ids.has(m.ID)) throw new RestoreInputError(`--initial-cluster has two members with the same peer URLs (${m.peerURLs.join(',')})`)
    ids.add(m.ID)
  }
}

/** A revision of etcd's key bucket as a member holds it; undefined for a --bump-revision marker. */
function toRevision(r: RevisionRecord): KeyRevision | undefined {
  // An empty value is the marker an earlier --bump-revision left: it only moves the revision.
  if (!r.kv) return undefined
  const key = Buffer.from(r.kv.key).toString('latin1')
  const main = Number(r.main)
  if (r.tombstone) return KeyRevision.make(key, EMPTY, 0, main, Number(r.sub), 0, '0', true)
  // Copy: the reader's bytes are views into its page cache.
  return KeyRevision.make(key, Buffer.from(r.kv.value), Number(r.kv.createRevision), main, Number(r.sub), Number(r.kv.version), r.kv.lease.toString(), false)
}

const EMPTY = Buffer.alloc(0)

/** Leases, membership, auth, alarms and cluster version from the snapshot (small: read at once). */
function loadTables(reader: EtcdSnapshotReader, sm: StateMachine, members: Member[], clusterId: string): number {
  const leases = [...reader.leases()].map((l) => ({ id: l.id.toString(), ttl: Number(l.ttl), remainingTTL: Number(l.remainingTtl) }))
  sm.lessor.restore(leases)
  sm.cluster.restore({ clusterId, members, removed: [] })
  const auth = reader.auth()
  sm.auth.restore({
    enabled: auth.enabled,
    // etcd starts at 1 when the key is missing.
    revision: Math.max(1, Number(auth.revision)),
    users: [...reader.users()].map((u) => ({ name: u.name, password: Buffer.from(u.password).toString('latin1'), roles: [...u.roles].sort() })),
    roles: [...reader.roles()].map((r) => ({
      name: r.name,
      perms: r.keyPermission.map((p) => ({
        permType: p.permType === 'read' ? ('READ' as const) : p.permType === 'write' ? ('WRITE' as const) : ('READWRITE' as const),
        key: Buffer.from(p.key).toString('latin1'),
        rangeEnd: Buffer.from(p.rangeEnd).toString('latin1'),
      })),
    })),
  })
  for (const a of reader.alarms()) if (a.alarm !== 'none') sm.alarms.activate(a.memberId.toString(), a.alarm.toUpperCase() as AlarmName)
  sm.clusterVersion = reader.clusterVersion() ?? ''
  return leases.length
}

/** Reads the whole snapshot into a state machine (for --bump-revision, or a compaction to finish). */
function loadState(reader: EtcdSnapshotReader, sm: StateMachine, o: RestoreOptions): number {
  let latest = 0
  const meta = reader.meta()
  const finished = Number(meta.finishedCompactRev?.main ?? 0n)
  // The key bucket is in (main, sub) order: each key oldest first, changes in commit order.
  const loader = new StoreLoader(finished)
  let revisions = 0
  for (const rec of reader.revisions()) {
    const main = Number(rec.main)
    if (main > latest) latest = main
    const r = toRevision(rec)
    if (!r) continue
    loader.add(r)
    revisions++
  }
  // A scheduled compaction past the finished one was still running; etcd completes it at start.
  let compactTo = Math.max(finished, Number(meta.scheduledCompactRev?.main ?? 0n))
  let currentRev = Math.max(1, latest, compactTo)
  if (o.bumpRevision) {
    // etcd bumps from the newest revision in the file, so the next write lands at latest + N + 1.
    currentRev = Math.max(currentRev, latest + o.bumpRevision)
    if (o.markCompacted) compactTo = currentRev
  }
  sm.store.adopt(loader.finish(currentRev))
  // Compact for real, as etcd does on start, so the member holds only what reads can still see.
  if (compactTo > finished) sm.store.compact(compactTo)
  return revisions
}

/**
 * The member snapshot's state straight from etcd's key bucket, record by record, never held whole:
 * the bucket's (main, sub) order is what the state codec wants. Fills `summary` as it goes.
 */
function* convertedState(reader: EtcdSnapshotReader, sm: StateMachine, finished: number, summary: PreparedRestore['summary']): Generator<Buffer> {
  let latest = 0
  const live = new Map<string, boolean>()
  const records = function* (): Generator<KeyRevision> {
    for (const rec of reader.revisions()) {
      const main = Number(rec.main)
      if (main > latest) latest = main
      const r = toRevision(rec)
      if (!r) continue
      live.set(r.key, !r.tombstone)
      summary.revisions++
      yield r
    }
  }
  const currentRev = (): number => Math.max(1, latest, finished)
  yield* encodeRecordChunks(stateHeader(sm, 0, finished), records(), currentRev)
  summary.revision = currentRev()
  summary.compactRevision = finished
  let keys = 0
  for (const v of live.values()) if (v) keys++
  summary.keys = keys
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await fsp.open(dir, 'r')
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}

/** The snapshot read once, ready to be written into any member's data dir of the new cluster. */
interface PreparedRestore {
  members: Member[]
  clusterId: string
  index: number
  /** The member snapshot file's data, produced once (it does not name the local member). */
  chunks(): Iterable<Buffer>
  /** The member snapshot file once written for the first member: the others get a copy of it. */
  written?: string
  /** Complete once the first member's snapshot file has been written. */
  summary: { revision: number; compactRevision: number; revisions: number; keys: number; leases: number }
  verified: VerifyResult
  close(): void
}

function prepare(snapshotPath: string, cfg: Pick<RestoreConfig, 'initialCluster' | 'initialClusterToken'>, o: RestoreOptions): PreparedRestore {
  // Throws the specific BboltError (hash mismatch, truncated, not bbolt…) before anything is written.
  const verified = verifySnapshot(snapshotPath, { skipHashCheck: o.skipHashCheck ?? false, skipStatus: true })
  const members = plannedMembers(cfg)
  const clusterId = clusterIdFor(members.map((m) => m.ID))
  const index = members.length
  const confState = { voters: members.map((m) => m.ID), learners: [] }
  const reader = readEtcdSnapshot(openDb(snapshotPath))
  try {
    const sm = new StateMachine(clusterId, members[0]!.ID, 1)
    const leases = loadTables(reader, sm, members, clusterId)
    sm.startAt(index, RESTORE_TERM)
    const meta = reader.meta()
    const finished = Number(meta.finishedCompactRev?.main ?? 0n)
    const summary = { revision: 0, compactRevision: finished, revisions: 0, keys: 0, leases }
    const base = { members, clusterId, index, summary, verified, close: () => reader.close() }
    if (!o.bumpRevision && Number(meta.scheduledCompactRev?.main ?? 0n) <= finished) {
      // The common case: etcd's history converted as it streams to the file.
      return { ...base, chunks: () => snapshotFileChunks(confState, convertedState(reader, sm, finished, summary)) }
    }
    summary.revisions = loadState(reader, sm, o)
    summary.revision = sm.store.currentRev
    summary.compactRevision = sm.store.compactRev
    // '' to '' is every key (etcd's "\0" range end): the live ones at the newest revision.
    summary.keys = sm.store.rangeAt('', '', sm.store.currentRev, 1).count
    return {
      ...base,
      chunks: function* () {
        const frozen = sm.freeze()
        try {
          yield* snapshotFileChunks(confState, frozen)
        } finally {
          frozen.release()
        }
      },
    }
  } catch (err) {
    reader.close()
    throw err
  }
}

/** One member's data dir (and WAL dir), written beside the target and renamed into place. */
async function writeMemberDirs(p: PreparedRestore, localId: string, dataDirIn: string, walDirIn: string): Promise<{ dataDir: string; walDir: string }> {
  const dataDir = path.resolve(dataDirIn)
  const walDir = walDirIn ? path.resolve(walDirIn) : ''
  const tmpData = `${dataDir}.restoring-${process.pid}`
  const tmpWal = walDir ? `${walDir}.restoring-${process.pid}` : ''
  try {
    await fsp.mkdir(path.join(tmpData, 'member'), { recursive: true, mode: 0o700 })
    const snapshotter = new Snapshotter(path.join(tmpData, 'member', 'snap'))
    // Encoded and written in chunks (a state of any size, never one buffer of it), then copied.
    if (p.written) await snapshotter.copyFrom(p.written, p.index, RESTORE_TERM)
    else await snapshotter.save(p.index, RESTORE_TERM, p.chunks())
    const wal = await Wal.create(tmpWal || path.join(tmpData, 'member', 'wal'), { memberId: localId, clusterId: p.clusterId, initialMembers: p.members })
    try {
      // Hard state and snapshot mark: everything up to `index` is committed and covered by the snapshot.
      await wal.save({ term: RESTORE_TERM, vote: '0', commit: p.index }, [], true)
      await wal.saveSnapshot({ index: p.index, term: RESTORE_TERM })
    } finally {
      await wal.close()
    }
    if (tmpWal) {
      await fsp.rename(tmpWal, walDir)
      await fsyncDir(path.dirname(walDir))
    }
    await fsp.rename(tmpData, dataDir)
    await fsyncDir(path.dirname(dataDir))
    p.written ??= new Snapshotter(path.join(dataDir, 'member', 'snap')).fileFor(RESTORE_TERM, p.index)
  } catch (err) {
    await fsp.rm(tmpData, { recursive: true, force: true })
    if (tmpWal) await fsp.rm(tmpWal, { recursive: true, force: true })
    if (walDir && !exists(dataDir)) await fsp.rm(walDir, { recursive: true, force: true })
    throw err
  }
  return { dataDir, walDir: walDir || path.join(dataDir, 'member', 'wal') }
}

/** Restores `snapshotPath` into the data dir (and WAL dir) of the member that `cfg` names (etcdctl's restore). */
export async function restoreSnapshot(snapshotPath: string, cfg: RestoreConfig, o: RestoreOptions = {}): Promise<RestoreResult> {
  checkInput(cfg, o)
  const localId = memberIdFor(cfg.initialAdvertisePeerUrls, cfg.initialClusterToken)
  if (!plannedMembers(cfg).some((m) => m.ID === localId)) throw new RestoreInputError(`couldn't find local name "${cfg.name}" in the initial cluster configuration`)
  const p = prepare(snapshotPath, cfg, o)
  let dirs
  try {
    dirs = await writeMemberDirs(p, localId, cfg.dataDir, cfg.walDir)
  } finally {
    p.close()
  }
  return { ...dirs, memberId: localId, clusterId: p.clusterId, members: p.members, index: p.index, term: RESTORE_TERM, ...p.summary, verified: p.verified }
}

export interface ClusterRestorePlan {
  initialCluster: Map<string, string[]>
  initialClusterToken: string
  /** Data dir per member name (every name of initialCluster). */
  dataDirs: Map<string, string>
}

/**
 * Every member of a new N-member cluster at once (what a playground restore needs): the snapshot is
 * verified and read once, then each data dir is written. All or nothing: if one write fails, the
 * dirs already written are removed again.
 */
export async function restoreCluster(snapshotPath: string, plan: ClusterRestorePlan, o: RestoreOptions = {}): Promise<RestoreResult[]> {
  const names = [...plan.initialCluster.keys()]
  for (const name of names) {
    const dataDir = plan.dataDirs.get(name)
    if (!dataDir) throw new RestoreInputError(`no data dir given for member "${name}"`)
    checkInput({ name, dataDir, walDir: '', initialCluster: plan.initialCluster, initialClusterToken: plan.initialClusterToken, initialAdvertisePeerUrls: plan.initialCluster.get(name)! }, o)
  }
  const p = prepare(snapshotPath, plan, o)
  const done: RestoreResult[] = []
  try {
    for (const m of p.members) {
      const dirs = await writeMemberDirs(p, m.ID, plan.dataDirs.get(m.name)!, '')
      done.push({ ...dirs, memberId: m.ID, clusterId: p.clusterId, members: p.members, index: p.index, term: RESTORE_TERM, ...p.summary, verified: p.verified })
    }
  } catch (err) {
    for (const d of done) await fsp.rm(d.dataDir, { recursive: true, force: true })
    throw err
  } finally {
    p.close()
  }
  return done
}
