/**
 * Every change since the compaction revision, in (main, sub) order: what a watch replays and what a
 * snapshot writes after the compacted part. Held in fixed-size chunks so that a compaction drops
 * whole chunks from the front (no copy of the rest), and so that a frozen view can keep the chunks
 * it saw: chunks are only ever appended to, never changed.
 */
import type { KeyRevision } from './types'

const CHUNK = 4096

export class RevisionLog {
  private chunks: KeyRevision[][] = []
  /** Entries of the first chunk that were cut off. */
  private head = 0
  private count = 0

  get length(): number {
    return this.count
  }

  push(r: KeyRevision): void {
    let last = this.chunks[this.chunks.length - 1]
    if (!last || last.length === CHUNK) this.chunks.push((last = []))
    last.push(r)
    this.count++
  }

  /** Drops every change with main revision < rev. */
  dropBefore(rev: number): void {
    while (this.chunks.length) {
      const first = this.chunks[0]!
      const last = first[first.length - 1]!
      if (last.mod < rev && (this.chunks.length > 1 || first.length === CHUNK)) {
        // The whole chunk goes (a full last chunk can go too: pushes open a new one).
        this.count -= first.length - this.head
        this.chunks.shift()
        this.head = 0
        continue
      }
      let i = this.head
      while (i < first.length && first[i]!.mod < rev) i++
      this.count -= i - this.head
      this.head = i
      if (this.head === first.length && this.chunks.length > 1) {
        this.chunks.shift()
        this.head = 0
        continue
      }
      return
    }
  }

  /** Changes with main revision in [from, to], oldest first. */
  between(from: number, to: number): KeyRevision[] {
    return [...this.from(from, to)]
  }

  /** The same, read lazily (a watcher catching up takes one batch and stops); read it at once. */
  *from(from: number, to: number): Generator<KeyRevision> {
    const chunks = this.chunks
    const head = this.head
    // The first chunk whose last entry is >= from.
    let lo = 0
    let hi = chunks.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      const c = chunks[mid]!
      if (c[c.length - 1]!.mod < from) lo = mid + 1
      else hi = mid
    }
    for (let ci = lo; ci < chunks.length; ci++) {
      const c = chunks[ci]!
      let i = ci === 0 ? head : 0
      if (ci === lo) {
        let a = i
        let b = c.length
        while (a < b) {
          const mid = (a + b) >>> 1
          if (c[mid]!.mod < from) a = mid + 1
          else b = mid
        }
        i = a
      }
      for (; i < c.length; i++) {
        const r = c[i]!
        if (r.mod > to) return
        yield r
      }
    }
  }

  /** A fixed view of the changes now: later pushes and cuts do not affect it. */
  freeze(): FrozenRevisions {
    const chunks = this.chunks.slice()
    const lastLen = chunks.length ? chunks[chunks.length - 1]!.length : 0
    return new FrozenRevisions(chunks, this.head, lastLen, this.count)
  }
}

export class FrozenRevisions implements Iterable<KeyRevision> {
  constructor(
    private readonly chunks: readonly KeyRevision[][],
    private readonly head: number,
    private readonly lastLen: number,
    readonly length: number,
  ) {}

  *[Symbol.iterator](): Generator<KeyRevision> {
    const n = this.chunks.length
    for (let ci = 0; ci < n; ci++) {
      const c = this.chunks[ci]!
      const end = ci === n - 1 ? this.lastLen : c.length
      for (let i = ci === 0 ? this.head : 0; i < end; i++) yield c[i]!
    }
  }
}
