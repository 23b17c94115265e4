// A consistency check equivalent to bbolt's tx.Check, the check `etcdctl snapshot
// status` runs before it trusts a file: every page below the high-water mark is either
// reachable exactly once or free, page types are valid, ids are in range, and keys are
// strictly ascending and inside the bounds their parent branch gives them.

import { BUCKET_LEAF_FLAG, PageFlag } from './constants'
import { compareBytes, toHex } from './bytes'
import { bucketRefFromValue } from './db'
import type { BoltDb, BucketRef } from './db'
import { BboltError } from './errors'
import { readFreelist } from './freelist'
import { PageLedger } from './pageLedger'
import { branchElements, leafElements, pageTypeName } from './page'
import type { Page } from './page'

export interface ConsistencyReport {
  readonly ok: boolean
  /** Human-readable problems, capped at `maxProblems`. */
  readonly problems: string[]
  readonly pagesReachable: number
  readonly pagesFree: number
  /** Whether free pages came from a persisted freelist or were derived (NoFreelistSync). */
  readonly freelistPersisted: boolean
}

export interface ConsistencyOptions {
  maxProblems?: number
}

const keyText = (k: Uint8Array): string => {
  const printable = k.every((c) => c >= 0x20 && c < 0x7f)
  return printable ? JSON.stringify(String.fromCharCode(...k.subarray(0, 64))) : `0x${toHex(k.subarray(0, 32))}`
}

export function checkConsistency(db: BoltDb, options: ConsistencyOptions = {}): ConsistencyReport {
  const ledger = new PageLedger(db.meta.pgid, options.maxProblems ?? 1000)
  const report = (msg: string): void => ledger.report(msg)
  const markReachable = (id: number, via: string): boolean => ledger.reach(id, via)

  // Free pages: from the freelist page, or, when it is not persisted, every page the walk
  // below does not reach (that is how bbolt rebuilds it, so nothing can be "lost").
  const persisted = db.meta.freelist !== null
  if (persisted) {
    const flId = db.meta.freelist!
    try {
      const flPage = db.page(flId)
      for (let i = 0; i <= flPage.overflow; i++) markReachable(flId + i, 'meta (freelist)')
      for (const id of readFreelist(flPage)) ledger.listedFree(id)
    } catch (e) {
      report(`freelist page ${flId}: ${e instanceof Error ? e.message : String(e)}`)
    }
  }

  const checkBucket = (bucket: BucketRef, path: string): void => {
    if (bucket.inlinePage) {
      checkLeafKeys(bucket.inlinePage, null, null, `inline bucket ${path}`, true)
      return
    }
    if (bucket.root < 2 && bucket.root !== 0) {
      report(`bucket ${path}: root page ${bucket.root} is a meta page`)
      return
    }
    walk(bucket.root, null, null, `bucket ${path}`, path, 0)
  }

  const checkLeafKeys = (page: Page, lo: Uint8Array | null, hi: Uint8Array | null, where: string, inline: boolean): void => {
    let els
    try {
      els = leafElements(page)
    } catch (e) {
      report(`${where}: ${(e as Error).message}`)
      return
    }
    if (inline && page.flags !== PageFlag.leaf) {
      report(`${where}: inline page has invalid type ${pageTypeName(page.flags)}`)
      return
    }
    checkOrder(els.map((e) => e.key), lo, hi, where)
    for (const el of els) {
      if ((el.flags & BUCKET_LEAF_FLAG) === 0) continue
      try {
        checkBucket(bucketRefFromValue(el.value, page.pgid), `${where.replace(/^bucket /, '')}/${keyText(el.key)}`)
      } catch (e) {
        report(`${where}: nested bucket ${keyText(el.key)}: ${(e as Error).message}`)
      }
    }
  }

  // Neighbours must ascend strictly; given that, only the first key can fall below the
  // lower bound and only the last can reach the upper one, so bounds are checked there.
  const checkOrder = (keys: Uint8Array[], lo: Uint8Array | null, hi: Uint8Array | null, where: string): void => {
    for (let i = 1; i < keys.length; i++) {
      if (compareBytes(keys[i - 1]!, keys[i]!) >= 0) report(`${where}: key ${keyText(keys[i]!)} is not after ${keyText(keys[i - 1]!)}`)
    }
    if (keys.length === 0) return
    const first = keys[0]!
    const last = keys[keys.length - 1]!
    if (lo && compareBytes(first, lo) < 0) report(`${where}: key ${keyText(first)} is below the parent's lower bound ${keyText(lo)}`)
    if (hi && compareBytes(last, hi) >= 0) report(`${where}: key ${keyText(last)} is not below the parent's next key ${keyText(hi)}`)
  }

  const walk = (pgid: number, lo: Uint8Array | null, hi: Uint8Array | null, via: string, path: string, depth: number): void => {
    if (!markReachable(pgid, via)) return
    let page: Page
    try {
      page = db.page(pgid)
    } catch (e) {
      report(e instanceof BboltError ? e.message : `page ${pgid}: ${(e as Error).message}`)
      return
    }
    if (page.headerId !== pgid) report(`page ${pgid}: header says it is page ${page.headerId}`)
    for (let i = 1; i <= page.overflow; i++) markReachable(pgid + i, `overflow of page ${pgid}`)
    const where = `bucket ${path} page ${pgid}`
    if (page.flags === PageFlag.leaf) {
      checkLeafKeys(page, lo, hi, where, false)
    } else if (page.flags === PageFlag.branch) {
      if (depth > 64) {
        report(`${where}: branch pages nest deeper than 64 levels`)
        return
      }
      let els
      try {
        els = branchElements(page)
      } catch (e) {
        report(`${where}: ${(e as Error).message}`)
        return
      }
      if (els.length === 0) report(`${where}: empty branch page`)
      checkOrder(els.map((e) => e.key), lo, hi, where)
      for (let i = 0; i < els.length; i++) {
        const childLo = els[i]!.key
        const childHi = i + 1 < els.length ? els[i + 1]!.key : hi
        walk(els[i]!.child, childLo, childHi, where, path, depth + 1)
      }
    } else {
      report(`page ${pgid}: invalid type ${pageTypeName(page.flags)} in ${path}`)
    }
  }

  walk(db.meta.root, null, null, 'meta (root bucket)', '<root>', 0)

  const unreachable = ledger.settle(persisted)
  return {
    ok: ledger.problems.length === 0 && unreachable === 0,
    problems: ledger.problems,
    pagesReachable: ledger.reachable,
    pagesFree: ledger.free,
    freelistPersisted: persisted,
  }
}
