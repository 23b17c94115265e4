// Verifying a snapshot while it streams. A backup receives the file in page order; the checks that
// verifySnapshot makes afterwards (bbolt's tx.Check, etcd's key records, the status numbers) walk the
// tree in key order and would read the whole file a second time. Here each page is looked at once, as
// it arrives: its header, its elements, the order of its keys, and — for pages that may belong to
// etcd's `key` bucket — every revision key and KeyValue record. What is kept per page is a small
// summary (type, first and last key, children, bucket entries). When the stream ends, `finish` walks
// the tree over those summaries: reachability (each page once, none out of bounds, unreachable ones
// free), key bounds given by parents, which pages the `key` bucket owns, the revision and etcdctl's
// key count. Pages that span several (overflow) and the small buckets are read back from the file.
//
// The verdicts equal verifySnapshot's; test/unit/bbolt/streamVerify.test.ts compares both on valid
// and damaged files.

import { BUCKET_LEAF_FLAG, LEAF_ELEMENT_SIZE, BRANCH_ELEMENT_SIZE, PAGE_HEADER_SIZE, PageFlag } from './constants'
import { compareBytes, u16le, u32le, u64le, utf8 } from './bytes'
import { PageLedger } from './pageLedger'
import { bucketRefFromValue, openDb, type BoltDb } from './db'
import { InconsistentDbError, MetaCorruptError, NotBboltFileError, SchemaError, TruncatedSnapshotError } from './errors'
import { validateEtcdSchema } from './etcdSnapshot'
import { readFreelist } from './freelist'
import { parseMeta, type Meta } from './meta'
import { pageTypeName } from './page'

interface LeafSummary {
  kind: 'leaf'
  headerId: number
  count: number
  first: Uint8Array | null
  last: Uint8Array | null
  /** Problems inside the page (element bounds, key order). */
  problem: string | null
  /** Bucket entries: key and value (InBucket header, plus the page image of an inline bucket). */
  buckets: { key: Uint8Array; value: Uint8Array }[]
  /** First reason the page's records are not etcd `key` bucket records, if any. */
  notKeyRecords: string | null
}

interface BranchSummary {
  kind: 'branch'
  headerId: number
  keys: Uint8Array[]
  children: number[]
  problem: string | null
}

interface OtherSummary {
  kind: 'other'
  headerId: number
  flags: number
}

type Summary = LeafSummary | BranchSummary | OtherSummary

export interface StreamVerifyResult {
  pageSize: number
  /** Main revision of the newest record in `key` (etcdctl's "revision"). */
  revision: number
  /** Every key/value of every top-level bucket (etcdctl 3.4's "total keys"). */
  totalKey: number
  /** hwm × page size. */
  totalSize: number
  pagesReachable: number
  pagesFree: number
}

const KEY_BUCKET = utf8('key')
const copy = (b: Uint8Array) => Uint8Array.prototype.slice.call(b) as Uint8Array

const keyText = (k: Uint8Array): string => {
  const printable = k.every((c) => c >= 0x20 && c < 0x7f)
  return printable ? JSON.stringify(String.fromCharCode(...k.subarray(0, 64))) : `0x${Buffer.from(k.subarray(0, 32)).toString('hex')}`
}

/**
 * Why the value b[v, end) is not a valid record of etcd's `key` bucket under the revision key b[k, v),
 * or null. Offsets into the page rather than subarrays: it runs for every record of the database.
 */
