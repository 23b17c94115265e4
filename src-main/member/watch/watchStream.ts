/**
 * Server side of one Watch RPC stream (etcd's serverWatchStream): many watchers multiplexed on
 * one bidirectional stream, each created, replayed from a start revision, fed as revisions are
 * applied, and cancelled by the client or by compaction.
 *
 * Flow control, as etcd's watchable store does it with synced, unsynced and victim watchers:
 *
 * - A watcher is *synced* while it has seen every revision: new revisions go to it as they are
 *   applied. Responses handed to gRPC but not yet written to the connection are counted in bytes,
 *   per stream and for the whole member (`WatchBudget`).
 * - When a stream's client does not read fast enough its queue fills; its watchers then stop
 *   taking new revisions and become *unsynced*, keeping only the next revision they need. Nothing
 *   more is buffered for them: memory does not grow with a slow or stuck client.
 * - Once the queue drains, unsynced watchers catch up from the store's history in batches of at
 *   most 1,000 revisions per response (etcd's watchBatchMaxRevs), one batch per turn of the event
 *   loop, until they are synced again.
 * - A watcher whose next revision was compacted away while it lagged is cancelled with the
 *   compaction revision, as etcd cancels a compacted watcher; the client may re-watch from there.
 * - A snapshot installed from the leader replaces the history under every watcher: all of them
 *   catch up from the new history the same way (or are cancelled if it no longer reaches back).
 */
import { rangeEnd } from '../mvcc/keyIndex'
import type { MvccStore } from '../mvcc/store'
import { toKeyValue, type KeyRevision, type MvccEvent } from '../mvcc/types'
import type { ResponseHeader } from '../server/pb'
import { STREAM_QUEUE_BYTES, WatchBudget } from './budget'
import { wants, type Watcher } from './watcher'

export { WatchBudget }

export interface WatchCreateRequest {
  key: Buffer
  range_end: Buffer
  start_revision: string
  progress_notify: boolean
  filters: Array<'NOPUT' | 'NODELETE'>
  prev_kv: boolean
  watch_id: string
  fragment: boolean
}

export interface WatchRequest {
  request_union?: 'create_request' | 'cancel_request' | 'progress_request'
  create_request?: WatchCreateRequest
  cancel_request?: { watch_id: string }
  progress_request?: object
}

export interface WatchResponse {
  header: ResponseHeader
  watch_id: string
  created?: boolean
  canceled?: boolean
  compact_revision?: string
  cancel_reason?: string
  fragment?: boolean
  events?: Array<{ type: 'PUT' | 'DELETE'; kv: ReturnType<typeof toKeyValue>; prev_kv?: ReturnType<typeof toKeyValue> }>
}

/** Revisions one catch-up response carries at most (etcd's watchBatchMaxRevs). */
export const CATCH_UP_MAX_REVISIONS = 1000

export interface WatchStreamOptions {
  store: MvccStore
  header: (rev: number) => ResponseHeader
  /**
   * Hands a response to the transport; `written` is called once it is on the connection (not
   * called if the stream is gone: close() forgets what was queued).
   */
  send: (r: WatchResponse, written: () => void) => void
  /** Responses larger than this are split when the watcher allows fragmentation. */
  maxResponseBytes: number
  /** Interval for progress notifications to watchers that asked for them. */
  progressIntervalMs: number
  /** Checks read permission on a watch range; throws the etcd error to report. */
  authorize?: (key: string, end: string | undefined) => void
  /** The member-wide queue budget (one per member); a stream alone gets its own. */
  budget?: WatchBudget
  /** Per-stream queue bound (tests make it small). */
  streamQueueBytes?: number
}

type Event = NonNullable<WatchResponse['events']>[number]

interface StreamWatcher extends Watcher {
  /** Has seen every applied revision: takes new ones as they come. */
  synced: boolean
}

export class WatchStream {
  private readonly watchers = new Map<string, StreamWatcher>()
  private nextId = 0
  private readonly unsubscribe: Array<() => void>
  private readonly progressTimer: NodeJS.Timeout
  private readonly budget: WatchBudget
  private readonly streamLimit: number
  /** Bytes handed to gRPC and not yet written. */
  private queued = 0
  private catchUpScheduled = false
  private closed = false

  constructor(private readonly o: WatchStreamOptions) {
    this.budget = o.budget ?? new WatchBudget()
    this.streamLimit = o.streamQueueBytes ?? STREAM_QUEUE_BYTES
    this.unsubscribe = [o.store.onCommit((events, rev) => this.onCommit(events, rev)), o.store.onRestore(() => this.onRestore())]
    this.progressTimer = setInterval(() => this.progressTick(), o.progressIntervalMs)
    this.progressTimer.unref()
  }

