// Writes a compact bbolt database from sorted bucket contents. Leaves are packed full,
// branch levels are built from each child's first key, big values get overflow pages,
// small buckets are stored inline, and both meta pages carry valid checksums.
//
// The layout is produced by one deterministic pass that yields pages in id order. To
// stream a file front to back (meta pages first), encodeDb runs that pass twice: a dry
// run to learn the root page and high-water mark, then the real one. Bucket entries must
// therefore be re-iterable (arrays, or objects whose [Symbol.iterator] restarts).

import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs'
import { createHash } from 'node:crypto'
import {
  BRANCH_ELEMENT_SIZE,
  BUCKET_HEADER_SIZE,
  BUCKET_LEAF_FLAG,
  DEFAULT_PAGE_SIZE,
  LEAF_ELEMENT_SIZE,
  MAX_KEY_SIZE,
  MAX_VALUE_SIZE,
  PAGE_HEADER_SIZE,
  PageFlag,
} from './constants'
import { compareBytes, putU16le, putU32le, putU64le, utf8 } from './bytes'
import { WriterInputError } from './errors'
import { encodeFreelistPage } from './freelist'
import { encodeMetaPage } from './meta'

export interface NestedBucket {
  readonly entries: Iterable<WriterEntry>
  readonly sequence?: bigint
}

/** A key/value pair, or a nested bucket under `key`. */
export type WriterEntry = readonly [key: Uint8Array, value: Uint8Array] | { readonly key: Uint8Array; readonly bucket: NestedBucket }

export interface BucketContents extends NestedBucket {
  readonly name: string | Uint8Array
}

export interface WriteOptions {
  /** Page size of the new file (default 4096, what etcd uses on x86_64 and arm64 Linux). */
  pageSize?: number
  /**
   * 'none' (default) leaves the freelist unpersisted, as etcd's NoFreelistSync does;
   * 'page' writes an empty freelist page for tools that expect one.
   */
  freelist?: 'none' | 'page'
  /** Transaction id of the active meta page (default 1). */
  txid?: bigint
}

interface PageOut {
  readonly pgid: number
  readonly pages: number
  /** null in the dry run, where only the layout is needed. */
  readonly bytes: Uint8Array | null
}

interface Element {
  readonly flags: number
  readonly key: Uint8Array
  /** Leaf value; unused for branch elements. */
  readonly value: Uint8Array
  /** Child page id; branch elements only. */
  readonly child: number
}

interface Layout {
  readonly root: number
  readonly hwm: number
}

const MAX_ELEMENTS_PER_PAGE = 0xffff
const EMPTY = new Uint8Array(0)

class Allocator {
  constructor(public next: number) {}
  take(pages: number): number {
    const id = this.next
    this.next += pages
    return id
  }
}

function checkEntry(key: Uint8Array, value: Uint8Array | null, prev: Uint8Array | null, where: string): void {
  if (key.length === 0) throw new WriterInputError(`${where}: empty key`)
  if (key.length > MAX_KEY_SIZE) throw new WriterInputError(`${where}: key of ${key.length} bytes exceeds bbolt's ${MAX_KEY_SIZE}`)
  if (value && value.length > MAX_VALUE_SIZE) throw new WriterInputError(`${where}: value of ${value.length} bytes is too large`)
  if (prev && compareBytes(prev, key) >= 0) throw new WriterInputError(`${where}: keys are not strictly ascending`)
}

/** Lays out a branch or leaf node (header, element array, then keys and values) into `out`. */
function writeNodeInto(out: Uint8Array, pgid: number, branch: boolean, overflow: number, elements: readonly Element[]): void {
  putU64le(out, 0, pgid)
  putU16le(out, 8, branch ? PageFlag.branch : PageFlag.leaf)
  putU16le(out, 10, elements.length)
  putU32le(out, 12, overflow)
  let data = PAGE_HEADER_SIZE + elements.length * (branch ? BRANCH_ELEMENT_SIZE : LEAF_ELEMENT_SIZE)
  for (let i = 0; i < elements.length; i++) {
    const el = elements[i]!
    const e = PAGE_HEADER_SIZE + i * LEAF_ELEMENT_SIZE
    if (branch) {
      putU32le(out, e, data - e)
      putU32le(out, e + 4, el.key.length)
      putU64le(out, e + 8, el.child)
    } else {
      putU32le(out, e, el.flags)
      putU32le(out, e + 4, data - e)
      putU32le(out, e + 8, el.key.length)
      putU32le(out, e + 12, el.value.length)
    }
    out.set(el.key, data)
    data += el.key.length
    if (!branch) {
      out.set(el.value, data)
      data += el.value.length
    }
  }
}

