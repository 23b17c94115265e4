/**
 * Drives the Raft core with real I/O: the Ready loop (etcd's raftNode).
 *
 * For each Ready, in order:
 *  1. a snapshot received from the leader (already on disk: the transport streamed it into the snap
 *     dir) gets its WAL mark, Raft's storage moves to it, and its install is queued for the applier;
 *  2. new entries and the hard state go to the WAL, fdatasync'ed once for the whole batch (group
 *     commit: proposals arriving while a write is in flight all land in the next Ready);
 *  3. messages a leader may send before its own write is durable go out as soon as that write is
 *     handed to the thread pool: the leader's fsync runs in parallel with its followers' (Raft
 *     thesis §10.2.1). The write starts first because sending is synchronous socket writes on this
 *     thread, and each wakes a follower that may take this thread's core (etcd's sends only queue
 *     to other goroutines). While the write is in flight, committed entries that are already
 *     durable here are applied: the commit of one batch overlaps the fsync of the next, as etcd's
 *     apply goroutine does. A leader's appends that carry only a new commit index are held a moment
 *     instead, for the next append to carry (commitNotices.ts);
 *  4. the remaining messages (acknowledgements, votes) go out, now that what they promise is durable;
 *  5. committed entries of this very Ready (a single-member cluster, or a follower told the commit
 *     index with the entries) are applied after the write, read states released, and Raft advanced.
 *
 * The applier is a queue: a few entries are applied at once when it is idle, a Ready's batch under
 * load a chunk per turn of the event loop (LIVE_BATCH), and entries wait behind a snapshot
 * being installed (which reads its file in chunks over many turns of the event loop) while the Ready
 * loop keeps persisting and answering the leader, so a large install never silences a member.
 * Snapshots of this member's own state are written in the background the same way, every
 * --snapshot-count applied entries, each member at its own phase of that cycle (nextSnapshotAt).
 */
import {
  EntryType,
  RawNode,
  canSendBeforePersist,
  type ConfChange,
  type Entry,
  type Message,
  type MemoryStorage,
  type ReadState,
  type Snapshot,
  type SoftState,
  type Status,
} from '../../raft/index'
import { ByteArena, LOG_SLAB_BYTES } from '../byteArena'
import type { PeerHandler, Transport } from '../peer/transport'
import type { Snapshotter } from '../snap/snapshotter'
import type { Wal } from '../wal/wal'
import { ANSWERS_PER_TURN } from './answersPerTurn'
import { CommitNotices } from './commitNotices'
import { readSnapshotFile, SNAPSHOT_DATA_IN_FILE, snapshotFileChunks } from './snapshotFile'
import type { FrozenState } from './stateCodec'
import type { EntryResult, MembershipEffect } from './stateMachine'

/** What the Ready loop needs of the state machine: it applies, the node only hands entries over. */
export interface AppliedState {
  readonly appliedIndex: number
  applyEntry(e: Entry): EntryResult
  /** Replace the whole state with a snapshot's, fed in chunks; finish() swaps it in. */
  beginRestore(): { push(chunk: Uint8Array): void; finish(): MembershipEffect }
  /** The state now, for a snapshot written in the background. */
  freeze(): FrozenState
  /** The log no longer holds the memory `released` names: values still in it should move out. */
  logMemoryReleased(released: (b: ArrayBufferLike) => boolean): void
}

