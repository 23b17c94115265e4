// The two meta pages at the start of a bbolt file. Each names the root bucket page, the
// freelist page and the high-water mark, and carries an FNV-1a checksum; a reader uses
// the valid one with the higher transaction id (bbolt writes them alternately).

import {
  BOLT_MAGIC,
  BOLT_VERSION,
  META_CHECKSUMMED_BYTES,
  NO_FREELIST_PGID,
  PAGE_HEADER_SIZE,
  PageFlag,
} from './constants'
import { putU16le, putU32le, putU64le, u32le, u64le, u64leBig } from './bytes'
import { fnv1a64 } from './fnv'

export interface Meta {
  readonly pageSize: number
  readonly flags: number
  /** Page id of the root bucket (the page holding the top-level bucket directory). */
  readonly root: number
  readonly rootSequence: bigint
  /** Freelist page id, or null when the freelist is not persisted (NoFreelistSync). */
  readonly freelist: number | null
  /** High-water mark: the number of pages in use; the db is pgid × pageSize bytes. */
  readonly pgid: number
  readonly txid: bigint
  readonly checksum: bigint
}

export type MetaParse = { ok: true; meta: Meta } | { ok: false; reason: string }

/** Parses the meta stored in a page whose bytes start at `page[0]`. */
export function parseMeta(page: Uint8Array): MetaParse {
  if (page.length < PAGE_HEADER_SIZE + META_CHECKSUMMED_BYTES + 8) return { ok: false, reason: 'file too short for a meta page' }
  const m = PAGE_HEADER_SIZE
  const magic = u32le(page, m)
  if (magic !== BOLT_MAGIC) return { ok: false, reason: `magic is 0x${magic.toString(16)}, expected 0x${BOLT_MAGIC.toString(16)}` }
  const version = u32le(page, m + 4)
  if (version !== BOLT_VERSION) return { ok: false, reason: `format version ${version}, expected ${BOLT_VERSION}` }
  const stored = u64leBig(page, m + META_CHECKSUMMED_BYTES)
  const computed = fnv1a64(page.subarray(m, m + META_CHECKSUMMED_BYTES))
  if (stored !== computed) {
    return { ok: false, reason: `checksum 0x${stored.toString(16)} does not match contents (0x${computed.toString(16)})` }
  }
  const freelistBig = u64leBig(page, m + 32)
  return {
    ok: true,
    meta: {
      pageSize: u32le(page, m + 8),
      flags: u32le(page, m + 12),
      root: u64le(page, m + 16),
      rootSequence: u64leBig(page, m + 24),
      freelist: freelistBig === NO_FREELIST_PGID ? null : Number(freelistBig),
      pgid: u64le(page, m + 40),
      txid: u64leBig(page, m + 48),
      checksum: stored,
    },
  }
}

/** Encodes a complete meta page (header + meta + checksum) for page `pageId`. */
export function encodeMetaPage(
  pageId: number,
  pageSize: number,
  fields: { root: number; rootSequence?: bigint; freelist: number | null; pgid: number; txid: bigint },
): Uint8Array {
  const page = new Uint8Array(pageSize)
  putU64le(page, 0, pageId)
  putU16le(page, 8, PageFlag.meta)
  const m = PAGE_HEADER_SIZE
  putU32le(page, m, BOLT_MAGIC)
  putU32le(page, m + 4, BOLT_VERSION)
  putU32le(page, m + 8, pageSize)
  putU32le(page, m + 12, 0)
  putU64le(page, m + 16, fields.root)
  putU64le(page, m + 24, fields.rootSequence ?? 0n)
  putU64le(page, m + 32, fields.freelist === null ? NO_FREELIST_PGID : fields.freelist)
  putU64le(page, m + 40, fields.pgid)
  putU64le(page, m + 48, fields.txid)
  putU64le(page, m + META_CHECKSUMMED_BYTES, fnv1a64(page.subarray(m, m + META_CHECKSUMMED_BYTES)))
  return page
}