const elementSize = (el: Element, branch: boolean): number =>
  (branch ? BRANCH_ELEMENT_SIZE : LEAF_ELEMENT_SIZE) + el.key.length + (branch ? 0 : el.value.length)

/**
 * Packs the elements of one tree level into full pages. A page's id is taken when the
 * page is closed, so pages of sub-buckets written in between always get lower ids and
 * the whole file comes out in id order.
 */
class LevelPacker {
  readonly refs: Array<{ key: Uint8Array; pgid: number }> = []
  private pending: Element[] = []
  private size = PAGE_HEADER_SIZE

  constructor(
    private readonly branch: boolean,
    private readonly pageSize: number,
    private readonly alloc: Allocator,
    private readonly dry: boolean,
  ) {}

  /** Adds an element; returns the page it closed, if adding it closed one. */
  add(el: Element): PageOut | null {
    const s = elementSize(el, this.branch)
    let closed: PageOut | null = null
    if (this.pending.length > 0 && (this.size + s > this.pageSize || this.pending.length >= MAX_ELEMENTS_PER_PAGE)) {
      closed = this.close()
    }
    this.pending.push(el)
    this.size += s
    return closed
  }

  /** Closes the last page; an empty level still gets one (empty) page. */
  finish(): PageOut | null {
    return this.pending.length > 0 || this.refs.length === 0 ? this.close() : null
  }

  private close(): PageOut {
    const pages = Math.max(1, Math.ceil(this.size / this.pageSize))
    const pgid = this.alloc.take(pages)
    let bytes: Uint8Array | null = null
    if (!this.dry) {
      bytes = new Uint8Array(pages * this.pageSize)
      writeNodeInto(bytes, pgid, this.branch, pages - 1, this.pending)
    }
    this.refs.push({ key: this.pending.length ? this.pending[0]!.key : EMPTY, pgid })
    this.pending = []
    this.size = PAGE_HEADER_SIZE
    return { pgid, pages, bytes }
  }
}

/** Builds branch levels above `refs` until one page remains; returns the root page id. */
function* buildBranches(
  refs: Array<{ key: Uint8Array; pgid: number }>,
  alloc: Allocator,
  pageSize: number,
  dry: boolean,
): Generator<PageOut, number> {
  let level = refs
  while (level.length > 1) {
    const packer = new LevelPacker(true, pageSize, alloc, dry)
    for (const r of level) {
      const out = packer.add({ flags: 0, key: r.key, value: EMPTY, child: r.pgid })
      if (out) yield out
    }
    const last = packer.finish()
    if (last) yield last
    level = packer.refs
  }
  return level[0]!.pgid
}

function bucketHeader(root: number, sequence: bigint, inlineSize = 0): Uint8Array {
  const v = new Uint8Array(BUCKET_HEADER_SIZE + inlineSize)
  putU64le(v, 0, root)
  putU64le(v, 8, sequence)
  return v
}

/**
 * Writes one bucket's pages and returns the value its parent stores for it. Like bbolt,
 * a bucket that fits in a quarter page and has no sub-buckets is stored inline.
 */
function* writeBucket(
  spec: NestedBucket,
  alloc: Allocator,
  pageSize: number,
  dry: boolean,
  allowInline: boolean,
  where: string,
): Generator<PageOut, Uint8Array> {
  const inlineLimit = pageSize / 4
  const packer = new LevelPacker(false, pageSize, alloc, dry)
  let inline = allowInline
  let buffered: Element[] = []
  let bufferedSize = PAGE_HEADER_SIZE
  let prev: Uint8Array | null = null

  function* stopInline(): Generator<PageOut> {
    inline = false
    for (const b of buffered) {
      const out = packer.add(b)
      if (out) yield out
    }
    buffered = []
  }

  for (const entry of spec.entries) {
    let el: Element
    if (Array.isArray(entry)) {
      const [key, value] = entry as readonly [Uint8Array, Uint8Array]
      checkEntry(key, value, prev, where)
      el = { flags: 0, key, value, child: 0 }
    } else {
      const nested = entry as { key: Uint8Array; bucket: NestedBucket }
      checkEntry(nested.key, null, prev, where)
      const childWhere = `${where}/${JSON.stringify(Buffer.from(nested.key).toString('latin1'))}`
      const value = yield* writeBucket(nested.bucket, alloc, pageSize, dry, true, childWhere)
      el = { flags: BUCKET_LEAF_FLAG, key: nested.key, value, child: 0 }
      if (inline) yield* stopInline()
    }
    prev = el.key
    if (inline) {
      buffered.push(el)
      bufferedSize += elementSize(el, false)
      if (bufferedSize > inlineLimit) yield* stopInline()
      continue
    }
    const out = packer.add(el)
    if (out) yield out
  }

  if (inline) {
    const value = bucketHeader(0, spec.sequence ?? 0n, bufferedSize)
    writeNodeInto(value.subarray(BUCKET_HEADER_SIZE), 0, false, 0, buffered)
    return value
  }
  const last = packer.finish()
  if (last) yield last
  const root = yield* buildBranches(packer.refs, alloc, pageSize, dry)
  return bucketHeader(root, spec.sequence ?? 0n)
}