function keyRecordProblem(b: Uint8Array, k: number, v: number, end: number): string | null {
  const klen = v - k
  if (klen !== 17 && klen !== 18) return `revision key has ${klen} bytes, expected 17 or 18`
  if (b[k + 8] !== 0x5f) return `revision key byte 8 is 0x${b[k + 8]!.toString(16)}, expected '_'`
  const tombstone = klen === 18
  if (tombstone && b[k + 17] !== 0x74) return `revision key byte 17 is 0x${b[k + 17]!.toString(16)}, expected 't'`
  if (b[k]! & 0x80 || b[k + 9]! & 0x80) return 'negative revision'
  if (end === v) return null // the --bump-revision marker
  // mvccpb.KeyValue, scanned without allocating: wire format, a non-empty key, mod_revision = main.
  let pos = v
  let keyLen = 0
  let mod = 0
  let modBig: bigint | null = null
  while (pos < end) {
    let tag = 0
    let mult = 1
    for (let i = 0; ; i++) {
      if (i >= 7) return 'tag varint is implausibly large'
      if (pos >= end) return 'truncated varint'
      const byte = b[pos++]!
      tag += (byte & 0x7f) * mult
      if ((byte & 0x80) === 0) break
      mult *= 128
    }
    const field = Math.floor(tag / 8)
    const wire = tag % 8
    if (field === 0) return 'field number 0'
    if (wire === 0) {
      let n = 0
      let m = 1
      let big: bigint | null = null
      for (let i = 0; ; i++) {
        if (i >= 10) return 'varint too long'
        if (pos >= end) return 'truncated varint'
        const byte = b[pos++]!
        if (i < 7) n += (byte & 0x7f) * m
        else big = (big ?? BigInt(n)) + (BigInt(byte & 0x7f) << BigInt(7 * i))
        if ((byte & 0x80) === 0) break
        m *= 128
      }
      if (field === 3) {
        mod = n
        modBig = big === null ? null : BigInt.asIntN(64, big)
      }
    } else if (wire === 2) {
      let len = 0
      let m = 1
      for (let i = 0; ; i++) {
        if (i >= 7) return 'length varint is implausibly large'
        if (pos >= end) return 'truncated varint'
        const byte = b[pos++]!
        len += (byte & 0x7f) * m
        if ((byte & 0x80) === 0) break
        m *= 128
      }
      if (pos + len > end) return `field ${field} length ${len} runs past the message`
      if (field === 1) keyLen = len
      pos += len
    } else if (wire === 1 || wire === 5) {
      const len = wire === 1 ? 8 : 4
      if (pos + len > end) return `field ${field} runs past the message`
      pos += len
    } else return `unsupported wire type ${wire} for field ${field}`
  }
  if (!tombstone) {
    const main = (b[k]! * 2 ** 24 + b[k + 1]! * 2 ** 16 + b[k + 2]! * 2 ** 8 + b[k + 3]!) * 2 ** 32 + (b[k + 4]! * 2 ** 24 + b[k + 5]! * 2 ** 16 + b[k + 6]! * 2 ** 8 + b[k + 7]!)
    const matches = modBig !== null ? modBig === BigInt(main) && main < 2 ** 53 : mod === main
    if (!matches || (modBig === null && main >= 2 ** 53)) {
      let big = 0n
      for (let i = 0; i < 8; i++) big = (big << 8n) | BigInt(b[k + i]!)
      if ((modBig ?? BigInt(mod)) !== BigInt.asIntN(64, big)) return `revision ${big}_… holds a KeyValue with mod_revision ${modBig ?? mod}`
    }
  }
  if (keyLen === 0) return 'empty key'
  return null
}

/** memcmp order of b[a, a + alen) and b[c, c + clen): compareBytes without two subarrays per call. */
function compareIn(b: Uint8Array, a: number, alen: number, c: number, clen: number): number {
  const n = alen < clen ? alen : clen
  for (let i = 0; i < n; i++) {
    const d = b[a + i]! - b[c + i]!
    if (d !== 0) return d
  }
  return alen - clen
}

/** memcmp order of a[o, o + len) and b: compareBytes without a subarray. */
function compareWith(a: Uint8Array, o: number, len: number, b: Uint8Array): number {
  const n = len < b.length ? len : b.length
  for (let i = 0; i < n; i++) {
    const d = a[o + i]! - b[i]!
    if (d !== 0) return d
  }
  return len - b.length
}

