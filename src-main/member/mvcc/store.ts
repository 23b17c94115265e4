/**
 * The MVCC key-value store with etcd's semantics, held in memory and made durable by the WAL and
 * snapshots (the state machine is rebuilt from the newest snapshot and the WAL on start).
 *
 * - One global main revision; it starts at 1 and each write transaction that changes something
 *   takes the next one. Changes inside one transaction share it and are ordered by `sub`.
 * - Per key: create revision, mod revision and version; a delete leaves a tombstone that ends
 *   the key's current "generation".
 * - Reads at any revision >= the compaction revision.
 *
 * Compaction has two halves, as in etcd. The logical half runs when the entry is applied: the
 * compaction revision moves, reads below it fail, and the watch log is cut. The physical half drops
 * what no read at or after the compaction revision can see; it walks every key, so a member runs it
 * in the background in short slices (`backgroundCompaction`), never in one long step on the Raft
 * loop. Nothing observable depends on how far it got: reads, HashKV and snapshots all apply the
 * compaction rule themselves.
 *
 * Revision objects are never changed once committed, so a frozen view (`view()`) is a consistent
 * picture of the store at one applied index while writes go on: it holds the key index, the history
 * map and the watch log as they were, and physical compaction waits while a view is open.
 */
import { ByteArena, isKept } from '../byteArena'
import { Errors } from '../errors'
import { hashKV as etcdHashKV, hashKVOfView } from './hash'
import { KeyIndex } from './keyIndex'
import { KeyMap, type ReadonlyKeyMap } from './keyMap'
import { RevisionLog, type FrozenRevisions } from './revisionLog'
import { KeyRevision, type MvccEvent } from './types'
import { SpillQueue } from './spillQueue'
import type { ValueSpill } from './valueSpill'

export interface RangeOptions {
  /** <= 0: newest. */
  rev?: number
  /** 0: no limit. */
  limit?: number
}

export interface RangeResult {
  kvs: KeyRevision[]
  /** Number of keys in the range at that revision, regardless of limit. */
  count: number
  rev: number
}

export type CommitListener = (events: MvccEvent[], rev: number) => void

/** What one slice of background work did: finished, has more, or must wait (a frozen view is open). */
export type StepResult = 'done' | 'more' | 'blocked'

/** Runs `step` later and again until it says 'done' (the member's slicer); tests use none. */
export type BackgroundRunner = (step: () => StepResult) => void

/** Index keys looked at per batch of StoreView.survivorBatches. */
const SURVIVOR_BATCH = 1024
/** Keys examined per physical compaction step. */
const COMPACT_KEYS_PER_STEP = 2000
/** Keys examined per step of promoteLiveValues. */
const PROMOTE_KEYS_PER_STEP = 2000
/**
 * Bytes of superseded values kept in memory before the oldest are spilled: the recent history (a
 * watcher's prev_kv, reads just behind the head) stays, and so does all of a modest one. Spilling
 * writes as much to the disk again as the WAL does, and on a disk shared with the WAL that shows in
 * its sync times (docs/member.md, "History on disk, and a value kept once"), so it starts only once
 * the history is worth it.
 */
export const SPILL_KEEP_BYTES = 32 * 1024 * 1024
/** Spilled at a time, in one write: about this many bytes, at most SPILL_BATCH values. */
export const SPILL_BATCH_BYTES = 512 * 1024
export const SPILL_BATCH = 4096
/** Values shorter than this are not worth a read from a file. */
export const SPILL_MIN_BYTES = 64

export class MvccStore {
  /** History per key, oldest first. */
  private history = new KeyMap<KeyRevision[]>()
  private index = new KeyIndex()
  /** Every change with main revision >= the compaction revision, in (mod, sub) order. */
  private changes = new RevisionLog()
  private leaseKeys = new Map<string, Set<string>>()
  private readonly listeners = new Set<CommitListener>()
  private readonly restoreListeners = new Set<() => void>()
  currentRev = 1
  compactRev = 0
  /**
   * A compaction happened (etcd's compactMainRev is -1 until then): compacting to revision 0 is
   * allowed once on a fresh store, as in etcd, and HashKV reports -1 until the first compaction.
   */
  everCompacted = false
  /** Running total for sizeInUse(): checked before every write (quota), so it must be O(1). */
  private bytes = 0
  /** Physical compaction owed up to this revision (0: none); it resumes after `compactCursor`. */
  private physicalRev = 0
  private compactCursor: string | undefined
  private openViews = 0
  private runner: BackgroundRunner | undefined
  private compactionScheduled = false
  /** Waiting for physical compaction to finish (Compact with physical: true). */
  private compactedWaiters: Array<() => void> = []
  /** Where written values are copied to, so that they do not keep the buffers they came in alive. */
  readonly values = new ByteArena()
  /** Where superseded values go (spillValuesTo); none: they stay in memory. */
  private spill: ValueSpill | undefined
  /** Superseded revisions, oldest first: the next to be spilled. */
  private queued = new SpillQueue()
  private spillKeepBytes = SPILL_KEEP_BYTES
  /** Memory the live values are being moved out of (promoteLiveValues), and the walk's position. */
  private promoting: { released: (b: ArrayBufferLike) => boolean; after: string | undefined } | undefined