  handle(req: WatchRequest): void {
    if (this.closed) return
    if (req.create_request) this.create(req.create_request)
    else if (req.cancel_request) this.cancel(req.cancel_request.watch_id)
    else if (req.progress_request) {
      // Not tied to a watcher: -1 tells the client to deliver it to every watcher on the stream.
      this.send({ header: this.o.header(this.o.store.currentRev), watch_id: '-1' }, 0)
    }
  }

  /** The client is not keeping up: its queue is full, or the member's is. */
  private get congested(): boolean {
    return this.queued >= this.streamLimit || (this.queued > 0 && this.budget.queued >= this.budget.limit)
  }

  private send(r: WatchResponse, bytes: number): void {
    const size = bytes + 64
    this.queued += size
    this.budget.queued += size
    let done = false
    this.o.send(r, () => {
      if (done || this.closed) return
      done = true
      this.queued -= size
      this.budget.queued -= size
      if (!this.congested) this.scheduleCatchUp()
    })
  }

  private create(c: WatchCreateRequest): void {
    const store = this.o.store
    const header = this.o.header(store.currentRev)
    // etcd's answer to a watch it will not create: watch ID -1, created and canceled at once.
    const refuse = (reason: string): void => this.send({ header, watch_id: '-1', created: true, canceled: true, cancel_reason: reason }, 0)
    // An empty key is the smallest key, "\0" (etcd).
    const key = c.key.length === 0 ? '\u0000' : c.key.toString('latin1')
    const end = rangeEnd(c.range_end)
    if (this.o.authorize) {
      try {
        this.o.authorize(key, end)
      } catch (err) {
        refuse(watchCancelReason(err))
        return
      }
    }
    if (end !== undefined && end !== '' && key >= end) {
      refuse('mvcc: watcher range is empty')
      return
    }
    let id = c.watch_id && c.watch_id !== '0' ? c.watch_id : undefined
    if (id !== undefined && this.watchers.has(id)) {
      refuse('mvcc: duplicate watch ID provided on the WatchStream')
      return
    }
    while (id === undefined) {
      const candidate = String(this.nextId++)
      if (!this.watchers.has(candidate)) id = candidate
    }
    const start = Number(c.start_revision)
    const filters = Array.isArray(c.filters) ? c.filters : []
    const w: StreamWatcher = {
      id,
      key,
      end,
      prevKv: c.prev_kv,
      noPut: filters.includes('NOPUT'),
      noDelete: filters.includes('NODELETE'),
      progressNotify: c.progress_notify,
      fragment: c.fragment,
      // 0 is "from now"; a negative start reaches back before anything (etcd keeps it as given).
      nextRev: start === 0 ? store.currentRev + 1 : start,
      sentSinceProgress: false,
      synced: false,
    }
    this.send({ header, watch_id: id, created: true }, 0)
    this.watchers.set(id, w)
    // Replays what it asks for from the history (or is cancelled if that was compacted).
    this.catchUp(w)
    if (!w.synced && this.watchers.has(id)) this.scheduleCatchUp()
  }

  private cancel(id: string): void {
    if (this.watchers.delete(id)) {
      this.send({ header: this.o.header(this.o.store.currentRev), watch_id: id, canceled: true }, 0)
    }
  }

  private onCommit(events: MvccEvent[], rev: number): void {
    if (this.closed) return
    for (const w of this.watchers.values()) {
      if (!w.synced || w.nextRev > rev) continue
      if (this.congested) {
        // Falls behind rather than queueing more: it will catch up from the history.
        w.synced = false
        continue
      }
      this.deliver(w, events, rev)
      w.nextRev = rev + 1
    }
  }

  /** A snapshot from the leader replaced the store's history: every watcher catches up from it. */
  private onRestore(): void {
    if (this.closed) return
    for (const w of this.watchers.values()) w.synced = false
    this.scheduleCatchUp()
  }

  private scheduleCatchUp(): void {
    if (this.catchUpScheduled || this.closed) return
    let behind = false
    for (const w of this.watchers.values()) if (!w.synced) behind = true
    if (!behind) return
    this.catchUpScheduled = true
    setImmediate(() => {
      this.catchUpScheduled = false
      if (this.closed) return
      // One batch per lagging watcher per turn, while the client takes them.
      for (const w of [...this.watchers.values()]) {
        if (this.congested) return
        if (!w.synced && this.watchers.get(w.id) === w) this.catchUp(w)
      }
      this.scheduleCatchUp()
    })
  }