/** The summary of one node page (bytes include its overflow pages). */
function summarize(flags: number, count: number, headerId: number, b: Uint8Array): Summary {
  if (flags === PageFlag.leaf) {
    const s: LeafSummary = { kind: 'leaf', headerId, count, first: null, last: null, problem: null, buckets: [], notKeyRecords: null }
    if (PAGE_HEADER_SIZE + count * LEAF_ELEMENT_SIZE > b.length) {
      s.problem = `${count} leaf elements do not fit in the page`
      return s
    }
    let prev: Uint8Array | null = null
    let first: Uint8Array | null = null
    for (let i = 0, e = PAGE_HEADER_SIZE; i < count; i++, e += LEAF_ELEMENT_SIZE) {
      const eflags = u32le(b, e)
      const k = e + u32le(b, e + 4)
      const v = k + u32le(b, e + 8)
      const end = v + u32le(b, e + 12)
      if (end > b.length) {
        s.problem = `leaf element ${i} points past the end of the page (${end} > ${b.length})`
        return s
      }
      const key = b.subarray(k, v)
      if (i === 0) first = key
      if (prev && compareBytes(prev, key) >= 0 && !s.problem) s.problem = `key ${keyText(key)} is not after ${keyText(prev)}`
      prev = key
      const value = b.subarray(v, end)
      if (eflags & BUCKET_LEAF_FLAG) {
        s.buckets.push({ key: copy(key), value: copy(value) })
        s.notKeyRecords ??= 'the key bucket contains a nested bucket'
      } else if (s.notKeyRecords === null) {
        const p = keyRecordProblem(b, k, v, end)
        if (p) s.notKeyRecords = p
      }
    }
    s.first = first ? copy(first) : null
    s.last = prev ? copy(prev) : null
    return s
  }
  if (flags === PageFlag.branch) {
    const s: BranchSummary = { kind: 'branch', headerId, keys: [], children: [], problem: null }
    if (PAGE_HEADER_SIZE + count * BRANCH_ELEMENT_SIZE > b.length) {
      s.problem = `${count} branch elements do not fit in the page`
      return s
    }
    for (let i = 0, e = PAGE_HEADER_SIZE; i < count; i++, e += BRANCH_ELEMENT_SIZE) {
      const kStart = e + u32le(b, e)
      const ksize = u32le(b, e + 4)
      if (kStart + ksize > b.length) {
        s.problem = `branch element ${i} points past the end of the page`
        return s
      }
      s.keys.push(copy(b.subarray(kStart, kStart + ksize)))
      s.children.push(u64le(b, e + 8))
    }
    return s
  }
  return { kind: 'other', headerId, flags }
}

/** Leaf facts that are rare (a problem, bucket entries, records that are not etcd's `key` records). */
interface Extra {
  problem?: string
  notKeyRecords?: string
  buckets?: { key: Uint8Array; value: Uint8Array }[]
  branch?: BranchSummary
}

/**
 * Page summaries in flat typed arrays (about 20 bytes a page plus its first and last key), so that
 * the bookkeeping of a 200 MB snapshot's 50,000 pages is a few MB and creates no garbage per page.
 */
class PageTable {
  kind = new Uint8Array(1024) // 0 none, 1 leaf, 2 branch, 3 other
  headerId = new Float64Array(1024)
  count = new Uint32Array(1024)
  keys = new Uint32Array(4096) // first offset, first length, last offset, last length
  arena = new Uint8Array(64 * 1024)
  arenaLen = 0
  readonly extra = new Map<number, Extra>()

  private ensure(id: number): void {
    if (id < this.kind.length) return
    let n = this.kind.length
    while (n <= id) n *= 2
    const grow = <T extends Uint8Array | Float64Array | Uint32Array>(a: T, size: number): T => {
      const b = new (a.constructor as new (n: number) => T)(size)
      b.set(a)
      return b
    }
    this.kind = grow(this.kind, n)
    this.headerId = grow(this.headerId, n)
    this.count = grow(this.count, n)
    this.keys = grow(this.keys, n * 4)
  }

  private key(b: Uint8Array, start: number, len: number): number {
    if (this.arenaLen + len > this.arena.length) {
      let n = this.arena.length
      while (n < this.arenaLen + len) n *= 2
      const a = new Uint8Array(n)
      a.set(this.arena.subarray(0, this.arenaLen))
      this.arena = a
    }
    // Keys are short (17 bytes in etcd's key bucket): a loop beats a subarray and set.
    const arena = this.arena
    for (let i = 0, o = this.arenaLen; i < len; i++) arena[o + i] = b[start + i]!
    this.arenaLen += len
    return this.arenaLen - len
  }