  onCommit(listener: CommitListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Called after the whole store was replaced by a snapshot (watchers must catch up from it). */
  onRestore(listener: () => void): () => void {
    this.restoreListeners.add(listener)
    return () => this.restoreListeners.delete(listener)
  }

  /**
   * From now on physical compaction runs through `runner` in slices (the member's event loop);
   * without a runner it runs to completion inside `compact()`.
   */
  backgroundCompaction(runner: BackgroundRunner): void {
    this.runner = runner
  }

  /**
   * From now on the values of superseded revisions are moved to `spill`'s files, oldest first, while
   * more than `keepBytes` of them are in memory (SPILL_KEEP_BYTES; tests pass less), a batch at a
   * time as writes commit.
   */
  spillValuesTo(spill: ValueSpill, keepBytes = SPILL_KEEP_BYTES): void {
    this.spill = spill
    this.spillKeepBytes = keepBytes
  }

  /** Superseded revisions (by the change at `rev`) join the spill queue; the oldest go once it holds enough. */
  private queueSuperseded(spill: ValueSpill, superseded: readonly KeyRevision[], rev: number): void {
    for (const prev of superseded) if (prev.valueLength >= SPILL_MIN_BYTES) this.queued.push(prev, rev)
    if (this.queued.bytes < this.spillKeepBytes + SPILL_BATCH_BYTES) return
    spill.spill(this.queued.take(SPILL_BATCH_BYTES, SPILL_BATCH))
  }

  /** Bytes of superseded values waiting in memory for their turn to be spilled. */
  get spillQueuedBytes(): number {
    return this.queued.bytes
  }

  /** Latest revision of `key` visible at `rev` (a tombstone means "deleted"). */
  private at(key: string, rev: number): KeyRevision | undefined {
    const h = this.history.get(key)
    if (!h) return undefined
    for (let i = h.length - 1; i >= 0; i--) if (h[i]!.mod <= rev) return h[i]
    return undefined
  }

  /** The live value of `key` now, or undefined when absent or deleted. */
  get(key: string): KeyRevision | undefined {
    const h = this.history.get(key)
    const r = h?.[h.length - 1]
    return r && !r.tombstone ? r : undefined
  }

  checkReadRev(rev: number): number {
    if (rev <= 0) return this.currentRev
    if (rev > this.currentRev) throw Errors.futureRev()
    if (rev < this.compactRev) throw Errors.compacted()
    return rev
  }

  range(key: string, end: string | undefined, opts: RangeOptions = {}): RangeResult {
    const rev = this.checkReadRev(opts.rev ?? 0)
    return this.rangeAt(key, end, rev, opts.limit ?? 0)
  }

  /** Range at a revision already validated (or inside a write transaction, at its own revision). */
  rangeAt(key: string, end: string | undefined, rev: number, limit: number): RangeResult {
    const kvs: KeyRevision[] = []
    if (end === undefined) {
      // A single key: no walk over the index.
      const r = this.at(key, rev)
      if (!r || r.tombstone) return { kvs, count: 0, rev }
      kvs.push(r)
      return { kvs, count: 1, rev }
    }
    let count = 0
    for (const k of this.index.range(key, end)) {
      const r = this.at(k, rev)
      if (!r || r.tombstone) continue
      count++
      if (limit <= 0 || kvs.length < limit) kvs.push(r)
    }
    return { kvs, count, rev }
  }

  /** Start a write transaction; everything it changes gets revision currentRev + 1. */
  write(): WriteTxn {
    return new WriteTxn(this)
  }

  /** Used by WriteTxn.end(): publish the transaction's changes, and what they superseded. */
  commitChanges(rev: number, changed: KeyRevision[], superseded: readonly KeyRevision[]): void {
    if (changed.length === 0) return
    this.currentRev = rev
    for (const c of changed) this.changes.push(c)
    if (this.spill?.active) this.queueSuperseded(this.spill, superseded, rev)
    if (this.listeners.size === 0) return
    const events: MvccEvent[] = changed.map((kv) => ({ type: kv.tombstone ? 'DELETE' : 'PUT', kv }))
    for (const l of this.listeners) l(events, rev)
  }

  /** Internal to WriteTxn: add one change to a key's history. Returns what undoes it exactly. */
  appendRevision(r: KeyRevision, previous: KeyRevision | undefined): () => void {
    let h = this.history.get(r.key)
    const newKey = !h
    if (!h) {
      // Most keys never get a second revision: an array of exactly one (`[]` and a push reserve 17).
      h = [r]
      this.history.set(r.key, h)
      this.index.insert(r.key)
    } else h.push(r)
    this.bytes += revisionBytes(r)
    const undoLease = trackLease(this.leaseKeys, r, previous)
    return () => {
      undoLease()
      this.bytes -= revisionBytes(r)
      h.pop()
      if (newKey) {
        this.history.delete(r.key)
        this.index.remove(r.key)
      }
    }
  }

  /** Live keys attached to a lease. */
  keysOfLease(lease: string): string[] {
    return [...(this.leaseKeys.get(lease) ?? [])].sort()
  }

  forgetLease(lease: string): void {
    this.leaseKeys.delete(lease)
  }

  /** Changes with revision >= from and <= to, oldest first, for watch catch-up. */
  changesBetween(from: number, to: number): KeyRevision[] {
    return this.changes.between(from, to)
  }

  /** The same, read lazily: a watcher catching up takes one batch and stops (read it at once). */
  changesFrom(from: number, to: number): Generator<KeyRevision> {
    return this.changes.from(from, to)
  }

  /** The key's previous state before change `r` (for prev_kv), if still retained. */
  previousOf(r: KeyRevision): KeyRevision | undefined {
    const h = this.history.get(r.key)
    if (!h) return undefined
    const i = h.lastIndexOf(r)
    // For a change at or after the compaction revision, its predecessor is either newer than the
    // compaction or what compaction keeps, whether or not physical compaction got to this key yet.
    const p = i > 0 ? h[i - 1] : undefined
    return p && !p.tombstone ? p : undefined
  }

  /**
   * Compaction as etcd validates it. The logical part happens now; the physical part is scheduled
   * (or done at once without a background runner).
   */
  compact(rev: number): void {
    if (rev < 0 || (this.everCompacted ? rev <= this.compactRev : rev < this.compactRev)) throw Errors.compacted()
    if (rev > this.currentRev) throw Errors.futureRev()
    this.everCompacted = true
    this.compactRev = rev
    this.changes.dropBefore(rev)
    // What physical compaction will drop need not wait to be spilled, nor stay alive for it.
    this.queued.dropSupersededUpTo(rev)
    // A compaction still under way restarts from the first key with the newer revision.
    this.physicalRev = rev
    this.compactCursor = undefined
    if (!this.runner) {
      this.compactStep(Infinity)
      return
    }
    if (!this.compactionScheduled) {
      this.compactionScheduled = true
      this.runner(() => {
        const r = this.compactStep(COMPACT_KEYS_PER_STEP)
        if (r === 'done') this.compactionScheduled = false
        return r
      })
    }
  }

  /**
   * Moves every live value that is in memory `released` says its other holder gave up (the Raft
   * log's oldest slabs, once the log dropped their entries) into the store's own arena, so that
   * memory can go: without this a slab stays alive for one value of a key never written again.
   * Superseded values are left where they are: the spill or a compaction lets go of them soon, in
   * about the order they were written. Runs through the background runner in slices; a newer call
   * replaces the predicate and starts the walk again.
   */
  promoteLiveValues(released: (b: ArrayBufferLike) => boolean): void {
    // A walk under way (there is one exactly while `promoting` is set) goes on with the new predicate.
    const walking = this.promoting !== undefined
    this.promoting = { released, after: undefined }
    if (!this.runner) this.promoteStep(Infinity)
    else if (!walking) this.runner(() => this.promoteStep(PROMOTE_KEYS_PER_STEP))
  }

  /** One slice of promoteLiveValues: up to `maxKeys` keys. */
  promoteStep(maxKeys: number): StepResult {
    const p = this.promoting
    if (!p) return 'done'
    const keys = this.index.keysAfter(p.after, maxKeys)
    for (const key of keys) {
      const h = this.history.get(key)!
      const r = h[h.length - 1]!
      const m = r.memory
      if (r.tombstone || r.valueLength === 0 || !m || !p.released(m)) continue
      r.relocate(this.values.copy(r.value))
    }
    if (keys.length < maxKeys) {
      this.promoting = undefined
      return 'done'
    }
    p.after = keys[keys.length - 1]
    return 'more'
  }

  /** Whether physical compaction still has keys to visit. */
  get compacting(): boolean {
    return this.physicalRev > 0
  }

  /** Resolves once physical compaction has nothing left to do (etcd's Compact with physical: true). */
  physicallyCompacted(): Promise<void> {
    if (this.physicalRev === 0) return Promise.resolve()
    return new Promise((resolve) => this.compactedWaiters.push(resolve))
  }

  /**
   * One slice of physical compaction: up to `maxKeys` keys. Waits ('blocked', no work done) while a
   * frozen view is open.
   */
  compactStep(maxKeys: number): StepResult {
    const rev = this.physicalRev
    if (rev === 0) return 'done'
    if (this.openViews > 0) return 'blocked'
    const keys = this.index.keysAfter(this.compactCursor, maxKeys)
    const gone: string[] = []
    for (const key of keys) {
      const h = this.history.get(key)!
      // Index of the newest revision <= rev: it is still visible to reads at rev.
      let keep = -1
      for (let i = h.length - 1; i >= 0; i--) {
        if (h[i]!.mod <= rev) {
          keep = i
          break
        }
      }
      if (keep < 0) continue
      const from = h[keep]!.tombstone ? keep + 1 : keep
      if (from > 0) {
        for (const old of h.splice(0, from)) this.bytes -= revisionBytes(old)
      }
      if (h.length === 0) gone.push(key)
    }
    for (const key of gone) {
      this.history.delete(key)
      this.index.remove(key)
    }
    if (keys.length < maxKeys) {
      this.physicalRev = 0
      this.compactCursor = undefined
      for (const w of this.compactedWaiters.splice(0)) w()
      return 'done'
    }
    this.compactCursor = keys[keys.length - 1]
    return 'more'
  }

  /** HashKV as etcd computes it (see hash.ts); etcd refuses revisions at or below the compaction. */
  hashKV(rev: number): number {
    if (rev > 0 && rev <= this.compactRev) throw Errors.compacted()
    if (rev > this.currentRev) throw Errors.futureRev()
    const view = this.view()
    try {
      return etcdHashKV([...view.survivors(), ...view.changes], rev <= 0 ? view.currentRev : rev, view.compactRev)
    } finally {
      view.release()
    }
  }

  /** hashKV computed over a frozen view in slices, for the API (the member's thread stays free). */
  async hashKVAsync(rev: number): Promise<number> {
    if (rev > 0 && rev <= this.compactRev) throw Errors.compacted()
    if (rev > this.currentRev) throw Errors.futureRev()
    const view = this.view()
    try {
      return await hashKVOfView(view, rev <= 0 ? view.currentRev : rev)
    } finally {
      view.release()
    }
  }

  /** Approximate bytes held, standing in for etcd's backend db size. */
  sizeInUse(): number {
    return this.bytes
  }

  /**
   * A consistent picture of the store now, for snapshots and hashes that take many turns of the
   * event loop. Release it when done: physical compaction waits for open views.
   */
  view(): StoreView {
    this.openViews++
    let released = false
    return new StoreView(this.history, this.index, this.changes.freeze(), this.currentRev, this.compactRev, this.bytes, () => {
      if (released) return
      released = true
      this.openViews--
      // Without a background runner, a compaction that waited for this view happens now.
      if (!this.runner && this.openViews === 0 && this.physicalRev > 0) this.compactStep(Infinity)
    })
  }

  /** Every retained revision a snapshot holds (the compaction rule applied), in snapshot order. */
  *allRevisions(): Generator<KeyRevision> {
    const view = this.view()
    try {
      yield* view.survivors()
      yield* view.changes
    } finally {
      view.release()
    }
  }

  /** Rebuild from revisions in any order (tests, small states). */
  restore(revs: KeyRevision[], currentRev: number, compactRev: number, everCompacted = compactRev > 0): void {
    const loader = new StoreLoader(compactRev, everCompacted)
    for (const r of [...revs].sort((a, b) => a.mod - b.mod || a.sub - b.sub)) loader.add(r)
    this.adopt(loader.finish(currentRev))
  }

  /** Takes over a state built by a StoreLoader (a snapshot install): one swap, no per-key work. */
  adopt(s: LoadedStore): void {
    this.history = s.history
    this.index = s.index
    this.changes = s.changes
    this.leaseKeys = s.leaseKeys
    this.bytes = s.bytes
    this.currentRev = s.currentRev
    this.compactRev = s.compactRev
    this.everCompacted = s.everCompacted
    this.physicalRev = 0
    this.compactCursor = undefined
    // The old revisions go with the old store (their spill files are closed once unreachable).
    this.queued.clear()
    for (const w of this.compactedWaiters.splice(0)) w()
    for (const l of this.restoreListeners) l()
  }

  keyCount(): number {
    return this.index.size
  }
}

/** Moves a key between lease sets for one change; returns what undoes exactly that move. */
function trackLease(leaseKeys: Map<string, Set<string>>, r: KeyRevision, previous: KeyRevision | undefined): () => void {
  let leftLease: Set<string> | undefined
  if (previous && !previous.tombstone && previous.lease !== '0') {
    const s = leaseKeys.get(previous.lease)
    if (s?.delete(r.key)) leftLease = s
  }
  let joinedLease: Set<string> | undefined
  if (!r.tombstone && r.lease !== '0') {
    let s = leaseKeys.get(r.lease)
    if (!s) leaseKeys.set(r.lease, (s = new Set()))
    if (!s.has(r.key)) {
      s.add(r.key)
      joinedLease = s
    }
  }
  if (!leftLease && !joinedLease) return NOTHING
  return () => {
    joinedLease?.delete(r.key)
    leftLease?.add(r.key)
  }
}

const NOTHING = (): void => {}

/** The store as it was when `view()` was called. */
export class StoreView {
  constructor(
    private readonly history: ReadonlyKeyMap<readonly KeyRevision[]>,
    private readonly index: KeyIndex,
    /** Changes with mod >= compactRev, in (mod, sub) order. */
    readonly changes: FrozenRevisions,
    readonly currentRev: number,
    readonly compactRev: number,
    readonly bytes: number,
    readonly release: () => void,
  ) {}

