/**
 * The ordered set of every key the store has a history for. Keys are held as latin1 "binary"
 * strings: one UTF-16 unit per byte, so JS string order is byte order, as in etcd's B-tree.
 *
 * A two-level B-tree: sorted leaves of at most LEAF_MAX keys, and a sorted array of leaves found by
 * binary search on their first keys. An insert or remove moves at most one leaf's keys (and, when a
 * leaf splits or empties, one pointer per leaf), so a Kubernetes-sized key space (150k keys, ~600
 * leaves) costs a few hundred element moves per change instead of the whole array that a single
 * sorted array shifts on every `splice`.
 */
const LEAF_MAX = 256
/** Two neighbours whose sizes add up to at most this are merged. */
const MERGE_BELOW = LEAF_MAX / 2

export class KeyIndex {
  /** Non-empty sorted leaves in key order (an empty index has none). */
  private leaves: string[][] = []
  private count = 0

  get size(): number {
    return this.count
  }

  /** Index of the leaf that holds `key` or where it would go. */
  private leafFor(key: string): number {
    const leaves = this.leaves
    let lo = 0
    let hi = leaves.length - 1
    // The last leaf whose first key is <= key (or the first leaf).
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1
      if (leaves[mid]![0]! <= key) lo = mid
      else hi = mid - 1
    }
    return lo
  }

  has(key: string): boolean {
    if (this.count === 0) return false
    const leaf = this.leaves[this.leafFor(key)]!
    const i = lowerBound(leaf, key)
    return leaf[i] === key
  }

  insert(key: string): void {
    if (this.count === 0) {
      this.leaves.push([key])
      this.count = 1
      return
    }
    const li = this.leafFor(key)
    const leaf = this.leaves[li]!
    const i = lowerBound(leaf, key)
    if (leaf[i] === key) return
    leaf.splice(i, 0, key)
    this.count++
    if (leaf.length > LEAF_MAX) this.leaves.splice(li + 1, 0, leaf.splice(LEAF_MAX >>> 1))
  }

  remove(key: string): void {
    if (this.count === 0) return
    const li = this.leafFor(key)
    const leaf = this.leaves[li]!
    const i = lowerBound(leaf, key)
    if (leaf[i] !== key) return
    leaf.splice(i, 1)
    this.count--
    if (leaf.length === 0) {
      this.leaves.splice(li, 1)
      return
    }
    const next = this.leaves[li + 1]
    if (next && leaf.length + next.length <= MERGE_BELOW) {
      for (const k of next) leaf.push(k)
      this.leaves.splice(li + 1, 1)
    }
  }

  /** Removes every key. */
  clear(): void {
    this.leaves = []
    this.count = 0
  }

  /**
   * Builds the index from keys already in ascending order without duplicates (a snapshot's keys):
   * no search, no moves.
   */
  static fromSorted(keys: Iterable<string>): KeyIndex {
    const idx = new KeyIndex()
    let leaf: string[] = []
    for (const k of keys) {
      leaf.push(k)
      if (leaf.length === LEAF_MAX >>> 1) {
        idx.leaves.push(leaf)
        leaf = []
      }
      idx.count++
    }
    if (leaf.length) idx.leaves.push(leaf)
    return idx
  }

  /**
   * Keys in [key, end). `end === undefined` means the single key; `end === ''` stands for etcd's
   * "\0" range end (every key >= key).
   */
  *range(key: string, end: string | undefined): Generator<string> {
    if (this.count === 0) return
    let li = this.leafFor(key)
    let leaf = this.leaves[li]!
    let i = lowerBound(leaf, key)
    if (end === undefined) {
      if (leaf[i] === key) yield key
      return
    }
    for (;;) {
      for (; i < leaf.length; i++) {
        const k = leaf[i]!
        if (end !== '' && k >= end) return
        yield k
      }
      li++
      if (li >= this.leaves.length) return
      leaf = this.leaves[li]!
      i = 0
    }
  }

  /** Up to `max` keys in order, starting after `after` (from the first key when undefined). */
  keysAfter(after: string | undefined, max: number): string[] {
    const out: string[] = []
    if (this.count === 0 || max <= 0) return out
    let li = 0
    let i = 0
    if (after !== undefined) {
      li = this.leafFor(after)
      const leaf = this.leaves[li]!
      i = lowerBound(leaf, after)
      if (leaf[i] === after) i++
    }
    for (; li < this.leaves.length; li++, i = 0) {
      const leaf = this.leaves[li]!
      for (; i < leaf.length; i++) {
        out.push(leaf[i]!)
        if (out.length === max) return out
      }
    }
    return out
  }

  /** Every key in order. */
  *all(): Generator<string> {
    for (const leaf of this.leaves) yield* leaf
  }

  /** Checks the structure (tests): leaves non-empty, bounded and in strict order. */
  checkInvariants(): void {
    let prev: string | undefined
    let n = 0
    for (const leaf of this.leaves) {
      if (leaf.length === 0 || leaf.length > LEAF_MAX) throw new Error(`leaf of ${leaf.length} keys`)
      for (const k of leaf) {
        if (prev !== undefined && k <= prev) throw new Error(`keys out of order: ${JSON.stringify(prev)} then ${JSON.stringify(k)}`)
        prev = k
        n++
      }
    }
    if (n !== this.count) throw new Error(`size ${this.count} but ${n} keys`)
  }
}

/** Position of the first element >= key. */
function lowerBound(a: readonly string[], key: string): number {
  let lo = 0
  let hi = a.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (a[mid]! < key) lo = mid + 1
    else hi = mid
  }
  return lo
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
