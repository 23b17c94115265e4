/**
 * The ordered set of every key the store has a history for. Keys are held as latin1 "binary"
 * strings: one UTF-16 unit per byte, so JS string order is byte order, as in etcd's B-tree.
 */
export class KeyIndex {
  private readonly sorted: string[] = []

  get size(): number {
    return this.sorted.length
  }

  /** Position of the first key >= key. */
  private lowerBound(key: string): number {
    let lo = 0
    let hi = this.sorted.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.sorted[mid]! < key) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  insert(key: string): void {
    const i = this.lowerBound(key)
    if (this.sorted[i] !== key) this.sorted.splice(i, 0, key)
  }

  remove(key: string): void {
    const i = this.lowerBound(key)
    if (this.sorted[i] === key) this.sorted.splice(i, 1)
  }

  /**
   * Keys in [key, end). `end === undefined` means the single key; `end === ''` stands for etcd's
   * "\0" range end (every key >= key).
   */
  *range(key: string, end: string | undefined): Generator<string> {
    if (end === undefined) {
      const i = this.lowerBound(key)
      if (this.sorted[i] === key) yield key
      return
    }
    for (let i = this.lowerBound(key); i < this.sorted.length; i++) {
      const k = this.sorted[i]!
      if (end !== '' && k >= end) return
      yield k
    }
  }

  all(): readonly string[] {
    return this.sorted
  }
}

/** etcd's range convention: empty range_end = one key; "\0" = to the end of the keyspace. */
export function rangeEnd(rangeEndBytes: Buffer | undefined): string | undefined {
  if (!rangeEndBytes || rangeEndBytes.length === 0) return undefined
  if (rangeEndBytes.length === 1 && rangeEndBytes[0] === 0) return ''
  return rangeEndBytes.toString('latin1')
}

export function inRange(k: string, key: string, end: string | undefined): boolean {
  if (end === undefined) return k === key
  return k >= key && (end === '' || k < end)
}
