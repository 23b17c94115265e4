/**
 * A map from key to value for maps that hold every key of the store (the key history, HashKV's
 * newest revision per key), split over many small Maps.
 *
 * Why: a JavaScript Map grows by copying its whole table into one twice the size, in one step. At
 * 262,144 keys that step takes 20–30 ms on these machines, at 524,288 about 100 ms; under load it
 * was seen at 112 ms while a learner installed a 300,000-key snapshot, longer than a heartbeat
 * interval. Split 64 ways, each growth copies 1/64 of the keys, so no single step grows with the
 * store beyond a few milliseconds until tens of millions of keys.
 *
 * Keys are latin1 "binary" strings (as in the key index). The shard comes from the length and a few
 * characters at the end and the middle, where keys that share a prefix (`/registry/pods/…`) differ;
 * keys that collide on all of them only make one shard larger, never a wrong answer.
 */
const SHARDS = 64

function shardOf(key: string): number {
  // FNV-1a over every character: keys that share a long prefix and a suffix
  // (`/registry/pods/<ns>/<name>`) differ anywhere in between.
  let h = 0x811c9dc5
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193)
  return (h ^ (h >>> 15)) & (SHARDS - 1)
}

export class KeyMap<V> {
  private readonly shards: Array<Map<string, V>> = Array.from({ length: SHARDS }, () => new Map())
  private count = 0

  get size(): number {
    return this.count
  }

  get(key: string): V | undefined {
    return this.shards[shardOf(key)]!.get(key)
  }

  has(key: string): boolean {
    return this.shards[shardOf(key)]!.has(key)
  }

  set(key: string, value: V): this {
    const m = this.shards[shardOf(key)]!
    const before = m.size
    m.set(key, value)
    this.count += m.size - before
    return this
  }

  delete(key: string): boolean {
    const gone = this.shards[shardOf(key)]!.delete(key)
    if (gone) this.count--
    return gone
  }

  /** Every value, shard by shard (no particular order). */
  *values(): Generator<V> {
    for (const m of this.shards) yield* m.values()
  }
}

/** The read side, for views that must not change the map. */
export type ReadonlyKeyMap<V> = Pick<KeyMap<V>, 'get' | 'has' | 'size' | 'values'>
