/**
 * The MVCC key-value store with etcd's semantics, held in memory and made durable by the WAL and
 * snapshots (the state machine is rebuilt by replaying the log on start).
 *
 * - One global main revision; it starts at 1 and each write transaction that changes something
 *   takes the next one. Changes inside one transaction share it and are ordered by `sub`.
 * - Per key: create revision, mod revision and version; a delete leaves a tombstone that ends
 *   the key's current "generation".
 * - Reads at any revision >= the compaction revision; compaction drops every revision a read at
 *   or after the compaction revision can no longer see.
 */
import { Errors } from '../errors'
import { hashKV as etcdHashKV } from './hash'
import { KeyIndex } from './keyIndex'
import type { KeyRevision, MvccEvent } from './types'

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

export class MvccStore {
  /** History per key, oldest first. */
  private readonly history = new Map<string, KeyRevision[]>()
  private readonly index = new KeyIndex()
  /** Every change since the compaction revision, in (mod, sub) order, for watch replay. */
  private changes: KeyRevision[] = []
  private readonly leaseKeys = new Map<string, Set<string>>()
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

  onCommit(listener: CommitListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Called after the whole store was replaced by a snapshot (watchers must catch up from it). */
  onRestore(listener: () => void): () => void {
    this.restoreListeners.add(listener)
    return () => this.restoreListeners.delete(listener)
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
    const r = this.at(key, Number.MAX_SAFE_INTEGER)
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

  /** Used by WriteTxn.end(): publish the transaction's changes. */
  commitChanges(rev: number, changed: KeyRevision[]): void {
    if (changed.length === 0) return
    this.currentRev = rev
    for (const c of changed) this.changes.push(c)
    const events: MvccEvent[] = changed.map((kv) => ({ type: kv.tombstone ? 'DELETE' : 'PUT', kv }))
    for (const l of this.listeners) l(events, rev)
  }

  /** Internal to WriteTxn: add one change to a key's history. Returns what undoes it exactly. */
  appendRevision(r: KeyRevision, previous: KeyRevision | undefined): () => void {
    let h = this.history.get(r.key)
    const newKey = !h
    if (!h) {
      h = []
      this.history.set(r.key, h)
      this.index.insert(r.key)
    }
    h.push(r)
    this.bytes += revisionBytes(r)
    let leftLease: Set<string> | undefined
    if (previous && !previous.tombstone && previous.lease !== '0') {
      const s = this.leaseKeys.get(previous.lease)
      if (s?.delete(r.key)) leftLease = s
    }
    let joinedLease: Set<string> | undefined
    if (!r.tombstone && r.lease !== '0') {
      let s = this.leaseKeys.get(r.lease)
      if (!s) this.leaseKeys.set(r.lease, (s = new Set()))
      if (!s.has(r.key)) {
        s.add(r.key)
        joinedLease = s
      }
    }
    return () => {
      joinedLease?.delete(r.key)
      leftLease?.add(r.key)
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
    return [...this.changesFrom(from, to)]
  }

  /** The same, read lazily: a watcher catching up takes one batch and stops. */
  *changesFrom(from: number, to: number): Generator<KeyRevision> {
    let lo = 0
    let hi = this.changes.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.changes[mid]!.mod < from) lo = mid + 1
      else hi = mid
    }
    const changes = this.changes
    for (let i = lo; i < changes.length && changes[i]!.mod <= to; i++) yield changes[i]!
  }

  /** The key's previous state before change `r` (for prev_kv), if still retained. */
  previousOf(r: KeyRevision): KeyRevision | undefined {
    const h = this.history.get(r.key)
    if (!h) return undefined
    const i = h.indexOf(r)
    const p = i > 0 ? h[i - 1] : undefined
    return p && !p.tombstone ? p : undefined
  }

  /**
   * Compaction: validate as etcd does, then physically drop what no read at >= rev can see. It is
   * cheap in memory, so logical and physical compaction happen together.
   */
  compact(rev: number): void {
    if (rev < 0 || (this.everCompacted ? rev <= this.compactRev : rev < this.compactRev)) throw Errors.compacted()
    if (rev > this.currentRev) throw Errors.futureRev()
    this.everCompacted = true
    this.compactRev = rev
    for (const [key, h] of this.history) {
      // Index of the newest revision <= rev: it is still visible to reads at rev.
      let keep = -1
      for (let i = h.length - 1; i >= 0; i--) {
        if (h[i]!.mod <= rev) {
          keep = i
          break
        }
      }
      if (keep < 0) continue
      let from = keep
      if (h[keep]!.tombstone) from = keep + 1
      if (from > 0) for (const gone of h.splice(0, from)) this.bytes -= revisionBytes(gone)
      if (h.length === 0) {
        this.history.delete(key)
        this.index.remove(key)
      }
    }
    let cut = 0
    while (cut < this.changes.length && this.changes[cut]!.mod < rev) cut++
    if (cut > 0) this.changes = this.changes.slice(cut)
  }

  /** HashKV as etcd computes it (see hash.ts); etcd refuses revisions at or below the compaction. */
  hashKV(rev: number): number {
    if (rev > 0 && rev <= this.compactRev) throw Errors.compacted()
    if (rev > this.currentRev) throw Errors.futureRev()
    return etcdHashKV(this.allRevisions(), rev <= 0 ? this.currentRev : rev, this.compactRev)
  }

  /** Approximate bytes held, standing in for etcd's backend db size. */
  sizeInUse(): number {
    return this.bytes
  }

  /** Every retained revision, for snapshots. */
  *allRevisions(): Generator<KeyRevision> {
    for (const key of this.index.all()) yield* this.history.get(key)!
  }

  /** Rebuild from a snapshot's revisions (any order). */
  restore(revs: KeyRevision[], currentRev: number, compactRev: number, everCompacted = compactRev > 0): void {
    this.everCompacted = everCompacted
    this.bytes = 0
    this.history.clear()
    this.leaseKeys.clear()
    for (const k of [...this.index.all()]) this.index.remove(k)
    const sorted = [...revs].sort((a, b) => a.mod - b.mod || a.sub - b.sub)
    for (const r of sorted) {
      const h = this.history.get(r.key)
      this.appendRevision(r, h?.[h.length - 1])
    }
    this.changes = sorted.filter((r) => r.mod >= compactRev)
    this.currentRev = currentRev
    this.compactRev = compactRev
    for (const l of this.restoreListeners) l()
  }

  keyCount(): number {
    return this.index.size
  }
}

/**
 * A write transaction. Reads inside it see its own earlier writes (etcd's txn semantics); the
 * revision only advances if something actually changed.
 */
export class WriteTxn {
  readonly rev: number
  private readonly changed: KeyRevision[] = []
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
    const prev = live
    const r: KeyRevision = {
      key,
      value,
      create: live ? live.create : this.rev,
      mod: this.rev,
      sub: this.changed.length,
      version: live ? live.version + 1 : 1,
      lease,
      tombstone: false,
    }
    this.undo.push(this.store.appendRevision(r, prev))
    this.changed.push(r)
    return r
  }

  /** Deletes live keys in the range; returns their values before the delete. */
  deleteRange(key: string, end: string | undefined): KeyRevision[] {
    const victims = this.store.rangeAt(key, end, this.readRev(), 0).kvs
    for (const prev of victims) {
      const r: KeyRevision = { key: prev.key, value: Buffer.alloc(0), create: 0, mod: this.rev, sub: this.changed.length, version: 0, lease: '0', tombstone: true }
      this.undo.push(this.store.appendRevision(r, prev))
      this.changed.push(r)
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
  }

  end(): number {
    // Temporarily visible revisions must not count as current before commit: the store's
    // currentRev moves only here.
    this.store.commitChanges(this.rev, this.changed)
    return this.store.currentRev
  }
}

/** What one stored revision costs, roughly as etcd's backend would hold it. */
function revisionBytes(r: KeyRevision): number {
  return r.key.length + r.value.length + 64
}