function normalizeBuckets(buckets: Iterable<BucketContents>): NestedBucket {
  const list = [...buckets].map((b) => ({ key: typeof b.name === 'string' ? utf8(b.name) : b.name, bucket: b }))
  list.sort((a, b) => compareBytes(a.key, b.key))
  return { entries: list }
}

function* layoutPages(root: NestedBucket, opts: Required<WriteOptions>, dry: boolean): Generator<PageOut, Layout> {
  const alloc = new Allocator(opts.freelist === 'page' ? 3 : 2)
  const header = yield* writeBucket(root, alloc, opts.pageSize, dry, false, '<root>')
  const rootPgid = Number(new DataView(header.buffer, header.byteOffset).getBigUint64(0, true))
  return { root: rootPgid, hwm: alloc.next }
}

function resolveOptions(options: WriteOptions): Required<WriteOptions> {
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE
  if (pageSize < 1024 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) {
    throw new WriterInputError(`page size ${pageSize} must be a power of two between 1024 and 65536`)
  }
  return { pageSize, freelist: options.freelist ?? 'none', txid: options.txid ?? 1n }
}

/** The page layout of a db: what a dry run of the writer learns before any byte is emitted. */
export interface DbPlan {
  readonly pageSize: number
  /** Root page of the top-level bucket directory. */
  readonly root: number
  /** High-water mark: pages in the file. */
  readonly pages: number
  /** Size of the db in bytes (pages × pageSize); a snapshot adds 32 for the SHA-256. */
  readonly dbBytes: number
}

/** Runs the layout pass only: cheap (no page is encoded), and tells the final size. */
export function planDb(buckets: Iterable<BucketContents>, options: WriteOptions = {}): DbPlan {
  const opts = resolveOptions(options)
  return planResolved(normalizeBuckets(buckets), opts)
}

function planResolved(root: NestedBucket, opts: Required<WriteOptions>): DbPlan {
  const dry = layoutPages(root, opts, true)
  let step = dry.next()
  while (!step.done) step = dry.next()
  return { pageSize: opts.pageSize, root: step.value.root, pages: step.value.hwm, dbBytes: step.value.hwm * opts.pageSize }
}

function* emit(root: NestedBucket, opts: Required<WriteOptions>, plan: DbPlan): Generator<Uint8Array, DbPlan> {
  const freelistPgid = opts.freelist === 'page' ? 2 : null
  const txid = opts.txid
  const metaFields = { root: plan.root, freelist: freelistPgid, pgid: plan.pages }
  // bbolt writes a commit's meta to page txid % 2; the other page holds the previous txid.
  const active = Number(txid % 2n)
  const older = txid > 0n ? txid - 1n : 0n
  yield encodeMetaPage(0, opts.pageSize, { ...metaFields, txid: active === 0 ? txid : older })
  yield encodeMetaPage(1, opts.pageSize, { ...metaFields, txid: active === 1 ? txid : older })
  if (freelistPgid !== null) yield encodeFreelistPage(2, opts.pageSize, [])
  let expect = freelistPgid === null ? 2 : 3
  const real = layoutPages(root, opts, false)
  let r = real.next()
  while (!r.done) {
    if (r.value.pgid !== expect) {
      throw new WriterInputError('bucket entries changed between the layout pass and the write pass; pass re-iterable, stable entries')
    }
    expect += r.value.pages
    yield r.value.bytes!
    r = real.next()
  }
  if (r.value.hwm !== plan.pages || r.value.root !== plan.root) {
    throw new WriterInputError('bucket entries changed between the layout pass and the write pass')
  }
  return plan
}

/**
 * Encodes a db as a sequence of chunks in file order (meta pages first). Top-level
 * buckets are sorted by name for you; entries inside each must already be sorted.
 * Pull-based: a caller can yield to its event loop between chunks.
 */
export function* encodeDb(buckets: Iterable<BucketContents>, options: WriteOptions = {}): Generator<Uint8Array, DbPlan> {
  const opts = resolveOptions(options)
  const root = normalizeBuckets(buckets)
  return yield* emit(root, opts, planResolved(root, opts))
}

export interface SnapshotStream {
  /** Everything the stream will yield: db bytes plus the 32-byte SHA-256. */
  readonly totalBytes: number
  readonly plan: DbPlan
  /** Db chunks (one page or one overflow run each), then the SHA-256 of all of them. */
  readonly chunks: Generator<Uint8Array, void>
}

