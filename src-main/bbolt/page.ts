// Decoding of one bbolt page: the 16-byte header and the element arrays of branch and
// leaf pages. Element positions are relative to the element's own address, which is
// why every accessor below adds the element offset.

import { BRANCH_ELEMENT_SIZE, LEAF_ELEMENT_SIZE, PAGE_HEADER_SIZE, PageFlag } from './constants'
import { u16le, u32le, u64le } from './bytes'
import { PageCorruptError } from './errors'

export interface Page {
  /** Page id where we found the page (not the id stored in its header). */
  readonly pgid: number
  readonly headerId: number
  readonly flags: number
  readonly count: number
  readonly overflow: number
  /** The page's bytes including its overflow continuation. */
  readonly bytes: Uint8Array
}

export interface LeafElement {
  readonly flags: number
  readonly key: Uint8Array
  readonly value: Uint8Array
}

export interface BranchElement {
  readonly key: Uint8Array
  readonly child: number
}

export function readPageHeader(pgid: number, bytes: Uint8Array): Omit<Page, 'bytes'> {
  if (bytes.length < PAGE_HEADER_SIZE) throw new PageCorruptError(pgid, 'shorter than a page header')
  return {
    pgid,
    headerId: u64le(bytes, 0),
    flags: u16le(bytes, 8),
    count: u16le(bytes, 10),
    overflow: u32le(bytes, 12),
  }
}

export function pageTypeName(flags: number): string {
  switch (flags) {
    case PageFlag.branch:
      return 'branch'
    case PageFlag.leaf:
      return 'leaf'
    case PageFlag.meta:
      return 'meta'
    case PageFlag.freelist:
      return 'freelist'
    default:
      return `unknown<0x${flags.toString(16)}>`
  }
}

export function leafElements(page: Page): LeafElement[] {
  const out: LeafElement[] = []
  const b = page.bytes
  const needed = PAGE_HEADER_SIZE + page.count * LEAF_ELEMENT_SIZE
  if (needed > b.length) throw new PageCorruptError(page.pgid, `${page.count} leaf elements do not fit in the page`)
  for (let i = 0; i < page.count; i++) {
    const e = PAGE_HEADER_SIZE + i * LEAF_ELEMENT_SIZE
    const flags = u32le(b, e)
    const pos = u32le(b, e + 4)
    const ksize = u32le(b, e + 8)
    const vsize = u32le(b, e + 12)
    const kStart = e + pos
    const vEnd = kStart + ksize + vsize
    if (vEnd > b.length) {
      throw new PageCorruptError(page.pgid, `leaf element ${i} points past the end of the page (${vEnd} > ${b.length})`)
    }
    out.push({ flags, key: b.subarray(kStart, kStart + ksize), value: b.subarray(kStart + ksize, vEnd) })
  }
  return out
}

export function branchElements(page: Page): BranchElement[] {
  const out: BranchElement[] = []
  const b = page.bytes
  const needed = PAGE_HEADER_SIZE + page.count * BRANCH_ELEMENT_SIZE
  if (needed > b.length) throw new PageCorruptError(page.pgid, `${page.count} branch elements do not fit in the page`)
  for (let i = 0; i < page.count; i++) {
    const e = PAGE_HEADER_SIZE + i * BRANCH_ELEMENT_SIZE
    const pos = u32le(b, e)
    const ksize = u32le(b, e + 4)
    const child = u64le(b, e + 8)
    const kStart = e + pos
    if (kStart + ksize > b.length) {
      throw new PageCorruptError(page.pgid, `branch element ${i} points past the end of the page`)
    }
    out.push({ key: b.subarray(kStart, kStart + ksize), child })
  }
  return out
}