/** What the rest of the member hears from the Ready loop. */
export interface RaftNodeEvents {
  onSoftState(s: SoftState): void
  onReadStates(rs: readonly ReadState[]): void
  /**
   * Entries were applied: what each asks of the member (in log order; an installed snapshot comes
   * as a result with only its membership).
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

/** Committed entries waiting behind an install beyond which the Ready loop waits for the applier. */
const MAX_QUEUED_ENTRIES = 50_000
/** Apply at most this long at a time when catching up on a queue. */
const APPLY_SLICE_MS = 10

type ApplyItem = { snapshot: Snapshot } | { entries: readonly Entry[] }

/** The fewest entries between two snapshots of a member's own (nextSnapshotAt). */
const minSnapshotGap = (count: number): number => Math.max(1, Math.floor(count / 4))

/**
 * The applied index at which a member takes its next snapshot of its own state, given the index of
 * its last one. Snapshots come every `count` entries, as etcd's do, but each member at its own
 * phase of that cycle: the `rank`-th of `members` (by ID) at rank/members of the way through it.
 *
 * Why: every member applies the same entries, so with one cycle for all they wrote their snapshots
 * in the same second. Ours is the whole state (etcd's is small: its data is already in its bbolt
 * file), so on the playground's one machine three members encoded and wrote 90 MB each at once, and
 * writes at 256 clients fell to half their pace for a second in every cycle (docs/member.md,
 * "Snapshots one member at a time"). Apart, they cost the cluster one member's share at a time, and
 * the other two still make a quorum.
 *
 * The gap after the last snapshot is never more than `count` (the flag's promise) and at least a
 * quarter of it, so a snapshot from the leader or a restart does not bring two in quick succession;
 * the member is in phase again by its second snapshot after one at any other index.
 */
export function nextSnapshotAt(last: number, count: number, rank: number, members: number): number {
  const phase = members > 1 ? Math.floor((rank * count) / members) : 0
  const from = last + minSnapshotGap(count)
  const atPhase = from + ((((phase - from) % count) + count) % count)
  // No point of the phase within a cycle of the last snapshot (it came just after one): this one
  // early, and the next at the phase.
  return atPhase <= last + count ? atPhase : from
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r))

/** Entries applied between two looks at the clock while applying in slices; a live batch's chunk. */
const APPLY_CHUNK = ANSWERS_PER_TURN
/** A batch up to this size is applied at once. */
const APPLY_AT_ONCE = APPLY_CHUNK
/**
 * A longer batch up to this size is what one Ready commits under load: applied a chunk per turn of
 * the event loop, so the answers to its first entries leave (Node writes them on the next turn)
 * while the rest is applied, and the clients work on them meanwhile. Applied in one go, a leader's
 * batch of 64–256 puts went out as one burst after the last apply, with the clients idle until
 * then. A batch longer still (a restart replaying its log) is applied in slices of APPLY_SLICE_MS.
 */
const LIVE_BATCH = 256

/**
 * Applies `entries` in order, `APPLY_CHUNK` at a time, and gives the event loop a turn after each
 * stretch of about `sliceMs` (0: after every chunk): a long queue (a restart replaying its log, the
 * entries that arrived behind a snapshot install) never holds the thread much longer than a slice.
 * Stops between stretches once `stopped()` says so.
 */
export async function applyInSlices(entries: readonly Entry[], apply: (chunk: readonly Entry[]) => void, stopped: () => boolean, sliceMs = APPLY_SLICE_MS): Promise<void> {
  let from = 0
  while (from < entries.length && !stopped()) {
    const t0 = performance.now()
    do {
      const to = Math.min(entries.length, from + APPLY_CHUNK)
      apply(from === 0 && to === entries.length ? entries : entries.slice(from, to))
      from = to
    } while (from < entries.length && performance.now() - t0 < sliceMs)
    if (from < entries.length) await turn()
  }
}

/**
 * An entry as Raft's storage keeps it: its data copied into an arena, away from the buffer it came
 * in, and held as a range of the arena's slab rather than as a view of its own (~96 bytes per
 * entry, for up to --snapshot-count entries). Each read of `data` is a fresh view.
 */
class KeptEntry implements Entry {
  private readonly bytes: ArrayBufferLike
  private readonly at: number
  private readonly length: number

  constructor(
    readonly term: number,
    readonly index: number,
    readonly type: Entry['type'],
    data: Uint8Array,
  ) {
    this.bytes = data.buffer
    this.at = data.byteOffset
    this.length = data.length
  }

  get data(): Buffer {
    return Buffer.from(this.bytes, this.at, this.length)
  }

