// The key tree's flat index, kept outside Vue's deep reactivity (a 100k-key space must never become 100k
// reactive objects): one FolderState per loaded prefix, the rows a virtual list renders, and live watch
// events applied in place. No Vue, no API: unit-tested in Node and measured by `npm run bench:keys`.
//
// Everything a watch event or a jump to a key looks up is found by key, not by scanning: each folder
// keeps its entries in a Map beside the sorted array, and the index knows which folder lists each
// folder. A batch of events costs what it changes, not the size of the folder it lands in.

import type { BrowsePage, KeyEvent, KeyName, TreeEntry } from '@shared/api/keys'
import { compareBytes, decodeB64, encodeB64, indexOf, keyNameOf, startsWith } from './keys.shared'

export interface FolderState {
  prefix: KeyName
  /** Sorted by key bytes (a folder sorts by its prefix), as the services list them. */
  entries: TreeEntry[]
  /** The same entries by key (base64). */
  byKey: Map<string, TreeEntry>
  /** Where the next page starts; null when every entry is loaded. */
  cursor: string | null
  revision: string
  totalKeys: number
  loadedKeys: number
  loading: boolean
  error: string | null
}

export type TreeRow =
  | {
      kind: 'entry'
      id: string
      depth: number
      entry: TreeEntry
      expanded: boolean
      loading: boolean
      /** Keys loaded so far when the folder is only partly loaded. */
      partial: number | null
      /** Position among its loaded siblings (1-based) and their number (-1 while more pages exist): ARIA's posinset/setsize. */
      pos: number
      size: number
    }
  | { kind: 'more'; id: string; depth: number; folder: string; loaded: number; total: number; loading: boolean }
  | { kind: 'error'; id: string; depth: number; folder: string; message: string }

const emptyFolder = (prefix: KeyName): FolderState => ({ prefix, entries: [], byKey: new Map(), cursor: null, revision: '', totalKeys: 0, loadedKeys: 0, loading: false, error: null })

/**
 * The loaded part of the key tree: one FolderState per loaded prefix (by base64), which folders are
 * expanded, and which folder lists each folder. Plain Maps and Sets; the store holds it with markRaw and
 * bumps a version number on change.
 */
export class KeyTreeIndex {
  readonly folders = new Map<string, FolderState>()
  readonly expanded = new Set<string>()
  /** Folder (base64) → the folder whose entries list it. */
  private readonly parents = new Map<string, string>()

  constructor(readonly root: KeyName) {}

  setPage(page: BrowsePage, append: boolean): FolderState {
    const id = page.prefix.b64
    const prev = this.folders.get(id)
    let state: FolderState
    if (append && prev) {
      state = { ...prev, entries: prev.entries.concat(page.entries), cursor: page.cursor, totalKeys: page.totalKeys, loadedKeys: prev.loadedKeys + page.pageKeys, loading: false, error: null }
      for (const e of page.entries) state.byKey.set(e.key.b64, e)
    } else {
      state = { prefix: page.prefix, entries: page.entries, byKey: new Map(page.entries.map((e) => [e.key.b64, e])), cursor: page.cursor, revision: page.revision, totalKeys: page.totalKeys, loadedKeys: page.pageKeys, loading: false, error: null }
    }
    for (const e of page.entries) if (e.folder) this.parents.set(e.key.b64, id)
    this.folders.set(id, state)
    return state
  }

  /** Marks a folder as loading, creating its (empty) state the first time. */
  startLoading(id: string): void {
    let f = this.folders.get(id)
    if (!f) this.folders.set(id, (f = emptyFolder(keyNameOf(decodeB64(id)))))
    f.loading = true
  }

  failLoading(id: string, message: string | null): void {
    const f = this.folders.get(id)
    if (!f) return
    f.loading = false
    f.error = message
  }

  /** The entry for `key` in the listing of `folder`, if that part is loaded. */
  entry(folder: string, key: string): TreeEntry | undefined {
    return this.folders.get(folder)?.byKey.get(key)
  }

  /** The folder that lists `folder`, if it is loaded. */
  parentOf(folder: string): string | undefined {
    return this.parents.get(folder)
  }

  /** True when `folder` shows as an entry of a loaded folder (so it can be expanded). */
  isListed(folder: string): boolean {
    const parent = this.parents.get(folder)
    return parent !== undefined && this.entry(parent, folder) !== undefined
  }

  /** Rows in display order: entries of expanded folders follow their folder, then a "load more" row. */
  rows(): TreeRow[] {
    const out: TreeRow[] = []
    const walk = (prefix: string, depth: number) => {
      const f = this.folders.get(prefix)
      if (!f) return
      const size = f.cursor ? -1 : f.entries.length
      for (let i = 0; i < f.entries.length; i++) {
        const e = f.entries[i]!
        const expanded = e.folder && this.expanded.has(e.key.b64)
        const child = e.folder ? this.folders.get(e.key.b64) : undefined
        out.push({ kind: 'entry', id: e.key.b64 + (e.folder ? '/' : ''), depth, entry: e, expanded, loading: Boolean(expanded && child?.loading && child.entries.length === 0), partial: expanded && child?.cursor ? child.loadedKeys : null, pos: i + 1, size })
        if (expanded) {
          if (child?.error) out.push({ kind: 'error', id: `${e.key.b64}!err`, depth: depth + 1, folder: e.key.b64, message: child.error })
          walk(e.key.b64, depth + 1)
        }
      }
      if (f.cursor) out.push({ kind: 'more', id: `${prefix}!more`, depth, folder: prefix, loaded: f.loadedKeys, total: f.totalKeys, loading: f.loading })
    }
    walk(this.root.b64, 0)
    return out
  }

