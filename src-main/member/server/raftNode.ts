/**
 * Drives the Raft core with real I/O: the Ready loop (etcd's raftNode).
 *
 * For each Ready, in order:
 *  1. messages a leader may send before its own write go out at once (the leader's fsync runs in
 *     parallel with its followers', Raft thesis §10.2.1);
 *  2. a received snapshot is saved and installed; new entries and the hard state are appended to
 *     the WAL and fdatasync'ed once for the whole batch (group commit: proposals arriving while a
 *     write is in flight all land in the next Ready);
 *  3. the remaining messages (acknowledgements, votes) go out, now that what they promise is durable;
 *  4. committed entries are applied and read states released;
 *  5. advance, and take a snapshot every --snapshot-count applied entries.
 */
import {
  RawNode,
  canSendBeforePersist,
  type ConfChange,
  type ConfState,
  type Entry,
  type Message,
  type MemoryStorage,
  type ReadState,
  type SoftState,
  type Status,
} from '../../raft/index'
import type { PeerHandler, Transport } from '../peer/transport'
import type { Snapshotter } from '../snap/snapshotter'
import type { Wal } from '../wal/wal'
import type { EntryResult, MembershipEffect } from './stateMachine'

/** What the Ready loop needs of the state machine: it applies, the node only hands entries over. */
export interface AppliedState {
  readonly appliedIndex: number
  applyEntry(e: Entry): EntryResult
  /** Replace the whole state with a snapshot's data. */
  restore(data: Uint8Array): MembershipEffect
  /** The whole state as of the applied index. */
  snapshot(): Buffer
}

/** What the rest of the member hears from the Ready loop. */
export interface RaftNodeEvents {
  onSoftState(s: SoftState): void
  onReadStates(rs: readonly ReadState[]): void
  /**
   * A Ready was applied: what each entry asks of the member (in log order; a snapshot installed
   * from the leader comes first, as a result with only its membership).
   */
  onApplied(results: readonly EntryResult[], appliedIndex: number): void
  /** The end of every Ready, applied or not: Raft's state may have changed. */
  onReadyHandled(): void
  log(line: string): void
}

export interface RaftNodeOptions {
  node: RawNode
  storage: MemoryStorage
  wal: Wal
  snapshotter: Snapshotter
  stateMachine: AppliedState
  transport: Pick<Transport, 'send'>
  heartbeatMs: number
  snapshotCount: number
  /** Index of the newest snapshot on disk. */
  snapshotIndex: number
  /** Entries kept in memory behind a snapshot for slow followers (etcd keeps 5,000). */
  catchUpEntries?: number
  events: RaftNodeEvents
  /** A failure the member cannot go on from (a WAL or snapshot write failed). The node halts first. */
  onFatal(err: Error): void
}

/** Snapshot files hold the Raft configuration beside the state: `[u32 len][conf JSON][state]`. */
export function encodeSnapshotFile(confState: ConfState, state: Buffer): Buffer {
  const conf = Buffer.from(JSON.stringify(confState))
  const len = Buffer.allocUnsafe(4)
  len.writeUInt32LE(conf.length, 0)
  return Buffer.concat([len, conf, state])
}

export function decodeSnapshotFile(data: Buffer): { confState: ConfState; state: Buffer } {
  const len = data.readUInt32LE(0)
  return { confState: JSON.parse(data.subarray(4, 4 + len).toString()) as ConfState, state: data.subarray(4 + len) }
}

export class RaftNode implements PeerHandler {
  readonly node: RawNode
  private readonly o: RaftNodeOptions
  private ticker: NodeJS.Timeout | undefined
  private started = false
  private running = false
  private scheduled = false
  private stopped = false
  private snapshotIndex: number
  private loopDone: Promise<void> = Promise.resolve()
  /** fsync batches and entries written, for the debug stream. */
  readonly stats = { readies: 0, entries: 0, snapshots: 0 }

  constructor(o: RaftNodeOptions) {
    this.o = o
    this.node = o.node
    this.snapshotIndex = o.snapshotIndex
  }

  start(): void {
    this.started = true
    this.ticker = setInterval(() => {
      this.node.tick()
      this.kick()
    }, this.o.heartbeatMs)
    this.kick()
  }

  /** Schedule the Ready loop (coalesced: many inputs in one turn make one Ready). */
  kick(): void {
    if (!this.started || this.scheduled || this.running || this.stopped) return
    this.scheduled = true
    setImmediate(() => {
      this.scheduled = false
      this.loopDone = this.run()
    })
  }

  private async run(): Promise<void> {
    if (this.running || this.stopped) return
    this.running = true
    try {
      while (!this.stopped && this.node.hasReady()) await this.handleReady()
    } catch (err) {
      // A failed disk write cannot be undone: stop rather than acknowledge anything more.
      this.halt()
      this.o.onFatal(err instanceof Error ? err : new Error(String(err)))
    } finally {
      this.running = false
    }
    if (!this.stopped && this.node.hasReady()) this.kick()
  }