  /** The memory the data is in. */
  get memory(): ArrayBufferLike {
    return this.bytes
  }
}

/** `e` as Raft's storage keeps it (KeptEntry). */
export function keptEntry(e: Entry, arena: ByteArena): Entry {
  return new KeptEntry(e.term, e.index, e.type, arena.copy(e.data))
}

/** The member stopped while a snapshot was being read or written. */
export class StoppedError extends Error {}

function* stoppable<T>(it: Iterable<T>, stopped: () => boolean): Generator<T> {
  for (const x of it) {
    if (stopped()) throw new StoppedError('stopped')
    yield x
  }
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
  /** nextSnapshotAt for the current snapshotIndex, worked out when first needed after it moved. */
  private snapshotDue: { after: number; at: number } | undefined
  private loopDone: Promise<void> = Promise.resolve()
  /** Work for the applier that could not be done at once (behind an install). */
  private readonly queue: ApplyItem[] = []
  private queuedEntries = 0
  private draining: Promise<void> | undefined
  private snapshotting: Promise<void> | undefined
  /** Index of the last entry known durable in this member's WAL. */
  private persistedIndex: number
  /** fsync batches and entries written, for the debug stream. */
  readonly stats = { readies: 0, entries: 0, snapshots: 0 }
  /** A leader's commit-only appends, held briefly for the next append to carry (commitNotices.ts). */
  private readonly notices: CommitNotices
  /**
   * Where the log's entries keep their data: Raft's storage holds up to --snapshot-count of them,
   * and data encoded or decoded into Node's shared buffer pool would keep its slabs alive that long.
   * Slabs of their own memory mapping each (LOG_SLAB_BYTES), apart from malloc's heap where the
   * requests' short-lived buffers come and go: kept bytes among those left malloc's heap unable to
   * shrink after a load (docs/member.md, "The log's bytes in memory of their own").
   */
  private readonly logBytes = new ByteArena(LOG_SLAB_BYTES)

  constructor(o: RaftNodeOptions) {
    this.o = o
    this.node = o.node
    this.snapshotIndex = o.snapshotIndex
    this.persistedIndex = o.storage.lastIndex()
    this.notices = new CommitNotices((ms) => {
      if (!this.stopped) o.transport.send(ms)
    })
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
      while (!this.stopped && this.node.hasReady()) {
        // Backpressure: a long install holds committed entries; do not pile up more than this.
        if (this.queuedEntries > MAX_QUEUED_ENTRIES && this.draining) await this.draining
        await this.handleReady()
      }
    } catch (err) {
      this.fail(err)
    } finally {
      this.running = false
    }
    if (!this.stopped && this.node.hasReady()) this.kick()
  }

  /** A failed disk write cannot be undone: stop rather than acknowledge anything more. */
  private fail(err: unknown): void {
    if (this.stopped) return
    this.halt()
    this.o.onFatal(err instanceof Error ? err : new Error(String(err)))
  }

  private halt(): void {
    this.stopped = true
    if (this.ticker) clearInterval(this.ticker)
    this.notices.clear()
  }

  private async handleReady(): Promise<void> {
    const rd = this.node.ready()
    const { events, wal, storage } = this.o
    this.stats.readies++
    if (rd.softState) events.onSoftState(rd.softState)
    const early = rd.messages.filter(canSendBeforePersist)
    const late = early.length === rd.messages.length ? [] : rd.messages.filter((m) => !canSendBeforePersist(m))

    if (rd.snapshot) {
      const s = rd.snapshot
      // The transport wrote the file before Raft saw the message. Its WAL mark comes before the
      // hard state whose commit may point into it: a crash in between must not leave a commit
      // index beyond the log (etcd's order too).
      await wal.saveSnapshot({ index: s.metadata.index, term: s.metadata.term })
      storage.applySnapshot({ data: SNAPSHOT_DATA_IN_FILE, metadata: s.metadata })
      this.snapshotIndex = s.metadata.index
      this.persistedIndex = Math.max(this.persistedIndex, s.metadata.index)
      this.enqueue({ snapshot: s })
    }

    // Entries committed and already durable here are applied while this Ready's write is in flight.
    // (Not those this Ready writes: a follower may be told of their commit along with them.)
    const committed = rd.committedEntries
    const durable = rd.entries.length ? Math.min(this.persistedIndex, rd.entries[0]!.index - 1) : this.persistedIndex
    let split = 0
    while (split < committed.length && committed[split]!.index <= durable) split++
    let write: Promise<void> | undefined
    if (rd.entries.length || rd.hardState) {
      write = wal.save(rd.hardState, rd.entries, rd.mustSync)
      // A rejection is handled where it is awaited, below.
      write.catch(() => {})
    }
    if (early.length) this.sendNow(early)
    if (split > 0) this.enqueue({ entries: split === committed.length ? committed : committed.slice(0, split) })
    if (write) {
      await write
      this.stats.entries += rd.entries.length
    }
    if (rd.hardState) storage.setHardState(rd.hardState)
    if (rd.entries.length) {
      storage.append(rd.entries.map((e) => keptEntry(e, this.logBytes)))
      this.persistedIndex = rd.entries[rd.entries.length - 1]!.index
    }
    if (late.length) this.sendNow(late)
    if (split < committed.length) this.enqueue({ entries: committed.slice(split) })
    if (rd.readStates.length) events.onReadStates(rd.readStates)
    this.node.advance()
    events.onReadyHandled()
    this.maybeSnapshot()
  }

  private sendNow(messages: readonly Message[]): void {
    const out = this.notices.route(messages)
    if (out.length) this.o.transport.send(out)
  }

  // ---- the applier ----

  /** Applies at once when nothing waits before it; otherwise queues (behind an install, or in slices). */
  private enqueue(item: ApplyItem): void {
    if (!this.draining && 'entries' in item && item.entries.length <= APPLY_AT_ONCE) {
      this.applyEntries(item.entries)
      return
    }
    this.queue.push(item)
    if ('entries' in item) this.queuedEntries += item.entries.length
    if (!this.draining) {
      this.draining = this.drain()
        .catch((err) => this.fail(err))
        .finally(() => {
          this.draining = undefined
        })
    }
  }

  private async drain(): Promise<void> {
    while (this.queue.length && !this.stopped) {
      const item = this.queue.shift()!
      if ('snapshot' in item) {
        await this.install(item.snapshot)
        continue
      }
      this.queuedEntries -= item.entries.length
      // A Ready's batch a chunk per turn (its first answers leave meanwhile); a longer one, a
      // restart's replay or what waited behind an install, in slices: the Ready loop and the
      // clients get their turns either way.
      await applyInSlices(item.entries, (chunk) => this.applyEntries(chunk), () => this.stopped, item.entries.length <= LIVE_BATCH ? 0 : APPLY_SLICE_MS)
    }
    this.maybeSnapshot()
  }

  private applyEntries(entries: readonly Entry[]): void {
    const sm = this.o.stateMachine
    const results: EntryResult[] = []
    for (const e of entries) {
      if (e.type === EntryType.ConfChange) this.notices.release()
      const r = sm.applyEntry(e)
      if (r.confChange) this.node.applyConfChange(r.confChange)
      if (r.proposal || r.membership) results.push(r)
    }
    if (entries.length) this.o.events.onApplied(results, sm.appliedIndex)
  }

  /** Replaces the state with a snapshot file's, read and decoded in chunks. */
  private async install(s: Snapshot): Promise<void> {
    const sm = this.o.stateMachine
    if (s.metadata.index <= sm.appliedIndex) return
    const t0 = performance.now()
    const restore = sm.beginRestore()
    const ref = { index: s.metadata.index, term: s.metadata.term, file: this.o.snapshotter.fileFor(s.metadata.term, s.metadata.index) }
    await readSnapshotFile(this.o.snapshotter.read(ref), restore, () => this.stopped)
    const membership = restore.finish()
    this.o.events.log(`applied snapshot at index ${s.metadata.index} from the leader (${Math.round(performance.now() - t0)} ms)`)
    this.o.events.onApplied([{ index: s.metadata.index, membership }], sm.appliedIndex)
  }

  // ---- snapshots of this member's state ----

  private maybeSnapshot(): void {
    if (this.snapshotting || this.draining || this.stopped) return
    const applied = this.o.stateMachine.appliedIndex
    const count = this.o.snapshotCount
    // Nothing can be due before a quarter of the cycle: no need to look at the membership yet.
    if (applied - this.snapshotIndex < minSnapshotGap(count)) return
    if (this.snapshotDue?.after !== this.snapshotIndex) {
      const st = this.node.status()
      const ids = [...st.config.voters, ...st.config.learners].sort()
      this.snapshotDue = { after: this.snapshotIndex, at: nextSnapshotAt(this.snapshotIndex, count, Math.max(0, ids.indexOf(st.id)), ids.length) }
    }
    if (applied < this.snapshotDue.at) return
    this.snapshotting = this.takeSnapshot()
      .catch((err) => this.fail(err))
      .finally(() => {
        this.snapshotting = undefined
      })
  }

  /**
   * Snapshot the state machine at the applied index, then compact the WAL and the in-memory log.
   * The state is frozen at once and written over many turns of the event loop while the node runs.
   */
  async takeSnapshot(): Promise<void> {
    const sm = this.o.stateMachine
    const index = sm.appliedIndex
    if (index <= this.snapshotIndex) return
    const term = this.o.storage.term(index)
    // The configuration as of the applied index: conf changes are applied to Raft as they are applied.
    const confState = this.node.status().config
    const frozen = sm.freeze()
    let bytes: number
    try {
      // The snapshotter is done with a chunk (written) when it pulls the next: one buffer serves all.
      bytes = await this.o.snapshotter.save(index, term, stoppable(snapshotFileChunks(confState, frozen, true), () => this.stopped))
    } finally {
      frozen.release()
    }
    // A snapshot from the leader may have overtaken this one while it was written.
    if (index <= this.snapshotIndex || this.stopped) return
    await this.o.wal.saveSnapshot({ index, term })
    if (index <= this.snapshotIndex) return
    this.snapshotIndex = index
    this.stats.snapshots++
    const storage = this.o.storage
    if (index > storage.snapshot().metadata.index) storage.createSnapshot(index, confState, SNAPSHOT_DATA_IN_FILE)
    const keep = this.o.catchUpEntries ?? 5000
    const compactTo = index - keep
    if (compactTo > storage.firstIndex()) {
      storage.compact(compactTo)
      this.releaseLogMemory()
    }
    this.o.events.log(`saved snapshot at index ${index} (${bytes} bytes); compacted log to ${Math.max(compactTo, 0)}`)
  }

  /**
   * After the log dropped its oldest entries: the arena's slabs made before the one its first entry
   * is in hold no entry any more, and the live values in them are moved out (the state machine does
   * it in the background), so those slabs can go.
   */
  private releaseLogMemory(): void {
    const storage = this.o.storage
    const first = storage.firstIndex()
    if (first > storage.lastIndex()) return
    const e = storage.entries(first, first + 1, Infinity)[0]
    const order = e instanceof KeptEntry ? this.logBytes.orderOf(e.memory) : undefined
    if (order === undefined) return
    const arena = this.logBytes
    this.o.stateMachine.logMemoryReleased((b) => {
      const o = arena.orderOf(b)
      return o !== undefined && o < order
    })
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

  /** Resolves once queued applies (a snapshot install included) and a snapshot being written are done. */
  async settled(): Promise<void> {
    while (this.draining || this.snapshotting) await (this.draining ?? this.snapshotting)
  }

  async stop(): Promise<void> {
    this.halt()
    await this.loopDone
    await this.draining
    await this.snapshotting
  }
}