  /**
   * The revisions below the compaction revision that compaction keeps (each key's newest one, unless
   * it is a tombstone), in key order. Walks the live index in batches: keys added since the view was
   * taken have no such revision, and no key leaves the index while a view is open.
   */
  *survivors(): Generator<KeyRevision> {
    for (const batch of this.survivorBatches()) yield* batch
  }

  /**
   * The same, a batch per SURVIVOR_BATCH keys of the index, empty when none of them has one. Sliced
   * work takes its turns between batches: keys written after the compaction revision have no such
   * revision, and a run of 50,000 of them, walked without a look at the clock, held a member's
   * thread for 35–145 ms during HashKV.
   */
  *survivorBatches(): Generator<KeyRevision[]> {
    const c = this.compactRev
    if (c === 0) return
    let after: string | undefined
    for (;;) {
      const keys = this.index.keysAfter(after, SURVIVOR_BATCH)
      const batch: KeyRevision[] = []
      for (const k of keys) {
        const h = this.history.get(k)!
        // The newest revision <= c; later ones (mod > c) are in `changes` or newer than the view.
        for (let i = h.length - 1; i >= 0; i--) {
          const r = h[i]!
          if (r.mod > c) continue
          if (r.mod < c && !r.tombstone) batch.push(r)
          break
        }
      }
      yield batch
      if (keys.length < SURVIVOR_BATCH) return
      after = keys[keys.length - 1]
    }
  }
}

export interface LoadedStore {
  history: KeyMap<KeyRevision[]>
  index: KeyIndex
  changes: RevisionLog
  leaseKeys: Map<string, Set<string>>
  bytes: number
  currentRev: number
  compactRev: number
  everCompacted: boolean
}

/**
 * Builds a store from a snapshot's revisions: each key's revisions must come oldest first, and
 * revisions at or after the compaction revision in (mod, sub) order (a snapshot writes the
 * compacted part in key order, then the changes). Done in pieces by the snapshot decoder, so a
 * large state loads without one long step.
 */
export class StoreLoader {
  private readonly s: LoadedStore

