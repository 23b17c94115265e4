// One level of the key tree under a prefix, without ever reading the whole key space: keys-only ranges
// with a limit, pinned to one revision, that skip over each folder once it is seen (the next range starts
// at the folder's prefix end). Folder sizes come from count-only ranges at the same revision.

import type { BrowsePage, TreeEntry } from '../../shared/api/keys'
import type { KvReader } from '../targets'
import { displayBytes, keyName, nextKey, prefixEnd, prefixRange } from './keyBytes'

export interface BrowseRequest {
  prefix: Buffer
  separator: string
  /** Start of this page (from the previous page's cursor); defaults to the prefix itself. */
  cursor?: Buffer
  revision?: string
  pageSize: number
}

/** Smallest and largest limit of one keys-only range: small when skipping folders, large for runs of keys. */
const MIN_LIMIT = 8
const MAX_LIMIT = 2000
/** count-only requests in flight at once for one page. */
const COUNT_CONCURRENCY = 16

export async function browseLevel(client: KvReader, req: BrowseRequest): Promise<BrowsePage> {
  const sep = Buffer.from(req.separator, 'utf8')
  const { range_end: end } = prefixRange(req.prefix)
  let start = req.cursor ?? (req.prefix.length === 0 ? Buffer.from([0]) : req.prefix)
  let revision = req.revision
  const entries: TreeEntry[] = []
  let limit = Math.min(req.pageSize + 1, 256)
  let cursor: Buffer | null = null
  let lastFolder: Buffer | null = null

  for (;;) {
    const res = await client.range({ key: start, range_end: end, keys_only: true, limit, ...(revision ? { revision } : {}) })
    revision ??= res.header.revision
    let endedInFolder: Buffer | null = null
    for (const kv of res.kvs) {
      const k = kv.key
      const cut = k.indexOf(sep, req.prefix.length)
      if (cut >= 0) {
        const folder = k.subarray(0, cut + sep.length)
        endedInFolder = folder
        if (lastFolder?.equals(folder)) continue
        if (entries.length === req.pageSize) {
          cursor = folder
          break
        }
        lastFolder = Buffer.from(folder)
        entries.push({ key: keyName(folder), label: displayBytes(folder.subarray(req.prefix.length, cut)).text, folder: true, count: 0 })
      } else {
        endedInFolder = null
        lastFolder = null
        if (entries.length === req.pageSize) {
          cursor = k
          break
        }
        entries.push({ key: keyName(k), label: displayBytes(k.subarray(req.prefix.length)).text, folder: false, count: 1, modRevision: kv.mod_revision, lease: kv.lease })
      }
    }
    if (cursor || !res.more || res.kvs.length === 0) break
    if (endedInFolder) {
      // The rest of that folder is not needed for this level: jump past it, with a small limit since the
      // next range may well land in another big folder.
      start = prefixEnd(endedInFolder)
      limit = Math.max(MIN_LIMIT, Math.floor(limit / 4))
    } else {
      start = nextKey(res.kvs[res.kvs.length - 1]!.key)
      limit = Math.min(MAX_LIMIT, limit * 4, req.pageSize - entries.length + 1)
    }
    if (Buffer.compare(start, end) >= 0 && !(end.length === 1 && end[0] === 0)) break
  }

  const pinned = revision!
  const folders = entries.filter((e) => e.folder)
  // The level's total and the folders' counts are independent reads at one revision: run them together.
  const [totalKeys] = await Promise.all([
    countPrefix(client, req.prefix, pinned),
    forEachLimited(folders, COUNT_CONCURRENCY, async (e) => {
      e.count = await countPrefix(client, Buffer.from(e.key.b64, 'base64'), pinned)
    }),
  ])
  return {
    prefix: keyName(req.prefix),
    separator: req.separator,
    revision: pinned,
    entries,
    cursor: cursor ? cursor.toString('base64') : null,
    totalKeys,
    pageKeys: entries.reduce((n, e) => n + e.count, 0),
  }
}

export async function countPrefix(client: KvReader, prefix: Buffer, revision?: string): Promise<number> {
  const res = await client.range({ ...prefixRange(prefix), count_only: true, ...(revision ? { revision } : {}) })
  return Number(res.count)
}

async function forEachLimited<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!)
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker))
}