/**
 * An etcd snapshot as a stream, for Maintenance.Snapshot: the size is known before the
 * first chunk (so `remaining_bytes` can be filled in), and the last chunk is the digest
 * etcdctl checks at restore. The contents must not change while the stream is consumed.
 */
export function snapshotStream(buckets: Iterable<BucketContents>, options: WriteOptions = {}): SnapshotStream {
  const opts = resolveOptions(options)
  const root = normalizeBuckets(buckets)
  return streamFromPlan(root, opts, planResolved(root, opts))
}

/**
 * Like snapshotStream, but the layout pass (which touches every record) runs in slices
 * of at most `sliceMs`, giving the event loop a turn between slices. A member serving
 * Maintenance.Snapshot uses this so planning a large db never stalls its Raft ticks.
 */
export async function snapshotStreamAsync(
  buckets: Iterable<BucketContents>,
  options: WriteOptions & { sliceMs?: number } = {},
): Promise<SnapshotStream> {
  const opts = resolveOptions(options)
  const root = normalizeBuckets(buckets)
  const sliceMs = options.sliceMs ?? 5
  const dry = layoutPages(root, opts, true)
  let sliceStart = performance.now()
  let step = dry.next()
  while (!step.done) {
    if (performance.now() - sliceStart >= sliceMs) {
      await new Promise<void>((resolve) => setImmediate(resolve))
      sliceStart = performance.now()
    }
    step = dry.next()
  }
  const plan: DbPlan = { pageSize: opts.pageSize, root: step.value.root, pages: step.value.hwm, dbBytes: step.value.hwm * opts.pageSize }
  return streamFromPlan(root, opts, plan)
}

function streamFromPlan(root: NestedBucket, opts: Required<WriteOptions>, plan: DbPlan): SnapshotStream {
  function* chunks(): Generator<Uint8Array, void> {
    const hash = createHash('sha256')
    for (const c of emit(root, opts, plan)) {
      hash.update(c)
      yield c
    }
    yield new Uint8Array(hash.digest())
  }
  return { totalBytes: plan.dbBytes + 32, plan, chunks: chunks() }
}

/** Encodes a db into one buffer: for tests and small dbs. */
export function encodeDbBytes(buckets: Iterable<BucketContents>, options: WriteOptions = {}): Uint8Array {
  const chunks = [...encodeDb(buckets, options)]
  let n = 0
  for (const c of chunks) n += c.length
  const out = new Uint8Array(n)
  let off = 0
  for (const c of chunks) {
    out.set(c, off)
    off += c.length
  }
  return out
}

export interface WriteResult {
  readonly path: string
  /** Bytes of the bbolt db (the trailer excluded). */
  readonly dbSize: number
  readonly pageSize: number
  readonly pages: number
  /** SHA-256 of the db bytes, hex; a snapshot's trailer holds the same digest. */
  readonly sha256: string
}

/**
 * Writes a db to `path` through a temp file, fsync and rename, so a crash never leaves a
 * half-written file under the final name. With `snapshotTrailer`, appends the SHA-256
 * that turns the db into an etcd snapshot file.
 */
export function writeDb(
  path: string,
  buckets: Iterable<BucketContents>,
  options: WriteOptions & { snapshotTrailer?: boolean; mode?: number } = {},
): WriteResult {
  const tmp = `${path}.part`
  const fd = openSync(tmp, 'w', options.mode ?? 0o600)
  const hash = createHash('sha256')
  let dbSize = 0
  try {
    // Coalesce pages into ~1 MiB writes.
    const batch: Uint8Array[] = []
    let batched = 0
    const flush = (): void => {
      if (!batched) return
      const buf = batch.length === 1 ? batch[0]! : Buffer.concat(batch)
      let off = 0
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off)
      batch.length = 0
      batched = 0
    }
    for (const chunk of encodeDb(buckets, options)) {
      hash.update(chunk)
      dbSize += chunk.length
      batch.push(chunk)
      batched += chunk.length
      if (batched >= 1 << 20) flush()
    }
    flush()
    const digest = hash.digest()
    if (options.snapshotTrailer) writeSync(fd, digest)
    fsyncSync(fd)
    closeSync(fd)
    renameSync(tmp, path)
    const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE
    return { path, dbSize, pageSize, pages: dbSize / pageSize, sha256: digest.toString('hex') }
  } catch (e) {
    try {
      closeSync(fd)
    } catch {
      // already closed
    }
    try {
      unlinkSync(tmp)
    } catch {
      // nothing to remove
    }
    throw e
  }
}

/** Writes an etcd snapshot file: the db followed by its SHA-256. */
export function writeSnapshot(path: string, buckets: Iterable<BucketContents>, options: WriteOptions = {}): WriteResult {
  return writeDb(path, buckets, { ...options, snapshotTrailer: true })
}