  add(id: number, b: Uint8Array): void {
    this.ensure(id)
    const flags = u16le(b, 8)
    const count = u16le(b, 10)
    this.headerId[id] = u64le(b, 0)
    this.count[id] = count
    if (flags === PageFlag.branch) {
      this.kind[id] = 2
      this.extra.set(id, { branch: summarize(flags, count, this.headerId[id]!, b) as BranchSummary })
      return
    }
    if (flags !== PageFlag.leaf) {
      this.kind[id] = 3
      this.count[id] = flags
      return
    }
    this.kind[id] = 1
    const ex: Extra = {}
    if (PAGE_HEADER_SIZE + count * LEAF_ELEMENT_SIZE > b.length) ex.problem = `${count} leaf elements do not fit in the page`
    else {
      let prevK = -1
      let prevLen = 0
      let firstK = -1
      let firstLen = 0
      for (let i = 0, e = PAGE_HEADER_SIZE; i < count; i++, e += LEAF_ELEMENT_SIZE) {
        const eflags = u32le(b, e)
        const k = e + u32le(b, e + 4)
        const ksize = u32le(b, e + 8)
        const v = k + ksize
        const end = v + u32le(b, e + 12)
        if (end > b.length) {
          ex.problem = `leaf element ${i} points past the end of the page (${end} > ${b.length})`
          prevK = -1
          break
        }
        if (i === 0) {
          firstK = k
          firstLen = ksize
        } else if (ex.problem === undefined && compareIn(b, prevK, prevLen, k, ksize) >= 0)
          ex.problem = `key ${keyText(b.subarray(k, v))} is not after ${keyText(b.subarray(prevK, prevK + prevLen))}`
        prevK = k
        prevLen = ksize
        if (eflags & BUCKET_LEAF_FLAG) {
          ;(ex.buckets ??= []).push({ key: copy(b.subarray(k, v)), value: copy(b.subarray(v, end)) })
          ex.notKeyRecords ??= 'the key bucket contains a nested bucket'
        } else if (ex.notKeyRecords === undefined) {
          const problem = keyRecordProblem(b, k, v, end)
          if (problem) ex.notKeyRecords = problem
        }
      }
      if (firstK >= 0 && prevK >= 0) {
        this.keys[id * 4] = this.key(b, firstK, firstLen)
        this.keys[id * 4 + 1] = firstLen
        this.keys[id * 4 + 2] = this.key(b, prevK, prevLen)
        this.keys[id * 4 + 3] = prevLen
      }
    }
    if (ex.problem !== undefined || ex.notKeyRecords !== undefined || ex.buckets) this.extra.set(id, ex)
  }

  /** Bytes this table holds (typed arrays, key arena, and an estimate for the rare extras). */
  bytes(): number {
    let extra = 0
    for (const e of this.extra.values()) {
      extra += 64
      for (const b of e.buckets ?? []) extra += b.key.length + b.value.length + 64
      for (const k of e.branch?.keys ?? []) extra += k.length + 48
    }
    return this.kind.byteLength + this.headerId.byteLength + this.count.byteLength + this.keys.byteLength + this.arena.byteLength + extra
  }

  /** The summary of a page seen in the stream, or undefined. */
  get(id: number): Summary | undefined {
    if (id >= this.kind.length) return undefined
    const kind = this.kind[id]
    if (kind === 0) return undefined
    const headerId = this.headerId[id]!
    if (kind === 2) return this.extra.get(id)!.branch!
    if (kind === 3) return { kind: 'other', headerId, flags: this.count[id]! }
    const ex = this.extra.get(id)
    const count = this.count[id]!
    const has = this.keys[id * 4 + 1]! > 0 || (count > 0 && !ex?.problem)
    const k = this.keys
    return {
      kind: 'leaf',
      headerId,
      count,
      first: has ? this.arena.subarray(k[id * 4]!, k[id * 4]! + k[id * 4 + 1]!) : null,
      last: has ? this.arena.subarray(k[id * 4 + 2]!, k[id * 4 + 2]! + k[id * 4 + 3]!) : null,
      problem: ex?.problem ?? null,
      buckets: ex?.buckets ?? [],
      notKeyRecords: ex?.notKeyRecords ?? null,
    }
  }
}

export class StreamingVerifier {
  /**
   * Set when the summaries outgrew the budget (a database of several GiB): the checker stops and
   * the caller runs the full verifySnapshot instead, so memory stays bounded whatever the size.
   */
  overBudget = false
  private pageSize = 0
  private buf: Uint8Array = new Uint8Array(0)
  private bufLen = 0
  private nextPage = 0
  private received = 0
  private readonly metas: (Uint8Array | null)[] = [null, null]
  private table = new PageTable()

