/**
 * Server side of one Watch RPC stream (etcd's serverWatchStream): many watchers multiplexed on
 * one bidirectional stream, each created, replayed from a start revision, fed as revisions are
 * applied, and cancelled by the client or by compaction.
 */
import { rangeEnd } from '../mvcc/keyIndex'
import type { MvccStore } from '../mvcc/store'
import { toKeyValue, type KeyRevision, type MvccEvent } from '../mvcc/types'
import type { ResponseHeader } from '../server/pb'
import { wants, type Watcher } from './watcher'

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

export interface WatchStreamOptions {
  store: MvccStore
  header: (rev: number) => ResponseHeader
  send: (r: WatchResponse) => void
  /** Responses larger than this are split when the watcher allows fragmentation. */
  maxResponseBytes: number
  /** Interval for progress notifications to watchers that asked for them. */
  progressIntervalMs: number
  /** Checks read permission on a watch range; throws the etcd error to report. */
  authorize?: (key: string, end: string | undefined) => void
}

export class WatchStream {
  private readonly watchers = new Map<string, Watcher>()
  private nextId = 0
  private readonly unsubscribe: () => void
  private readonly progressTimer: NodeJS.Timeout

  constructor(private readonly o: WatchStreamOptions) {
    this.unsubscribe = o.store.onCommit((events, rev) => this.onCommit(events, rev))
    this.progressTimer = setInterval(() => this.progressTick(), o.progressIntervalMs)
    this.progressTimer.unref()
  }

  handle(req: WatchRequest): void {
    if (req.create_request) this.create(req.create_request)
    else if (req.cancel_request) this.cancel(req.cancel_request.watch_id)
    else if (req.progress_request) {
      // Not tied to a watcher: -1 tells the client to deliver it to every watcher on the stream.
      this.o.send({ header: this.o.header(this.o.store.currentRev), watch_id: '-1' })
    }
  }

  private create(c: WatchCreateRequest): void {
    const store = this.o.store
    let id = c.watch_id && c.watch_id !== '0' ? c.watch_id : undefined
    const header = this.o.header(store.currentRev)
    if (id !== undefined && this.watchers.has(id)) {
      this.o.send({ header, watch_id: id, created: true, canceled: true, cancel_reason: 'mvcc: duplicate watch ID provided on the WatchStream' })
      return
    }
    while (id === undefined) {
      const candidate = String(this.nextId++)
      if (!this.watchers.has(candidate)) id = candidate
    }
    const key = c.key.toString('latin1')
    const end = rangeEnd(c.range_end)
    if (this.o.authorize) {
      try {
        this.o.authorize(key, end)
      } catch (err) {
        this.o.send({ header, watch_id: id, created: true, canceled: true, cancel_reason: (err as Error).message })
        return
      }
    }
    const start = Number(c.start_revision)
    const w: Watcher = {
      id,
      key,
      end,
      prevKv: c.prev_kv,
      noPut: c.filters.includes('NOPUT'),
      noDelete: c.filters.includes('NODELETE'),
      progressNotify: c.progress_notify,
      fragment: c.fragment,
      nextRev: start > 0 ? start : store.currentRev + 1,
      sentSinceProgress: false,
    }
    this.o.send({ header, watch_id: id, created: true })
    if (start > 0 && w.nextRev < store.compactRev) {
      // The history it asks for is gone: cancel with the compaction revision (etcd's ErrCompacted).
      this.o.send({ header, watch_id: id, canceled: true, compact_revision: String(store.compactRev), cancel_reason: 'etcdserver: mvcc: required revision has been compacted' })
      return
    }
    this.watchers.set(id, w)
    if (w.nextRev <= store.currentRev) {
      const past = store.changesBetween(w.nextRev, store.currentRev)
      this.deliver(w, past.map((kv) => ({ type: kv.tombstone ? 'DELETE' : 'PUT', kv })), store.currentRev)
      w.nextRev = store.currentRev + 1
    }
  }

  private cancel(id: string): void {
    if (this.watchers.delete(id)) {
      this.o.send({ header: this.o.header(this.o.store.currentRev), watch_id: id, canceled: true })
    }
  }

  private onCommit(events: MvccEvent[], rev: number): void {
    for (const w of this.watchers.values()) {
      if (w.nextRev > rev) continue
      this.deliver(w, events, rev)
      w.nextRev = rev + 1
    }
  }

  private deliver(w: Watcher, events: MvccEvent[], rev: number): void {
    const mine = events.filter((e) => wants(w, e))
    if (mine.length === 0) return
    const out = mine.map((e) => {
      const ev: NonNullable<WatchResponse['events']>[number] = { type: e.type, kv: toKeyValue(e.kv) }
      if (w.prevKv) {
        const prev: KeyRevision | undefined = this.o.store.previousOf(e.kv)
        if (prev) ev.prev_kv = toKeyValue(prev)
      }
      return ev
    })
    w.sentSinceProgress = true
    const header = this.o.header(rev)
    if (!w.fragment) {
      this.o.send({ header, watch_id: w.id, events: out })
      return
    }
    // Split into responses under the size limit; all but the last carry fragment=true.
    let batch: typeof out = []
    let size = 0
    for (const ev of out) {
      const evSize = ev.kv.key.length + ev.kv.value.length + (ev.prev_kv ? ev.prev_kv.key.length + ev.prev_kv.value.length : 0) + 64
      if (batch.length && size + evSize > this.o.maxResponseBytes) {
        this.o.send({ header, watch_id: w.id, events: batch, fragment: true })
        batch = []
        size = 0
      }
      batch.push(ev)
      size += evSize
    }
    this.o.send({ header, watch_id: w.id, events: batch })
  }

  private progressTick(): void {
    for (const w of this.watchers.values()) {
      if (!w.progressNotify) continue
      if (!w.sentSinceProgress) this.o.send({ header: this.o.header(this.o.store.currentRev), watch_id: w.id })
      w.sentSinceProgress = false
    }
  }

  /** The client went away: stop following the store. */
  close(): void {
    this.unsubscribe()
    clearInterval(this.progressTimer)
    this.watchers.clear()
  }

  get size(): number {
    return this.watchers.size
  }
}
