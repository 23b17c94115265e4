// Opening a bbolt file read-only: choose the meta page, then hand out pages on demand
// from a positional byte source. Nothing is mapped or read up front, so opening a
// multi-gigabyte db costs two small reads.

import { BOLT_MAGIC, CANDIDATE_PAGE_SIZES, META_SIZE, PAGE_HEADER_SIZE } from './constants'
import { MetaCorruptError, NotBboltFileError, PageCorruptError, SnapshotNotFoundError, SnapshotUnreadableError } from './errors'
import { parseMeta } from './meta'
import type { Meta } from './meta'
import { readPageHeader } from './page'
import type { Page } from './page'
import { FileSource, MemorySource } from './pageSource'
import type { ByteSource, FileSourceOptions } from './pageSource'
import { u32le } from './bytes'

export interface BucketRef {
  /** Root page id; 0 for an inline bucket. */
  readonly root: number
  readonly sequence: bigint
  /** The bucket's single leaf page, stored inside its parent's value, when root is 0. */
  readonly inlinePage: Page | null
}

export interface MetaReport {
  /** Which of the two meta pages is in use (0 or 1). */
  readonly active: 0 | 1
  readonly meta: Meta
  /** Why a meta page was rejected, for both pages; null when it is valid. */
  readonly problems: readonly [string | null, string | null]
}

export class BoltDb {
  constructor(
    readonly source: ByteSource,
    readonly name: string,
    readonly metaReport: MetaReport,
  ) {}

  get meta(): Meta {
    return this.metaReport.meta
  }
  get pageSize(): number {
    return this.meta.pageSize
  }
  /** The database size bbolt reports (tx.Size): high-water mark × page size. */
  get size(): number {
    return this.meta.pgid * this.meta.pageSize
  }

  /** Reads page `pgid` with its overflow pages. Throws PageCorruptError for impossible pages. */
  page(pgid: number): Page {
    const hwm = this.meta.pgid
    if (!Number.isSafeInteger(pgid) || pgid < 0 || pgid >= hwm) {
      throw new PageCorruptError(pgid, `page id is outside the database (high-water mark ${hwm})`)
    }
    const ps = this.meta.pageSize
    const offset = pgid * ps
    if (offset + PAGE_HEADER_SIZE > this.source.size) {
      throw new PageCorruptError(pgid, `page starts at byte ${offset}, past the end of the ${this.source.size}-byte file`)
    }
    const header = readPageHeader(pgid, this.source.read(offset, PAGE_HEADER_SIZE))
    if (pgid + header.overflow >= hwm) {
      throw new PageCorruptError(pgid, `overflow of ${header.overflow} pages runs past the high-water mark ${hwm}`)
    }
    const length = (header.overflow + 1) * ps
    if (offset + length > this.source.size) {
      throw new PageCorruptError(pgid, `page ends at byte ${offset + length}, past the end of the ${this.source.size}-byte file`)
    }
    return { ...header, bytes: this.source.read(offset, length) }
  }

  rootBucket(): BucketRef {
    return { root: this.meta.root, sequence: this.meta.rootSequence, inlinePage: null }
  }

  close(): void {
    this.source.close()
  }
}

/** Decodes a bucket entry's value (InBucket header, plus the page image of an inline bucket). */
export function bucketRefFromValue(value: Uint8Array, ownerPgid: number): BucketRef {
  if (value.length < 16) throw new PageCorruptError(ownerPgid, `bucket value is ${value.length} bytes, shorter than a bucket header`)
  const lo = u32le(value, 0)
  const hi = u32le(value, 4)
  const root = lo + hi * 0x1_0000_0000
  const sequence = (BigInt(u32le(value, 12)) << 32n) | BigInt(u32le(value, 8))
  if (root !== 0) return { root, sequence, inlinePage: null }
  const bytes = value.subarray(16)
  const header = readPageHeader(ownerPgid, bytes)
  return { root: 0, sequence, inlinePage: { ...header, pgid: ownerPgid, bytes } }
}

export type OpenOptions = FileSourceOptions

/** Opens a bbolt file (a db or a snapshot; a trailing SHA-256 is simply ignored). */
export function openDb(path: string, options: OpenOptions = {}): BoltDb {
  let source: FileSource
  try {
    source = new FileSource(path, options)
  } catch (e) {
    const err = e as NodeJS.ErrnoException
    if (err.code === 'ENOENT') throw new SnapshotNotFoundError(path)
    throw new SnapshotUnreadableError(path, err.message)
  }
  try {
    return new BoltDb(source, path, chooseMeta(source, path))
  } catch (e) {
    source.close()
    throw e
  }
}

export function openDbBytes(bytes: Uint8Array, name = '<memory>'): BoltDb {
  const source = new MemorySource(bytes)
  return new BoltDb(source, name, chooseMeta(source, name))
}

function readMetaAt(source: ByteSource, offset: number) {
  const len = PAGE_HEADER_SIZE + META_SIZE
  if (offset + len > source.size) return { ok: false as const, reason: 'file too short for a meta page', magic: false }
  const bytes = source.read(offset, len)
  const magic = u32le(bytes, PAGE_HEADER_SIZE) === BOLT_MAGIC
  const parsed = parseMeta(bytes)
  if (parsed.ok && !isPlausiblePageSize(parsed.meta.pageSize)) {
    return { ok: false as const, reason: `implausible page size ${parsed.meta.pageSize}`, magic }
  }
  return { ...parsed, magic }
}

function isPlausiblePageSize(n: number): boolean {
  return n >= 512 && n <= 1 << 20 && (n & (n - 1)) === 0
}

/**
 * Like bbolt: meta 0 tells us the page size; if it is damaged we look for meta 1 at the
 * usual page sizes, and we use the valid meta with the highest txid.
 */
export function chooseMeta(source: ByteSource, name: string): MetaReport {
  if (source.size === 0) throw new NotBboltFileError(name, 'the file is empty')
  const m0 = readMetaAt(source, 0)
  let m1: ReturnType<typeof readMetaAt> | null = null
  let sawMagic = m0.magic
  for (const ps of m0.ok ? [m0.meta.pageSize] : CANDIDATE_PAGE_SIZES) {
    const candidate = readMetaAt(source, ps)
    sawMagic ||= candidate.magic
    if (candidate.ok && candidate.meta.pageSize !== ps) {
      m1 = { ok: false, reason: `page size ${candidate.meta.pageSize} disagrees with the page's position`, magic: true }
      continue
    }
    if (candidate.ok || m0.ok || candidate.magic) m1 = candidate
    if (candidate.ok) break
  }
  m1 ??= { ok: false, reason: 'not found at any common page size', magic: false }
  const problems: [string | null, string | null] = [m0.ok ? null : m0.reason, m1.ok ? null : m1.reason]
  const valid0 = m0.ok ? m0.meta : null
  const valid1 = m1.ok ? m1.meta : null
  if (!valid0 && !valid1) {
    if (!sawMagic) throw new NotBboltFileError(name, 'no bbolt magic number in either meta page')
    throw new MetaCorruptError(name, `meta 0: ${problems[0]}; meta 1: ${problems[1]}`)
  }
  if (valid0 && (!valid1 || valid0.txid >= valid1.txid)) return { active: 0, meta: valid0, problems }
  return { active: 1, meta: valid1!, problems }
}