  constructor(compactRev: number, everCompacted = compactRev > 0) {
    this.s = { history: new KeyMap(), index: new KeyIndex(), changes: new RevisionLog(), leaseKeys: new Map(), bytes: 0, currentRev: 1, compactRev, everCompacted }
  }

  add(r: KeyRevision): void {
    const s = this.s
    const h = s.history.get(r.key)
    if (!h) {
      // An array of exactly one: 85% of a Kubernetes data set's keys have a single revision, and
      // `[]` with a push reserves room for 17.
      s.history.set(r.key, [r])
      s.index.insert(r.key)
      trackLease(s.leaseKeys, r, undefined)
    } else {
      // One string per key, not per revision: the decoder's copy dies young.
      r.key = h[0]!.key
      trackLease(s.leaseKeys, r, h[h.length - 1])
      h.push(r)
    }
    s.bytes += revisionBytes(r)
    if (r.mod >= s.compactRev) s.changes.push(r)
  }

  finish(currentRev: number): LoadedStore {
    this.s.currentRev = currentRev
    return this.s
  }
}

/**
 * A write transaction. Reads inside it see its own earlier writes (etcd's txn semantics); the
 * revision only advances if something actually changed.
 */
export class WriteTxn {
  readonly rev: number
  private readonly changed: KeyRevision[] = []
  /** The live revisions its changes replaced (a put's predecessor, a delete's victim). */
  private readonly superseded: KeyRevision[] = []
  /** Undoes each change, newest last (abort runs them backwards). */
  private readonly undo: Array<() => void> = []