  /**
   * Sends the next batch of history a lagging watcher has not seen (at most
   * CATCH_UP_MAX_REVISIONS revisions), and marks it synced when that reaches the current revision.
   */
  private catchUp(w: StreamWatcher): void {
    const store = this.o.store
    // etcd's compaction revision is -1 until the first compaction.
    const compactRev = store.everCompacted ? store.compactRev : -1
    if (w.nextRev < compactRev) {
      // The history it needs is gone: cancel with the compaction revision (etcd's ErrCompacted).
      this.watchers.delete(w.id)
      // No reason text, as etcd: the compaction revision says it (clients report ErrCompacted).
      this.send({ header: this.o.header(store.currentRev), watch_id: w.id, canceled: true, compact_revision: String(compactRev) }, 0)
      return
    }
    const current = store.currentRev
    if (w.nextRev > current) {
      w.synced = true
      return
    }
    const batch: MvccEvent[] = []
    let revisions = 0
    let lastRev = 0
    let upTo = current
    for (const kv of store.changesFrom(w.nextRev, current)) {
      const ev: MvccEvent = { type: kv.tombstone ? 'DELETE' : 'PUT', kv }
      if (!wants(w, ev)) continue
      if (kv.mod !== lastRev) {
        if (revisions === CATCH_UP_MAX_REVISIONS) {
          // Stop before the first revision that does not fit; the rest is for the next batch.
          upTo = lastRev
          break
        }
        revisions++
        lastRev = kv.mod
      }
      batch.push(ev)
    }
    if (batch.length) this.deliver(w, batch, upTo)
    w.nextRev = upTo + 1
    if (upTo === current) w.synced = true
  }

  private deliver(w: Watcher, events: MvccEvent[], rev: number): void {
    const mine = events.filter((e) => wants(w, e))
    if (mine.length === 0) return
    let bytes = 0
    const out = mine.map((e) => {
      const ev: Event = { type: e.type, kv: toKeyValue(e.kv) }
      if (w.prevKv) {
        const prev: KeyRevision | undefined = this.o.store.previousOf(e.kv)
        if (prev) ev.prev_kv = toKeyValue(prev)
      }
      bytes += eventBytes(ev)
      return ev
    })
    w.sentSinceProgress = true
    const header = this.o.header(rev)
    if (!w.fragment) {
      this.send({ header, watch_id: w.id, events: out }, bytes)
      return
    }
    // Split into responses under the size limit; all but the last carry fragment=true.
    let batch: Event[] = []
    let size = 0
    for (const ev of out) {
      const evSize = eventBytes(ev)
      if (batch.length && size + evSize > this.o.maxResponseBytes) {
        this.send({ header, watch_id: w.id, events: batch, fragment: true }, size)
        batch = []
        size = 0
      }
      batch.push(ev)
      size += evSize
    }
    this.send({ header, watch_id: w.id, events: batch }, size)
  }

  private progressTick(): void {
    for (const w of this.watchers.values()) {
      if (!w.progressNotify || !w.synced) continue
      if (!w.sentSinceProgress) this.send({ header: this.o.header(this.o.store.currentRev), watch_id: w.id }, 0)
      w.sentSinceProgress = false
    }
  }

  /** The client went away: stop following the store and give back what was queued. */
  close(): void {
    if (this.closed) return
    this.closed = true
    for (const u of this.unsubscribe) u()
    clearInterval(this.progressTimer)
    this.watchers.clear()
    this.budget.queued -= this.queued
    this.queued = 0
  }

  get size(): number {
    return this.watchers.size
  }

  /** Watchers that are behind and catching up (for tests and the debug view). */
  get lagging(): number {
    let n = 0
    for (const w of this.watchers.values()) if (!w.synced) n++
    return n
  }

  /** Bytes handed to gRPC and not yet written. */
  get queuedBytes(): number {
    return this.queued
  }
}

/**
 * The cancel reason etcd gives a watch it may not create: the gRPC error's text, as Go prints it,
 * for a bad or stale token or a missing user; "permission denied" for everything else.
 */
function watchCancelReason(err: unknown): string {
  const m = err instanceof Error ? err.message : ''
  if (m === 'etcdserver: invalid auth token') return `rpc error: code = Unauthenticated desc = ${m}`
  if (m === 'etcdserver: revision of auth store is old' || m === 'etcdserver: user name is empty') return `rpc error: code = InvalidArgument desc = ${m}`
  return 'rpc error: code = PermissionDenied desc = etcdserver: permission denied'
}

function eventBytes(ev: Event): number {
  return ev.kv.key.length + ev.kv.value.length + (ev.prev_kv ? ev.prev_kv.key.length + ev.prev_kv.value.length : 0) + 64
}