  /**
   * Applies live events under a watched folder. Direct children are added or removed (a new key only
   * when it falls inside the loaded range); keys deeper down change their folder's count; keys created
   * or deleted change the counts of the watched folder and of every loaded folder above it.
   * Returns true when anything visible changed.
   */
  applyEvents(watched: string, events: KeyEvent[], separator: string): boolean {
    const f = this.folders.get(watched)
    if (!f) return false
    const prefix = decodeB64(watched)
    const sep = new TextEncoder().encode(separator)
    const cursor = f.cursor === null ? null : decodeB64(f.cursor)
    const inLoadedRange = (key: Uint8Array) => cursor === null || compareBytes(key, cursor) < 0
    let changed = false
    let netDelta = 0
    for (const ev of events) {
      const key = decodeB64(ev.key.b64)
      if (!startsWith(key, prefix)) continue
      const cut = indexOf(key, sep, prefix.length)
      const created = ev.type === 'put' && ev.version === '1'
      const delta = created ? 1 : ev.type === 'delete' ? -1 : 0
      if (cut < 0) {
        const existing = f.byKey.get(ev.key.b64)
        if (ev.type === 'delete') {
          if (existing && !existing.folder) {
            this.remove(f, existing)
            f.loadedKeys -= 1
          }
        } else if (existing && !existing.folder) {
          const updated: TreeEntry = { ...existing, modRevision: ev.modRevision, lease: ev.lease }
          f.entries[this.position(f, existing)] = updated
          f.byKey.set(ev.key.b64, updated)
        } else if (created && inLoadedRange(key)) {
          this.insert(f, { key: ev.key, label: ev.key.display.slice(f.prefix.display.length), folder: false, count: 1, modRevision: ev.modRevision, lease: ev.lease })
          f.loadedKeys += 1
        }
      } else {
        const folderB64 = encodeB64(key.subarray(0, cut + sep.length))
        const entry = f.byKey.get(folderB64)
        if (entry?.folder && delta) {
          entry.count += delta
          f.loadedKeys += delta
          if (entry.count <= 0) this.remove(f, entry)
        }
        // A folder that appears with its first key: shown only when inside the loaded range.
        if (!entry && created && inLoadedRange(key)) {
          const folderName = keyNameOf(key.subarray(0, cut + sep.length))
          this.insert(f, { key: folderName, label: folderName.display.slice(f.prefix.display.length, folderName.display.length - separator.length), folder: true, count: 1 })
          this.parents.set(folderName.b64, watched)
          f.loadedKeys += 1
        }
      }
      f.totalKeys += delta
      netDelta += delta
      changed = true
    }
    if (netDelta) this.addToAncestors(watched, netDelta)
    return changed
  }

  /** The watched folder gained or lost keys: so did each loaded folder above it, and their entries for it. */
  private addToAncestors(folder: string, delta: number): void {
    let child = folder
    for (let parentId = this.parents.get(child); parentId !== undefined; child = parentId, parentId = this.parents.get(child)) {
      const parent = this.folders.get(parentId)
      if (!parent) return
      const e = parent.byKey.get(child)
      // Kept at 0 rather than removed: it is the folder the user is looking at.
      if (e) {
        e.count = Math.max(0, e.count + delta)
        parent.loadedKeys += delta
      }
      parent.totalKeys += delta
    }
  }

  /** Index of an entry in its folder's sorted array: a binary search by key bytes. */
  private position(f: FolderState, e: TreeEntry): number {
    const i = lowerBound(f.entries, bytesOf(e))
    // The services list entries in key order; should that ever not hold, a scan is slow but still right.
    return f.entries[i]?.key.b64 === e.key.b64 ? i : f.entries.findIndex((x) => x.key.b64 === e.key.b64)
  }

  private insert(f: FolderState, e: TreeEntry): void {
    f.entries.splice(lowerBound(f.entries, bytesOf(e)), 0, e)
    f.byKey.set(e.key.b64, e)
  }

  private remove(f: FolderState, e: TreeEntry): void {
    f.entries.splice(this.position(f, e), 1)
    f.byKey.delete(e.key.b64)
  }
}

/** Key bytes of the entries a binary search has visited: decoded once, dropped with the entry. */
const keyBytes = new WeakMap<TreeEntry, Uint8Array>()
function bytesOf(e: TreeEntry): Uint8Array {
  let b = keyBytes.get(e)
  if (!b) keyBytes.set(e, (b = decodeB64(e.key.b64)))
  return b
}

/** First position whose key is not below `key`. */
function lowerBound(entries: TreeEntry[], key: Uint8Array): number {
  let lo = 0
  let hi = entries.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (compareBytes(bytesOf(entries[mid]!), key) < 0) lo = mid + 1
    else hi = mid
  }
  return lo
}