  private halt(): void {
    this.stopped = true
    if (this.ticker) clearInterval(this.ticker)
  }

  private async handleReady(): Promise<void> {
    const rd = this.node.ready()
    const { events, stateMachine: sm } = this.o
    this.stats.readies++
    if (rd.softState) events.onSoftState(rd.softState)
    const early = rd.messages.filter(canSendBeforePersist)
    const late = early.length === rd.messages.length ? [] : rd.messages.filter((m) => !canSendBeforePersist(m))
    if (early.length) this.o.transport.send(early)

    const results: EntryResult[] = []
    if (rd.snapshot) {
      const s = rd.snapshot
      // Snapshot file, then its WAL mark, before the hard state whose commit may point into it:
      // a crash in between must not leave a commit index beyond the log (etcd's order too).
      await this.o.snapshotter.save(s.metadata.index, s.metadata.term, encodeSnapshotFile(s.metadata.confState, Buffer.from(s.data)))
      await this.o.wal.saveSnapshot({ index: s.metadata.index, term: s.metadata.term })
      this.o.storage.applySnapshot(s)
      results.push({ index: s.metadata.index, membership: sm.restore(s.data) })
      events.log(`applied snapshot at index ${s.metadata.index} from the leader`)
      this.snapshotIndex = s.metadata.index
    }
    if (rd.entries.length || rd.hardState) {
      await this.o.wal.save(rd.hardState, rd.entries, rd.mustSync)
      this.stats.entries += rd.entries.length
    }
    if (rd.hardState) this.o.storage.setHardState(rd.hardState)
    if (rd.entries.length) this.o.storage.append(rd.entries)
    if (late.length) this.o.transport.send(late)

    for (const e of rd.committedEntries) {
      const r = sm.applyEntry(e)
      if (r.confChange) this.node.applyConfChange(r.confChange)
      if (r.proposal || r.membership) results.push(r)
    }
    if (rd.readStates.length) events.onReadStates(rd.readStates)
    this.node.advance()
    if (rd.committedEntries.length || results.length) events.onApplied(results, sm.appliedIndex)
    events.onReadyHandled()
    if (sm.appliedIndex - this.snapshotIndex >= this.o.snapshotCount) await this.takeSnapshot()
  }

  /** Snapshot the state machine at the applied index, then compact the WAL and the in-memory log. */
  async takeSnapshot(): Promise<void> {
    const sm = this.o.stateMachine
    const index = sm.appliedIndex
    if (index <= this.snapshotIndex) return
    const confState = this.node.status().config
    const state = sm.snapshot()
    const snap = this.o.storage.createSnapshot(index, confState, state)
    await this.o.snapshotter.save(index, snap.metadata.term, encodeSnapshotFile(confState, state))
    await this.o.wal.saveSnapshot({ index, term: snap.metadata.term })
    this.snapshotIndex = index
    this.stats.snapshots++
    const keep = this.o.catchUpEntries ?? 5000
    const compactTo = index - keep
    if (compactTo > this.o.storage.firstIndex()) this.o.storage.compact(compactTo)
    this.o.events.log(`saved snapshot at index ${index}; compacted log to ${Math.max(compactTo, 0)}`)
  }

  propose(data: Uint8Array): boolean {
    const ok = this.node.propose(data)
    this.kick()
    return ok
  }

  proposeConfChange(cc: ConfChange): boolean {
    const ok = this.node.proposeConfChange(cc)
    this.kick()
    return ok
  }

  readIndex(ctx: Uint8Array): boolean {
    const ok = this.node.readIndex(ctx)
    this.kick()
    return ok
  }

  transferLeader(to: string): boolean {
    const ok = this.node.transferLeader(to)
    this.kick()
    return ok
  }

  /** A message from a peer (the transport calls this; it exists before the transport accepts anything). */
  step(m: Message): void {
    try {
      this.node.step(m)
    } catch (err) {
      this.o.events.log(`dropped message ${m.type} from ${m.from}: ${(err as Error).message}`)
    }
    this.kick()
  }

  reportUnreachable(id: string): void {
    this.node.reportUnreachable(id)
  }

  /** A snapshot message to `id` was delivered to its connection (ok) or failed. */
  reportSnapshot(id: string, ok: boolean): void {
    this.node.reportSnapshot(id, ok)
    this.kick()
  }

  status(): Status {
    return this.node.status()
  }

  /** The current term, without building a whole Status (every response header carries it). */
  get term(): number {
    return this.node.raft.term
  }

  get applied(): number {
    return this.o.stateMachine.appliedIndex
  }

  get snapshotAt(): number {
    return this.snapshotIndex
  }

  async stop(): Promise<void> {
    this.halt()
    await this.loopDone
  }
}
