// Entries and a snapshot that the core has accepted but the caller has not yet
// persisted. The in-memory log is storage[..offset-1] followed by these.

import type { Entry, Snapshot } from './types'

export class Unstable {
  snapshot: Snapshot | null = null
  entries: Entry[] = []
  /** Index of entries[0] (or where it would be). */
  offset: number

  constructor(offset: number) {
    this.offset = offset
  }

  maybeFirstIndex(): number | undefined {
    return this.snapshot ? this.snapshot.metadata.index + 1 : undefined
  }

  maybeLastIndex(): number | undefined {
    if (this.entries.length > 0) return this.offset + this.entries.length - 1
    return this.snapshot ? this.snapshot.metadata.index : undefined
  }

  maybeTerm(i: number): number | undefined {
    if (i < this.offset) {
      const s = this.snapshot
      return s && s.metadata.index === i ? s.metadata.term : undefined
    }
    const last = this.maybeLastIndex()
    if (last === undefined || i > last) return undefined
    return this.entries[i - this.offset].term
  }

  /**
   * The caller persisted entries up to (i, t). If the entry at i was since
   * replaced by one with another term, the persisted copy is stale and the
   * newer entry must stay unstable.
   */
  stableTo(i: number, t: number): void {
    const gt = this.maybeTerm(i)
    if (gt === t && i >= this.offset) {
      this.entries = this.entries.slice(i + 1 - this.offset)
      this.offset = i + 1
    }
  }

  stableSnapTo(i: number): void {
    if (this.snapshot && this.snapshot.metadata.index === i) this.snapshot = null
  }

  restore(s: Snapshot): void {
    this.offset = s.metadata.index + 1
    this.entries = []
    this.snapshot = s
  }

  truncateAndAppend(ents: readonly Entry[]): void {
    const after = ents[0].index
    if (after === this.offset + this.entries.length) {
      for (const e of ents) this.entries.push(e)
    } else if (after <= this.offset) {
      // Replaces everything unstable, and tells the caller (via offset) to
      // truncate what it persisted from `after` on.
      this.offset = after
      this.entries = ents.slice()
    } else {
      this.entries = this.entries.slice(0, after - this.offset)
      for (const e of ents) this.entries.push(e)
    }
  }

  slice(lo: number, hi: number): Entry[] {
    return this.entries.slice(lo - this.offset, hi - this.offset)
  }
}