  /** `budgetBytes`: the most the page summaries may hold (default 64 MiB, ~2 GB of database). */
  constructor(private readonly budgetBytes = 64 * 1024 * 1024) {}
  /** Pages whose header claims overflow: read back from the file if the tree reaches them. */
  private readonly deferred = new Set<number>()

  /** Memory the page summaries hold (for tests and the docs' claim of a few MB per 200 MB). */
  retainedBytes(): number {
    return this.table.bytes()
  }

  /** Feeds the next bytes of the stream (the database; a trailing SHA-256 is ignored by finish). */
  push(data: Uint8Array): void {
    // A plain Uint8Array view: Buffer's subarray (one per page below) costs several times more.
    const chunk = data instanceof Buffer ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : data
    this.received += chunk.length
    let off = 0
    if (this.pageSize === 0) {
      // Meta page 0 tells the page size; keep bytes until its header and meta fields are in.
      this.append(chunk)
      off = chunk.length
      if (this.bufLen < PAGE_HEADER_SIZE + 64) return
      const m = parseMeta(this.buf.subarray(0, this.bufLen))
      this.pageSize = m.ok ? m.meta.pageSize : 4096
      if (!(this.pageSize >= 512 && this.pageSize <= 1 << 20 && (this.pageSize & (this.pageSize - 1)) === 0)) this.pageSize = 4096
      const pending = this.buf.subarray(0, this.bufLen)
      this.buf = new Uint8Array(this.pageSize)
      this.bufLen = 0
      this.feed(pending)
      return
    }
    this.feed(off ? chunk.subarray(off) : chunk)
  }

  private append(chunk: Uint8Array): void {
    const next = new Uint8Array(this.bufLen + chunk.length)
    next.set(this.buf.subarray(0, this.bufLen))
    next.set(chunk, this.bufLen)
    this.buf = next
    this.bufLen = next.length
  }

  private feed(chunk: Uint8Array): void {
    const ps = this.pageSize
    let pos = 0
    if (this.bufLen > 0) {
      const take = Math.min(ps - this.bufLen, chunk.length)
      this.buf.set(chunk.subarray(0, take), this.bufLen)
      this.bufLen += take
      pos = take
      if (this.bufLen < ps) return
      this.page(this.buf)
      this.bufLen = 0
    }
    while (chunk.length - pos >= ps) {
      this.page(chunk.subarray(pos, pos + ps))
      pos += ps
    }
    if (pos < chunk.length) {
      this.buf.set(chunk.subarray(pos), 0)
      this.bufLen = chunk.length - pos
    }
  }

  private page(b: Uint8Array): void {
    const id = this.nextPage++
    if (this.overBudget) return
    if ((id & 1023) === 0 && this.table.bytes() > this.budgetBytes) {
      this.overBudget = true
      this.table = new PageTable()
      this.deferred.clear()
      return
    }
    if (id < 2) {
      this.metas[id] = copy(b)
      return
    }
    const overflow = u32le(b, 12)
    if (overflow > 0) {
      this.deferred.add(id)
      return
    }
    this.table.add(id, b)
  }