  constructor(private readonly store: MvccStore) {
    this.rev = store.currentRev + 1
  }

  /** Revision that reads inside this transaction observe. */
  readRev(): number {
    return this.changed.length > 0 ? this.rev : this.store.currentRev
  }

  range(key: string, end: string | undefined, opts: RangeOptions = {}): RangeResult {
    const rev = opts.rev && opts.rev > 0 ? this.store.checkReadRev(opts.rev) : this.readRev()
    return this.store.rangeAt(key, end, rev, opts.limit ?? 0)
  }

  put(key: string, value: Buffer, lease: string): KeyRevision {
    const live = this.live(key)
    const r = KeyRevision.make(
      // The live revision's key string is the same key: one string per key rather than per revision.
      live ? live.key : key,
      // Bytes already kept are not copied again: ignore_value passes a view of the live revision's
      // own value, and a put applied from Raft's log has its value inside the log's kept copy of the
      // entry (raftNode.ts), which the revision then shares rather than doubling.
      live?.holds(value) || isKept(value) ? value : this.store.values.copy(value),
      live ? live.create : this.rev,
      this.rev,
      this.changed.length,
      live ? live.version + 1 : 1,
      lease,
      false,
    )
    this.undo.push(this.store.appendRevision(r, live))
    this.changed.push(r)
    if (live) this.superseded.push(live)
    return r
  }

