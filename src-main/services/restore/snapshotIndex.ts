// A key index over an etcd snapshot file, so the file can be read like a cluster (ranges by key, at any
// revision it still holds) without a restore. etcd's `key` bucket is ordered by revision, not by key, so
// one pass over it builds, per key, the list of its revisions; values are never held: a range reads the
// records it returns from the file through the bbolt reader (point lookups by revision).
//
// Memory: the sorted key names plus 13 bytes per revision (typed arrays), about 100 bytes per key; no
// values. The pass runs in slices so the services' event loop keeps answering while a large file is
// indexed.

import { bucketAt, decodeKeyValue, decodeRevisionKey, encodeRevision, entries, get, openDb, readEtcdSnapshot, type BoltDb, type BucketRef, type KeyValue } from '../../bbolt'

/** One revision of a key as the index keeps it. */
export interface IndexedRevision {
  main: number
  sub: number
  tombstone: boolean
}

export interface IndexProgress {
  revisions: number
}

const SLICE_MS = 12

const yieldTurn = () => new Promise<void>((resolve) => setImmediate(resolve))

/** Binary search: first index in the sorted array whose value is >= `key`. */
export function lowerBound(sorted: readonly string[], key: string): number {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (sorted[mid]! < key) lo = mid + 1
    else hi = mid
  }
  return lo
}

/**
 * The key (field 1) of a stored mvccpb.KeyValue, without decoding the rest: the index needs only the
 * name, and this pass visits every record of the file.
 */
export function keyOfRecord(buf: Uint8Array): Uint8Array {
  let i = 0
  const varint = (): number => {
    let v = 0
    let mul = 1
    for (;;) {
      if (i >= buf.length) throw new Error('truncated KeyValue record')
      const b = buf[i++]!
      v += (b & 0x7f) * mul
      if (b < 0x80) return v
      mul *= 128
    }
  }
  while (i < buf.length) {
    const tag = varint()
    const wire = tag & 7
    if (wire === 2) {
      const len = varint()
      if (tag >>> 3 === 1) return buf.subarray(i, i + len)
      i += len
    } else if (wire === 0) varint()
    else if (wire === 1) i += 8
    else if (wire === 5) i += 4
    else throw new Error(`unexpected wire type ${wire} in a KeyValue record`)
  }
  return new Uint8Array(0)
}

/** Key bytes as a latin1 string: one char per byte, so string order is etcd's byte order. */
export const latin1 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1')

export class SnapshotIndex {
  /** Every key that has a revision in the file, sorted by bytes (latin1). */
  readonly keys: string[]
  /** Revisions of key i are [offsets[i], offsets[i+1]) in mains/subs/tombs, oldest first. */
  private readonly offsets: Uint32Array
  private readonly mains: Float64Array
  private readonly subs: Uint32Array
  private readonly tombs: Uint8Array
  /** liveBefore[i] = keys alive at the head among keys[0..i). */
  private readonly liveBefore: Uint32Array
  /** The newest revision in the file (a --bump-revision marker counts). */
  readonly headRevision: number
  /** Reads below this revision are refused as compacted, as etcd would after start. */
  readonly compactRevision: number
  readonly revisionCount: number
  private leaseKeys: Map<string, string[]> | null = null
  private closed = false

  private constructor(
    readonly path: string,
    private readonly db: BoltDb,
    private readonly keyBucket: BucketRef | null,
    parts: { keys: string[]; offsets: Uint32Array; mains: Float64Array; subs: Uint32Array; tombs: Uint8Array; head: number; compact: number },
  ) {
    this.keys = parts.keys
    this.offsets = parts.offsets
    this.mains = parts.mains
    this.subs = parts.subs
    this.tombs = parts.tombs
    this.headRevision = parts.head
    this.compactRevision = parts.compact
    this.revisionCount = parts.mains.length
    this.liveBefore = new Uint32Array(this.keys.length + 1)
    for (let i = 0; i < this.keys.length; i++) this.liveBefore[i + 1] = this.liveBefore[i]! + (this.tombs[this.offsets[i + 1]! - 1] ? 0 : 1)
  }