  /**
   * Completes the checks once the stream is complete and written to `file` (read back only for
   * multi-page nodes, the freelist and the small buckets). Throws the BboltError verifySnapshot
   * would throw; returns the status numbers.
   */
  finish(file: string, dbBytes: number): StreamVerifyResult {
    if (this.overBudget) throw new Error('the streaming check stopped: its page summaries outgrew the memory budget')
    const name = file
    const parsed = [0, 1].map((i) => (this.metas[i] ? parseMeta(this.metas[i]!) : ({ ok: false, reason: 'file too short for a meta page' } as const)))
    const valid = parsed.map((p) => (p.ok && p.meta.pageSize === this.pageSize ? p.meta : null))
    if (!valid[0] && !valid[1]) {
      // Damaged meta pages: let the full reader (which also probes other page sizes) say why.
      throw this.metas[0] && this.metas[0].length >= 20 && u32le(this.metas[0], 16) === 0xed0cdaed ? new MetaCorruptError(name, parsed.map((p, i) => `meta ${i}: ${p.ok ? 'page size mismatch' : p.reason}`).join('; ')) : new NotBboltFileError(name, 'no bbolt magic number in either meta page')
    }
    const meta: Meta = valid[0] && (!valid[1] || valid[0].txid >= valid[1].txid) ? valid[0] : valid[1]!
    const hwm = meta.pgid
    const expected = hwm * meta.pageSize
    if (dbBytes < expected) throw new TruncatedSnapshotError(name, dbBytes + 32, expected)

    let db: BoltDb | null = null
    const file_ = () => (db ??= openDb(file, { limit: dbBytes }))
    try {
      const ledger = new PageLedger(hwm)
      const report = (m: string) => ledger.report(m)
      const mark = (id: number, via: string | (() => string)): boolean => ledger.reach(id, via)
      if (meta.freelist !== null) {
        const flId = meta.freelist
        try {
          const flPage = file_().page(flId)
          for (let i = 0; i <= flPage.overflow; i++) mark(flId + i, 'meta (freelist)')
          for (const id of readFreelist(flPage)) ledger.listedFree(id)
        } catch (e) {
          report(`freelist page ${flId}: ${(e as Error).message}`)
        }
      }

      // The node at `pgid`: its summary from the stream, or read back from the file.
      const node = (pgid: number): { s: Summary; overflow: number } | string => {
        if (!this.deferred.has(pgid)) {
          const s = this.table.get(pgid)
          if (s) return { s, overflow: 0 }
        }
        try {
          const p = file_().page(pgid)
          return { s: summarize(p.flags, p.count, p.headerId, p.bytes), overflow: p.overflow }
        } catch (e) {
          return (e as Error).message
        }
      }

      let totalKey = 0
      let lastKeyBucketKey: Uint8Array | null = null
      const keyRecordProblems: string[] = []

      const checkBounds = (first: Uint8Array | null, last: Uint8Array | null, lo: Uint8Array | null, hi: Uint8Array | null, where: string) => {
        if (first && lo && compareBytes(first, lo) < 0) report(`${where}: key ${keyText(first)} is below the parent's lower bound ${keyText(lo)}`)
        if (last && hi && compareBytes(last, hi) >= 0) report(`${where}: key ${keyText(last)} is not below the parent's next key ${keyText(hi)}`)
      }

      // ctx: which top-level bucket we are in (null in the root bucket), for counting and etcd's records.
      const leaf = (s: LeafSummary, lo: Uint8Array | null, hi: Uint8Array | null, where: string, top: Uint8Array | null, pgid: number) => {
        if (s.problem) report(`${where}: ${s.problem}`)
        checkBounds(s.first, s.last, lo, hi, where)
        if (top) {
          totalKey += s.count
          if (compareBytes(top, KEY_BUCKET) === 0) {
            if (s.notKeyRecords && keyRecordProblems.length < 50) keyRecordProblems.push(`key: ${s.notKeyRecords}`)
            if (s.last) lastKeyBucketKey = s.last
          }
        }
        for (const bk of s.buckets) {
          const path = `${where.replace(/^bucket /, '')}/${keyText(bk.key)}`
          let ref
          try {
            ref = bucketRefFromValue(bk.value, pgid)
          } catch (e) {
            report(`${where}: nested bucket ${keyText(bk.key)}: ${(e as Error).message}`)
            continue
          }
          const childTop = top ?? bk.key
          if (ref.inlinePage) {
            const ip = ref.inlinePage
            if (ip.flags !== PageFlag.leaf) {
              report(`inline bucket ${path}: inline page has invalid type ${pageTypeName(ip.flags)}`)
              continue
            }
            const is = summarize(ip.flags, ip.count, ip.headerId, ip.bytes) as LeafSummary
            leaf(is, null, null, `inline bucket ${path}`, childTop, pgid)
          } else if (ref.root < 2) report(`bucket ${path}: root page ${ref.root} is a meta page`)
          else walk(ref.root, null, null, `bucket ${path}`, path, 0, childTop)
        }
      }

      // A leaf page summarised in the stream with nothing to report (almost every page): checked
      // straight from the table's arrays, as leaf() would check its summary, without building one.
      const table = this.table
      const quietLeaf = (pgid: number, lo: Uint8Array | null, hi: Uint8Array | null, path: string, top: Uint8Array | null): boolean => {
        if (table.kind[pgid] !== 1 || table.extra.has(pgid) || this.deferred.has(pgid)) return false
        if (table.headerId[pgid] !== pgid) report(`page ${pgid}: header says it is page ${table.headerId[pgid]}`)
        const count = table.count[pgid]!
        const k = table.keys
        const i = pgid * 4
        if (k[i + 1]! > 0 || count > 0) {
          const arena = table.arena
          if (lo && compareWith(arena, k[i]!, k[i + 1]!, lo) < 0) report(`bucket ${path} page ${pgid}: key ${keyText(arena.subarray(k[i]!, k[i]! + k[i + 1]!))} is below the parent's lower bound ${keyText(lo)}`)
          if (hi && compareWith(arena, k[i + 2]!, k[i + 3]!, hi) >= 0) report(`bucket ${path} page ${pgid}: key ${keyText(arena.subarray(k[i + 2]!, k[i + 2]! + k[i + 3]!))} is not below the parent's next key ${keyText(hi)}`)
          if (top && compareBytes(top, KEY_BUCKET) === 0) lastKeyBucketKey = arena.subarray(k[i + 2]!, k[i + 2]! + k[i + 3]!)
        }
        if (top) totalKey += count
        return true
      }

      const walk = (pgid: number, lo: Uint8Array | null, hi: Uint8Array | null, via: string | (() => string), path: string, depth: number, top: Uint8Array | null): void => {
        if (!mark(pgid, via)) return
        if (quietLeaf(pgid, lo, hi, path, top)) return
        const n = node(pgid)
        if (typeof n === 'string') {
          report(n)
          return
        }
        const { s, overflow } = n
        if (s.headerId !== pgid) report(`page ${pgid}: header says it is page ${s.headerId}`)
        for (let i = 1; i <= overflow; i++) mark(pgid + i, `overflow of page ${pgid}`)
        const where = `bucket ${path} page ${pgid}`
        if (s.kind === 'leaf') leaf(s, lo, hi, where, top, pgid)
        else if (s.kind === 'branch') {
          if (depth > 64) {
            report(`${where}: branch pages nest deeper than 64 levels`)
            return
          }
          if (s.problem) {
            report(`${where}: ${s.problem}`)
            return
          }
          if (s.keys.length === 0) report(`${where}: empty branch page`)
          for (let i = 1; i < s.keys.length; i++) if (compareBytes(s.keys[i - 1]!, s.keys[i]!) >= 0) report(`${where}: key ${keyText(s.keys[i]!)} is not after ${keyText(s.keys[i - 1]!)}`)
          checkBounds(s.keys[0] ?? null, s.keys[s.keys.length - 1] ?? null, lo, hi, where)
          for (let i = 0; i < s.keys.length; i++) walk(s.children[i]!, s.keys[i]!, i + 1 < s.keys.length ? s.keys[i + 1]! : hi, where, path, depth + 1, top)
        } else report(`page ${pgid}: invalid type ${pageTypeName(s.flags)} in ${path}`)
      }

      walk(meta.root, null, null, 'meta (root bucket)', '<root>', 0, null)
      const unreachable = ledger.settle(meta.freelist !== null)
      if (ledger.problems.length || unreachable) throw new InconsistentDbError(name, ledger.problems)

      // etcd's schema: the key bucket's records were checked page by page; the rest are small.
      const schema = validateEtcdSchema(file_(), 50, { skipKeyRecords: true })
      const all = [...schema, ...keyRecordProblems]
      if (all.length) throw new SchemaError(name, all.join('; '))

      let revision = 0
      const lk = lastKeyBucketKey as Uint8Array | null
      if (lk && lk.length >= 8) {
        let v = 0n
        for (let i = 0; i < 8; i++) v = (v << 8n) | BigInt(lk[i]!)
        revision = Number(BigInt.asIntN(64, v))
      }
      return { pageSize: meta.pageSize, revision, totalKey, totalSize: expected, pagesReachable: ledger.reachable, pagesFree: ledger.free }
    } finally {
      ;(db as BoltDb | null)?.close()
    }
  }
}

