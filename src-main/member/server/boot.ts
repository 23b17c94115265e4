/**
 * A member's durable state at start: who it is (dataDir.ts), the newest snapshot loaded into a
 * fresh state machine, and the WAL's entries after it in Raft's storage. Nothing runs yet: the
 * server wires what this returns.
 */
import path from 'node:path'
import { MemoryStorage, type Entry } from '../../raft/index'
import { quotaBytes, type MemberConfig } from '../config'
import { ValueSpill } from '../mvcc/valueSpill'
import { Snapshotter } from '../snap/snapshotter'
import type { Wal } from '../wal/wal'
import { openDataDir, StartError } from './dataDir'
import { readSnapshotFile, SNAPSHOT_DATA_IN_FILE } from './snapshotFile'
import { StateMachine } from './stateMachine'

export interface BootedMember {
  wal: Wal
  snapshotter: Snapshotter
  localId: string
  clusterId: string
  sm: StateMachine
  storage: MemoryStorage
  /** Index of the snapshot the state was loaded from (0: none). */
  snapshotIndex: number
  /** A new cluster's first start: Raft bootstraps its log with these voters. */
  bootstrapVoters: string[] | undefined
}

export async function bootMember(cfg: MemberConfig, log: (line: string) => void): Promise<BootedMember> {
  const memberDir = path.join(cfg.dataDir, 'member')
  const walDir = cfg.walDir || path.join(memberDir, 'wal')
  const snapshotter = new Snapshotter(path.join(memberDir, 'snap'))
  const t0 = performance.now()
  const boot = await openDataDir(cfg, walDir, log)
  const t1 = performance.now()
  const { wal, localId, clusterId, initialMembers, fresh, replay } = boot
  for (const m of initialMembers) if (m.ID === localId) m.name = cfg.name

  const minLeaseTTL = Math.ceil((1.5 * cfg.electionMs) / 1000)
  const sm = new StateMachine(clusterId, localId, minLeaseTTL, quotaBytes(cfg))
  for (const m of initialMembers) sm.cluster.add(m)
  // Old values to disk, as etcd's live in its bbolt file rather than in its heap (valueSpill.ts).
  sm.store.spillValuesTo(new ValueSpill(memberDir, log))

  const storage = new MemoryStorage()
  let snapshotIndex = 0
  const marked = replay?.snapshot.index ?? 0
  await snapshotter.removeTemporaries()
  // Streamed: a snapshot of any size loads chunk by chunk; a file whose CRC fails is set aside.
  const snap = await snapshotter.loadNewest(marked, async (chunks) => {
    const restore = sm.beginRestore()
    const confState = await readSnapshotFile(chunks, restore)
    restore.finish()
    return confState
  })
  if (marked > 0 && (!snap || snap.ref.index < marked)) {
    // The WAL dropped the entries before its snapshot mark; without that snapshot the state
    // would silently miss them.
    await wal.close()
    throw new StartError(`snapshot at index ${marked} is missing or corrupt in ${path.join(memberDir, 'snap')}; the WAL no longer holds the entries before it`)
  }
  const t2 = performance.now()
  if (snap) {
    storage.applySnapshot({ data: SNAPSHOT_DATA_IN_FILE, metadata: { index: snap.ref.index, term: snap.ref.term, confState: snap.value } })
    snapshotIndex = snap.ref.index
  }
  if (replay) {
    storage.setHardState(replay.hardState)
    storage.append(replay.entries.filter((e) => e.index > snapshotIndex).map((e) => ({ term: e.term, index: e.index, type: e.type as Entry['type'], data: e.data })))
  }
  if (snap || replay) {
    const t3 = performance.now()
    log(
      `boot: WAL read (${replay?.entries.length ?? 0} entries) in ${Math.round(t1 - t0)} ms; ` +
        (snap ? `snapshot at index ${snap.ref.index} loaded (${sm.store.keyCount()} keys, revision ${sm.store.currentRev}) in ${Math.round(t2 - t1)} ms; ` : 'no snapshot; ') +
        `${Math.round(t3 - t2)} ms to hand the log to Raft; process up ${Math.round(process.uptime() * 1000)} ms`,
    )
  }
  const bootstrapVoters = fresh && cfg.initialClusterState === 'new' ? initialMembers.map((m) => m.ID) : undefined
  return { wal, snapshotter, localId, clusterId, sm, storage, snapshotIndex, bootstrapVoters }
}
