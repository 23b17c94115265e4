// In-order iteration and point lookups over a bucket's B+tree. Iteration is a depth-first
// walk that holds one page per tree level, so memory is bounded by the tree height.

import { BUCKET_LEAF_FLAG, LEAF_ELEMENT_SIZE, PAGE_HEADER_SIZE, PageFlag } from './constants'
import { compareBytes, fromUtf8, u32le, u64le, utf8 } from './bytes'
import { bucketRefFromValue } from './db'
import type { BoltDb, BucketRef } from './db'
import { BucketNotFoundError, PageCorruptError } from './errors'
import { branchElements, leafElements } from './page'
import type { LeafElement, Page } from './page'

export interface BucketEntry {
  readonly key: Uint8Array
  /** The value; for a nested bucket, the raw bucket header (see `isBucket`). */
  readonly value: Uint8Array
  readonly isBucket: boolean
}

// Real trees are a handful of levels deep; a deeper walk means a cycle in a damaged file.
const MAX_DEPTH = 64

function* walkPage(db: BoltDb, page: Page, depth = 0): Generator<LeafElement> {
  if (depth > MAX_DEPTH) throw new PageCorruptError(page.pgid, `branch pages nest deeper than ${MAX_DEPTH} levels (a cycle?)`)
  if (page.flags === PageFlag.leaf) {
    yield* leafElements(page)
  } else if (page.flags === PageFlag.branch) {
    for (const el of branchElements(page)) yield* walkPage(db, db.page(el.child), depth + 1)
  } else {
    throw new PageCorruptError(page.pgid, `expected a branch or leaf page, found flags 0x${page.flags.toString(16)}`)
  }
}

/** Every key/value of a bucket in key order (nested buckets appear as entries with isBucket). */
export function* entries(db: BoltDb, bucket: BucketRef): Generator<BucketEntry> {
  const root = bucket.inlinePage ?? db.page(bucket.root)
  for (const el of walkPage(db, root)) {
    yield { key: el.key, value: el.value, isBucket: (el.flags & BUCKET_LEAF_FLAG) !== 0 }
  }
}

/**
 * Calls `fn` for every key/value of a bucket in key order. Same walk as `entries`, but
 * without generators or per-element objects: status and verify visit every element of a
 * large snapshot, and this is several times faster there. The arrays passed to `fn` are
 * views into the page cache, valid only during the call.
 */
export function forEachEntry(
  db: BoltDb,
  bucket: BucketRef,
  fn: (key: Uint8Array, value: Uint8Array, isBucket: boolean) => void,
): void {
  const visit = (page: Page, depth: number): void => {
    if (depth > MAX_DEPTH) throw new PageCorruptError(page.pgid, `branch pages nest deeper than ${MAX_DEPTH} levels (a cycle?)`)
    const b = page.bytes
    if (PAGE_HEADER_SIZE + page.count * LEAF_ELEMENT_SIZE > b.length) {
      throw new PageCorruptError(page.pgid, `${page.count} elements do not fit in the page`)
    }
    if (page.flags === PageFlag.leaf) {
      for (let i = 0, e = PAGE_HEADER_SIZE; i < page.count; i++, e += LEAF_ELEMENT_SIZE) {
        const flags = u32le(b, e)
        const k = e + u32le(b, e + 4)
        const v = k + u32le(b, e + 8)
        const end = v + u32le(b, e + 12)
        if (end > b.length) throw new PageCorruptError(page.pgid, `leaf element ${i} points past the end of the page`)
        fn(b.subarray(k, v), b.subarray(v, end), (flags & BUCKET_LEAF_FLAG) !== 0)
      }
    } else if (page.flags === PageFlag.branch) {
      for (let i = 0, e = PAGE_HEADER_SIZE; i < page.count; i++, e += LEAF_ELEMENT_SIZE) visit(db.page(u64le(b, e + 8)), depth + 1)
    } else {
      throw new PageCorruptError(page.pgid, `expected a branch or leaf page, found flags 0x${page.flags.toString(16)}`)
    }
  }
  visit(bucket.inlinePage ?? db.page(bucket.root), 0)
}

/** Opens a nested bucket entry returned by `entries`. */
export function childBucket(entry: BucketEntry, ownerPgid = 0): BucketRef {
  return bucketRefFromValue(entry.value, ownerPgid)
}

/** The top-level buckets of the db, in name order. */
export function* topLevelBuckets(db: BoltDb): Generator<{ name: Uint8Array; bucket: BucketRef }> {
  for (const e of entries(db, db.rootBucket())) {
    if (e.isBucket) yield { name: e.key, bucket: childBucket(e, db.meta.root) }
  }
}

/** Point lookup: descends branch pages by binary search instead of scanning. */
export function get(db: BoltDb, bucket: BucketRef, key: Uint8Array): BucketEntry | null {
  let page = bucket.inlinePage ?? db.page(bucket.root)
  for (let depth = 0; page.flags === PageFlag.branch; depth++) {
    if (depth > MAX_DEPTH) throw new PageCorruptError(page.pgid, 'branch pages nest deeper than any real tree')
    const els = branchElements(page)
    let lo = 0
    let hi = els.length - 1
    let idx = 0
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      if (compareBytes(els[mid]!.key, key) <= 0) {
        idx = mid
        lo = mid + 1
      } else hi = mid - 1
    }
    if (els.length === 0) return null
    page = db.page(els[idx]!.child)
  }
  if (page.flags !== PageFlag.leaf) throw new PageCorruptError(page.pgid, 'expected a leaf page')
  for (const el of leafElements(page)) {
    const c = compareBytes(el.key, key)
    if (c === 0) return { key: el.key, value: el.value, isBucket: (el.flags & BUCKET_LEAF_FLAG) !== 0 }
    if (c > 0) break
  }
  return null
}

/** Looks up a bucket by path of names (strings are UTF-8 encoded). */
export function bucketAt(db: BoltDb, ...path: Array<string | Uint8Array>): BucketRef | null {
  let cur = db.rootBucket()
  for (const part of path) {
    const name = typeof part === 'string' ? utf8(part) : part
    const e = get(db, cur, name)
    if (!e || !e.isBucket) return null
    cur = childBucket(e, cur.root)
  }
  return cur
}

/** Like bucketAt, but throws BucketNotFoundError naming the missing path. */
export function requireBucket(db: BoltDb, ...path: Array<string | Uint8Array>): BucketRef {
  const b = bucketAt(db, ...path)
  if (!b) throw new BucketNotFoundError(path.map((p) => (typeof p === 'string' ? p : fromUtf8(p))).join('/'))
  return b
}

/** Reads a whole bucket into memory: for small buckets (etcd's meta, auth, members). */
export function readBucketMap(db: BoltDb, bucket: BucketRef): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>()
  for (const e of entries(db, bucket)) if (!e.isBucket) out.set(fromUtf8(e.key), e.value.slice())
  return out
}