  /** Deletes live keys in the range; returns their values before the delete. */
  deleteRange(key: string, end: string | undefined): KeyRevision[] {
    const victims = this.store.rangeAt(key, end, this.readRev(), 0).kvs
    for (const prev of victims) {
      const r = KeyRevision.make(prev.key, EMPTY, 0, this.rev, this.changed.length, 0, '0', true)
      this.undo.push(this.store.appendRevision(r, prev))
      this.changed.push(r)
      this.superseded.push(prev)
    }
    return victims
  }

  private live(key: string): KeyRevision | undefined {
    return this.store.rangeAt(key, undefined, this.readRev(), 0).kvs[0]
  }

  /** Revisions below this are compacted (etcd's FirstRev). */
  firstRev(): number {
    return this.store.compactRev
  }

  /**
   * Drops every change this transaction made, as if it never ran: a request that fails part-way
   * leaves nothing behind (apply must be all or nothing, on every member alike).
   */
  abort(): void {
    while (this.undo.length) this.undo.pop()!()
    this.changed.length = 0
    this.superseded.length = 0
  }

  end(): number {
    // Temporarily visible revisions must not count as current before commit: the store's
    // currentRev moves only here.
    this.store.commitChanges(this.rev, this.changed, this.superseded)
    return this.store.currentRev
  }
}

const EMPTY = Buffer.alloc(0)

/** What one stored revision costs, roughly as etcd's backend would hold it. */
function revisionBytes(r: KeyRevision): number {
  return r.key.length + r.valueLength + 64
}
