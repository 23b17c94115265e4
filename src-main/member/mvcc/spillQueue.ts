/**
 * Superseded revisions waiting for their values to be spilled (valueSpill.ts), oldest first.
 *
 * Each is queued with the revision that superseded it, and revisions are queued as they are
 * superseded, so those numbers only grow along the queue. That is what lets a compaction take out
 * at once everything it drops: physical compaction at revision C drops a revision exactly when the
 * key has a newer revision at or below C, that is, when what superseded it is at or below C. Those
 * are a prefix of the queue, cut with a binary search instead of a lookup per revision.
 *
 * Held as fixed-size chunks (a revision pointer and a number per entry, 16 bytes), not a Set: the
 * queue holds about 130,000 revisions of 256-byte values at the store's 32 MiB budget, and a Set
 * of that size took 5.2 MB of hash table (docs/member.md, "The history's objects, smaller").
 */
import type { KeyRevision } from './types'

const CHUNK = 4096

interface Chunk {
  revs: KeyRevision[]
  /** The revision that superseded revs[i], at [i]. */
  supersededAt: Float64Array
}

export class SpillQueue {
  private chunks: Chunk[] = []
  /** Entries of the first chunk already taken or dropped. */
  private head = 0
  /** Value bytes queued. */
  private queuedBytes = 0

  get bytes(): number {
    return this.queuedBytes
  }

  /** Queues `r`, superseded by a change at revision `rev` (never lower than the last one queued). */
  push(r: KeyRevision, rev: number): void {
    let last = this.chunks[this.chunks.length - 1]
    if (!last || last.revs.length === CHUNK) this.chunks.push((last = { revs: [], supersededAt: new Float64Array(CHUNK) }))
    last.supersededAt[last.revs.length] = rev
    last.revs.push(r)
    this.queuedBytes += r.valueLength
  }

  /** Takes the oldest revisions, up to `maxBytes` of values (at least one) and `maxCount` of them. */
  take(maxBytes: number, maxCount: number): KeyRevision[] {
    const out: KeyRevision[] = []
    let bytes = 0
    while (this.chunks.length && bytes < maxBytes && out.length < maxCount) {
      const first = this.chunks[0]!
      // An emptied last chunk stays for pushes to fill.
      if (this.head === first.revs.length) break
      const r = first.revs[this.head]!
      // The slot lets go of the revision: a taken one must not stay alive for having been queued.
      first.revs[this.head] = undefined as unknown as KeyRevision
      this.head++
      out.push(r)
      bytes += r.valueLength
      if (this.head === first.revs.length) this.shiftChunk()
    }
    this.queuedBytes -= bytes
    return out
  }

  /** Drops every revision superseded at or below `rev` (a compaction to `rev` drops them all). */
  dropSupersededUpTo(rev: number): void {
    while (this.chunks.length) {
      const first = this.chunks[0]!
      const n = first.revs.length
      if (n === 0) return
      // The first entry past `rev` in this chunk.
      let lo = this.head
      let hi = n
      while (lo < hi) {
        const mid = (lo + hi) >>> 1
        if (first.supersededAt[mid]! <= rev) lo = mid + 1
        else hi = mid
      }
      for (let i = this.head; i < lo; i++) {
        this.queuedBytes -= first.revs[i]!.valueLength
        first.revs[i] = undefined as unknown as KeyRevision
      }
      this.head = lo
      if (lo < n) return
      this.shiftChunk()
    }
  }

  clear(): void {
    this.chunks = []
    this.head = 0
    this.queuedBytes = 0
  }

  private shiftChunk(): void {
    const first = this.chunks[0]!
    // A full chunk is done with; the last, partly filled one stays as the one pushes go to.
    if (first.revs.length < CHUNK && this.chunks.length === 1) {
      first.revs.length = 0
      this.head = 0
      return
    }
    this.chunks.shift()
    this.head = 0
  }
}
