// The persisted freelist page: a sorted list of u64 page ids. A header count of 0xFFFF
// means the list is longer than a u16 and its real length is the first u64.

import { FREELIST_COUNT_OVERFLOW, PAGE_HEADER_SIZE, PageFlag } from './constants'
import { putU16le, putU32le, putU64le, u64le } from './bytes'
import { PageCorruptError } from './errors'
import type { Page } from './page'

export function readFreelist(page: Page): number[] {
  if (page.flags !== PageFlag.freelist) {
    throw new PageCorruptError(page.pgid, `expected a freelist page, found flags 0x${page.flags.toString(16)}`)
  }
  let count = page.count
  let start = PAGE_HEADER_SIZE
  if (count === FREELIST_COUNT_OVERFLOW) {
    count = u64le(page.bytes, start)
    start += 8
  }
  if (start + count * 8 > page.bytes.length) {
    throw new PageCorruptError(page.pgid, `freelist of ${count} ids does not fit in ${page.overflow + 1} page(s)`)
  }
  const ids: number[] = new Array(count)
  for (let i = 0; i < count; i++) ids[i] = u64le(page.bytes, start + i * 8)
  return ids
}

/** Bytes a freelist page needs for `count` ids (before rounding up to pages). */
export function freelistByteSize(count: number): number {
  return PAGE_HEADER_SIZE + (count >= FREELIST_COUNT_OVERFLOW ? 8 : 0) + count * 8
}

export function encodeFreelistPage(pageId: number, pageSize: number, ids: readonly number[]): Uint8Array {
  const pages = Math.max(1, Math.ceil(freelistByteSize(ids.length) / pageSize))
  const out = new Uint8Array(pages * pageSize)
  putU64le(out, 0, pageId)
  putU16le(out, 8, PageFlag.freelist)
  putU32le(out, 12, pages - 1)
  let off = PAGE_HEADER_SIZE
  if (ids.length >= FREELIST_COUNT_OVERFLOW) {
    putU16le(out, 10, FREELIST_COUNT_OVERFLOW)
    putU64le(out, off, ids.length)
    off += 8
  } else {
    putU16le(out, 10, ids.length)
  }
  const sorted = [...ids].sort((a, b) => a - b)
  for (const id of sorted) {
    putU64le(out, off, id)
    off += 8
  }
  return out
}