  /** Builds the index of a snapshot file that verify already accepted. */
  static async build(path: string, onProgress?: (p: IndexProgress) => void): Promise<SnapshotIndex> {
    const db = openDb(path)
    try {
      const reader = readEtcdSnapshot(db)
      const meta = reader.meta()
      const compact = Math.max(Number(meta.finishedCompactRev?.main ?? 0n), Number(meta.scheduledCompactRev?.main ?? 0n))
      const keyBucket = bucketAt(db, 'key')
      const perKey = new Map<string, number[]>()
      let head = 0
      let total = 0
      if (keyBucket) {
        let sliceStart = performance.now()
        let n = 0
        for (const e of entries(db, keyBucket)) {
          const rev = decodeRevisionKey(e.key)
          const main = Number(rev.main)
          if (main > head) head = main
          if (e.value.length > 0) {
            const k = latin1(keyOfRecord(e.value))
            let list = perKey.get(k)
            if (!list) perKey.set(k, (list = []))
            list.push(main, Number(rev.sub), rev.tombstone ? 1 : 0)
            total++
          }
          if (++n % 512 === 0 && performance.now() - sliceStart > SLICE_MS) {
            onProgress?.({ revisions: n })
            await yieldTurn()
            sliceStart = performance.now()
          }
        }
      }
      const keys = [...perKey.keys()].sort()
      const offsets = new Uint32Array(keys.length + 1)
      const mains = new Float64Array(total)
      const subs = new Uint32Array(total)
      const tombs = new Uint8Array(total)
      let at = 0
      for (let i = 0; i < keys.length; i++) {
        const list = perKey.get(keys[i]!)!
        perKey.delete(keys[i]!)
        offsets[i] = at
        for (let j = 0; j < list.length; j += 3) {
          mains[at] = list[j]!
          subs[at] = list[j + 1]!
          tombs[at] = list[j + 2]!
          at++
        }
      }
      offsets[keys.length] = at
      return new SnapshotIndex(path, db, keyBucket, { keys, offsets, mains, subs, tombs, head: Math.max(head, 1), compact })
    } catch (err) {
      db.close()
      throw err
    }
  }

  get liveKeys(): number {
    return this.liveBefore[this.keys.length]!
  }

  /** Live keys at the head among keys[lo, hi). */
  liveBetween(lo: number, hi: number): number {
    return this.liveBefore[hi]! - this.liveBefore[lo]!
  }

  /** The revision of key i that is visible at `revision` (null when the key did not exist then or was deleted). */
  visibleAt(i: number, revision: number): IndexedRevision | null {
    const start = this.offsets[i]!
    const end = this.offsets[i + 1]!
    let j: number
    if (revision >= this.headRevision) j = end - 1
    else {
      // Last revision with main <= revision.
      let lo = start
      let hi = end
      while (lo < hi) {
        const mid = (lo + hi) >>> 1
        if (this.mains[mid]! <= revision) lo = mid + 1
        else hi = mid
      }
      j = lo - 1
      if (j < start) return null
    }
    if (this.tombs[j]) return null
    return { main: this.mains[j]!, sub: this.subs[j]!, tombstone: false }
  }

  /** The newest revision of key i (tombstone included): its mod revision at the head. */
  headOf(i: number): IndexedRevision {
    const j = this.offsets[i + 1]! - 1
    return { main: this.mains[j]!, sub: this.subs[j]!, tombstone: this.tombs[j] === 1 }
  }

  /** Reads one revision's record from the file. */
  record(rev: IndexedRevision): KeyValue {
    if (this.closed) throw new Error('the snapshot was closed')
    const e = this.keyBucket && get(this.db, this.keyBucket, encodeRevision({ main: BigInt(rev.main), sub: BigInt(rev.sub) }, rev.tombstone))
    if (!e) throw new Error(`revision ${rev.main}_${rev.sub} is missing from ${this.path}`)
    return decodeKeyValue(e.value)
  }

  /** Live keys per lease at the head (read once, on first use). */
  keysOfLeases(): Map<string, string[]> {
    if (this.leaseKeys) return this.leaseKeys
    const map = new Map<string, string[]>()
    for (let i = 0; i < this.keys.length; i++) {
      const rev = this.visibleAt(i, this.headRevision)
      if (!rev) continue
      const kv = this.record(rev)
      if (kv.lease === 0n) continue
      const id = kv.lease.toString()
      let list = map.get(id)
      if (!list) map.set(id, (list = []))
      list.push(this.keys[i]!)
    }
    this.leaseKeys = map
    return map
  }

  leases() {
    return [...readEtcdSnapshot(this.db).leases()]
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    this.db.close()
  }
}
