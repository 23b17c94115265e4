// The virtual clock: a min-heap of callbacks ordered by (time, insertion order).
// Ties break by insertion order so a run is a pure function of its seed.

interface Event {
  readonly at: number
  readonly seq: number
  readonly fn: () => void
}

export class EventQueue {
  now = 0
  private seq = 0
  private heap: Event[] = []

  at(time: number, fn: () => void): void {
    const e: Event = { at: Math.max(time, this.now), seq: this.seq++, fn }
    const h = this.heap
    h.push(e)
    let i = h.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!less(h[i], h[p])) break
      ;[h[i], h[p]] = [h[p], h[i]]
      i = p
    }
  }

  after(delay: number, fn: () => void): void {
    this.at(this.now + delay, fn)
  }

  /** Runs the next event; returns false when none is left or it lies beyond `until`. */
  runNext(until: number): boolean {
    const h = this.heap
    if (h.length === 0 || h[0].at > until) return false
    const top = h[0]
    const last = h.pop()!
    if (h.length > 0) {
      h[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < h.length && less(h[l], h[m])) m = l
        if (r < h.length && less(h[r], h[m])) m = r
        if (m === i) break
        ;[h[i], h[m]] = [h[m], h[i]]
        i = m
      }
    }
    this.now = top.at
    top.fn()
    return true
  }
}

function less(a: Event, b: Event): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq)
}
