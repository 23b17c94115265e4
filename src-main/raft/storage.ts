// The read side of stable storage that the core consults, and an in-memory
// implementation. The caller owns the write side: it appends the entries and
// installs the snapshot each Ready hands it, then calls advance().

import {
  CompactedError,
  RaftInvariantError,
  SnapshotOutOfDateError,
  UnavailableError,
} from './errors'
import { limitSize } from './sizes'
import type { ConfState, Entry, HardState, Snapshot } from './types'
import { EMPTY_CONF_STATE, EntryType, NO_NODE } from './types'

export interface InitialState {
  readonly hardState: HardState
  readonly confState: ConfState
}

/**
 * What the core reads. Methods may throw CompactedError / UnavailableError /
 * SnapshotTemporarilyUnavailableError (from snapshot()); any other error is
 * fatal. Everything returned must already be durable.
 */
export interface Storage {
  initialState(): InitialState
  /** Entries in [lo, hi), at most maxSize payload bytes but at least one. */
  entries(lo: number, hi: number, maxSize: number): readonly Entry[]
  /** Term of entry i, for i in [firstIndex()-1, lastIndex()]. */
  term(i: number): number
  lastIndex(): number
  firstIndex(): number
  snapshot(): Snapshot
}

const EMPTY_HARD_STATE: HardState = { term: 0, vote: NO_NODE, commit: 0 }
const NO_DATA = new Uint8Array(0)

/**
 * Storage kept in memory. The simulator uses it as each node's "disk"; a real
 * member can use it as the cache in front of its WAL, as etcd does.
 * ents[0] is a dummy entry standing for the last compacted index and term.
 */
export class MemoryStorage implements Storage {
  private hardState: HardState = EMPTY_HARD_STATE
  private snap: Snapshot = {
    data: NO_DATA,
    metadata: { index: 0, term: 0, confState: EMPTY_CONF_STATE },
  }
  private ents: Entry[] = [{ index: 0, term: 0, type: EntryType.Normal, data: NO_DATA }]

  initialState(): InitialState {
    return { hardState: this.hardState, confState: this.snap.metadata.confState }
  }

  setHardState(hs: HardState): void {
    this.hardState = hs
  }

  entries(lo: number, hi: number, maxSize: number): readonly Entry[] {
    const offset = this.ents[0].index
    if (lo <= offset) throw new CompactedError(lo)
    if (hi > this.lastIndex() + 1) throw new UnavailableError(hi - 1)
    if (lo >= hi) return []
    return limitSize(this.ents.slice(lo - offset, hi - offset), maxSize)
  }

  term(i: number): number {
    const offset = this.ents[0].index
    if (i < offset) throw new CompactedError(i)
    if (i - offset >= this.ents.length) throw new UnavailableError(i)
    return this.ents[i - offset].term
  }

  lastIndex(): number {
    return this.ents[0].index + this.ents.length - 1
  }

  firstIndex(): number {
    return this.ents[0].index + 1
  }

  snapshot(): Snapshot {
    return this.snap
  }

  /** Replaces all contents with a received snapshot. */
  applySnapshot(snap: Snapshot): void {
    const have = this.snap.metadata.index
    if (snap.metadata.index <= have) throw new SnapshotOutOfDateError(snap.metadata.index, have)
    this.snap = snap
    this.ents = [{ index: snap.metadata.index, term: snap.metadata.term, type: EntryType.Normal, data: NO_DATA }]
  }

  /** Records a snapshot of the state machine at applied index i (the log is untouched; see compact). */
  createSnapshot(i: number, confState: ConfState, data: Uint8Array): Snapshot {
    const have = this.snap.metadata.index
    if (i <= have) throw new SnapshotOutOfDateError(i, have)
    if (i > this.lastIndex()) throw new RaftInvariantError(`snapshot index ${i} beyond last index ${this.lastIndex()}`)
    this.snap = { data, metadata: { index: i, term: this.term(i), confState } }
    return this.snap
  }

  /** Discards entries up to and including compactIndex; it must not exceed the applied index. */
  compact(compactIndex: number): void {
    const offset = this.ents[0].index
    if (compactIndex <= offset) throw new CompactedError(compactIndex)
    if (compactIndex > this.lastIndex()) {
      throw new RaftInvariantError(`compact ${compactIndex} beyond last index ${this.lastIndex()}`)
    }
    const i = compactIndex - offset
    const head: Entry = { index: this.ents[i].index, term: this.ents[i].term, type: EntryType.Normal, data: NO_DATA }
    this.ents = [head, ...this.ents.slice(i + 1)]
  }

  /**
   * Appends entries, first truncating any existing suffix they overwrite.
   * Entries at or below the compacted index are ignored.
   */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return
    const first = this.firstIndex()
    const last = entries[0].index + entries.length - 1
    if (last < first) return
    let ents = entries
    if (first > ents[0].index) ents = ents.slice(first - ents[0].index)
    const offset = ents[0].index - this.ents[0].index
    if (offset > this.ents.length) {
      throw new RaftInvariantError(`missing log entry: last ${this.lastIndex()}, appending at ${ents[0].index}`)
    }
    if (offset < this.ents.length) this.ents.length = offset
    for (const e of ents) this.ents.push(e)
  }
}
