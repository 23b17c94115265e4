// The flow-control window for one follower in replicate state: the last index
// of every MsgApp sent but not yet acknowledged, oldest first, in a ring.

export class Inflights {
  private start = 0
  private count = 0
  private bytes = 0
  private readonly indexes: number[]
  private readonly sizes: number[]

  constructor(
    private readonly capacity: number,
    /** 0 means no byte limit. */
    private readonly maxBytes: number,
  ) {
    this.indexes = new Array<number>(capacity).fill(0)
    this.sizes = new Array<number>(capacity).fill(0)
  }

  /** Records a MsgApp whose last entry is `index`; indexes must increase. */
  add(index: number, size: number): void {
    if (this.full()) throw new Error('raft: inflights window is full')
    let slot = this.start + this.count
    if (slot >= this.capacity) slot -= this.capacity
    this.indexes[slot] = index
    this.sizes[slot] = size
    this.count++
    this.bytes += size
  }

  /** Releases every in-flight message whose last index is ≤ `to`. */
  freeLE(to: number): void {
    if (this.count === 0 || to < this.indexes[this.start]) return
    let idx = this.start
    let i = 0
    let freed = 0
    for (; i < this.count; i++) {
      if (to < this.indexes[idx]) break
      freed += this.sizes[idx]
      if (++idx >= this.capacity) idx -= this.capacity
    }
    this.count -= i
    this.bytes -= freed
    this.start = this.count === 0 ? 0 : idx
  }

  /** Frees the oldest slot: used when acks may have been lost, to let one probe through. */
  freeFirstOne(): void {
    if (this.count > 0) this.freeLE(this.indexes[this.start])
  }

  full(): boolean {
    return this.count === this.capacity || (this.maxBytes > 0 && this.bytes >= this.maxBytes)
  }

  size(): number {
    return this.count
  }

  reset(): void {
    this.start = 0
    this.count = 0
    this.bytes = 0
  }
}
