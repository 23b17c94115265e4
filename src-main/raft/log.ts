// The node's view of the replicated log: durable storage plus the unstable
// tail, and the commit and applied cursors.

import { CompactedError, RaftInvariantError, UnavailableError } from './errors'
import { limitSize } from './sizes'
import type { Storage } from './storage'
import type { Entry, Snapshot } from './types'
import { Unstable } from './unstable'

export class RaftLog {
  readonly storage: Storage
  readonly unstable: Unstable
  /** Highest index known to be stored on a quorum. */
  committed: number
  /** Highest index the caller has applied. */
  applied: number

  constructor(storage: Storage) {
    this.storage = storage
    const first = storage.firstIndex()
    const last = storage.lastIndex()
    this.unstable = new Unstable(last + 1)
    // A fresh or restarted log has committed and applied at least at the snapshot.
    this.committed = first - 1
    this.applied = first - 1
  }

  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex()
  }

  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex()
  }

  /** Term of entry i, or undefined if compacted or beyond the end. */
  term(i: number): number | undefined {
    const dummy = this.firstIndex() - 1
    if (i < dummy || i > this.lastIndex()) return undefined
    const t = this.unstable.maybeTerm(i)
    if (t !== undefined) return t
    try {
      return this.storage.term(i)
    } catch (e) {
      if (e instanceof CompactedError || e instanceof UnavailableError) return undefined
      throw e
    }
  }

  lastTerm(): number {
    const t = this.term(this.lastIndex())
    if (t === undefined) throw new RaftInvariantError('term of last index unavailable')
    return t
  }

  matchTerm(i: number, t: number): boolean {
    return this.term(i) === t
  }

  /** The last index durable in storage and consistent with this log. */
  persistedIndex(): number {
    if (this.unstable.snapshot) return 0
    return Math.min(this.unstable.offset - 1, this.storage.lastIndex())
  }

  /**
   * Is a candidate whose log ends at (lastIndex, lastTerm) at least as
   * up-to-date as ours? (§5.4.1) `ignoreTerm` exists only for a mutation test.
   */
  isUpToDate(lastIndex: number, lastTerm: number, ignoreTerm = false): boolean {
    if (ignoreTerm) return lastIndex >= this.lastIndex()
    const ours = this.lastTerm()
    return lastTerm > ours || (lastTerm === ours && lastIndex >= this.lastIndex())
  }

  /**
   * Follower side of MsgApp. Returns the new last index when the entry
   * preceding `ents` matches, or undefined to reject.
   */
  maybeAppend(index: number, logTerm: number, committed: number, ents: readonly Entry[]): number | undefined {
    if (!this.matchTerm(index, logTerm)) return undefined
    const lastNew = index + ents.length
    const ci = this.findConflict(ents)
    if (ci !== 0) {
      if (ci <= this.committed) {
        throw new RaftInvariantError(`entry ${ci} conflicts with committed entry (committed ${this.committed})`)
      }
      this.append(ents.slice(ci - (index + 1)))
    }
    this.commitTo(Math.min(committed, lastNew))
    return lastNew
  }

  append(ents: readonly Entry[]): number {
    if (ents.length === 0) return this.lastIndex()
    const after = ents[0].index - 1
    if (after < this.committed) {
      throw new RaftInvariantError(`append after ${after} is below committed ${this.committed}`)
    }
    this.unstable.truncateAndAppend(ents)
    return this.lastIndex()
  }

  /** Index of the first entry whose term differs from ours (or that we lack), or 0. */
  findConflict(ents: readonly Entry[]): number {
    for (const e of ents) {
      if (!this.matchTerm(e.index, e.term)) return e.index
    }
    return 0
  }

  /**
   * The largest index ≤ `index` whose term is ≤ `term`, with that term. This
   * lets one rejection skip a whole divergent term instead of one entry.
   */
  findConflictByTerm(index: number, term: number): [number, number] {
    for (let i = index; i >= 0; i--) {
      const t = this.term(i)
      if (t === undefined) return [i, 0]
      if (t <= term) return [i, t]
    }
    return [0, 0]
  }

  /** Entries in [lo, hi) limited to maxSize bytes; throws CompactedError below firstIndex. */
  slice(lo: number, hi: number, maxSize: number): readonly Entry[] {
    if (lo > hi) throw new RaftInvariantError(`invalid slice ${lo} > ${hi}`)
    const first = this.firstIndex()
    if (lo < first) throw new CompactedError(lo)
    if (hi > this.lastIndex() + 1) throw new RaftInvariantError(`slice [${lo},${hi}) out of bound ${this.lastIndex()}`)
    if (lo === hi) return []
    const off = this.unstable.offset
    let ents: readonly Entry[] = []
    if (lo < off) {
      ents = this.storage.entries(lo, Math.min(hi, off), maxSize)
      // Storage stopped early because of the size limit: done.
      if (ents.length < Math.min(hi, off) - lo) return ents
    }
    if (hi > off) {
      const u = this.unstable.slice(Math.max(lo, off), hi)
      ents = ents.length > 0 ? ents.concat(u) : u
    }
    return limitSize(ents, maxSize)
  }

  entriesFrom(i: number, maxSize: number): readonly Entry[] {
    if (i > this.lastIndex()) return []
    return this.slice(i, this.lastIndex() + 1, maxSize)
  }

  /** Leader rule (§5.4.2): only an entry of the current term commits by counting replicas. */
  maybeCommit(maxIndex: number, term: number, ignoreTerm = false): boolean {
    if (maxIndex > this.committed && (ignoreTerm || this.term(maxIndex) === term)) {
      this.commitTo(maxIndex)
      return true
    }
    return false
  }

  commitTo(toCommit: number): void {
    if (toCommit <= this.committed) return
    if (this.lastIndex() < toCommit) {
      throw new RaftInvariantError(`commit ${toCommit} is beyond last index ${this.lastIndex()}`)
    }
    this.committed = toCommit
  }

  appliedTo(i: number): void {
    if (i === 0) return
    if (i > this.committed || i < this.applied) {
      throw new RaftInvariantError(`applied ${i} out of range [${this.applied}, ${this.committed}]`)
    }
    this.applied = i
  }

  hasNextCommittedEntries(): boolean {
    const off = Math.max(this.applied + 1, this.firstIndex())
    return this.committed + 1 > off
  }

  nextCommittedEntries(maxSize: number): readonly Entry[] {
    const off = Math.max(this.applied + 1, this.firstIndex())
    if (this.committed + 1 <= off) return []
    return this.slice(off, this.committed + 1, maxSize)
  }

  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot()
  }

  restore(s: Snapshot): void {
    this.committed = s.metadata.index
    this.unstable.restore(s)
  }

  stableTo(i: number, t: number): void {
    this.unstable.stableTo(i, t)
  }

  stableSnapTo(i: number): void {
    this.unstable.stableSnapTo(i)
  }
}
