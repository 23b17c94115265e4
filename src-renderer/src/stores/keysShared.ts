// Pure helpers of the key editor store: the flat tree index (kept outside Vue's deep reactivity: a
// 100k-key space must never become 100k reactive objects), the rows a virtual list renders, watch
// events applied to the index, and small text helpers. No Vue, no API: unit-tested in Node.

import type { BrowsePage, KeyEvent, KeyName, TreeEntry } from '@shared/api/keys'

export interface FolderState {
  prefix: KeyName
  entries: TreeEntry[]
  /** Where the next page starts; null when every entry is loaded. */
  cursor: string | null
  revision: string
  totalKeys: number
  loadedKeys: number
  loading: boolean
  error: string | null
}

export type TreeRow =
  | { kind: 'entry'; id: string; depth: number; entry: TreeEntry; expanded: boolean; loading: boolean; /** Keys loaded so far when the folder is only partly loaded. */ partial: number | null }
  | { kind: 'more'; id: string; depth: number; folder: string; loaded: number; total: number; loading: boolean }
  | { kind: 'error'; id: string; depth: number; folder: string; message: string }

/**
 * The loaded part of the key tree: one FolderState per loaded prefix (by base64), plus which folders are
 * expanded. Plain Maps and Sets; the store holds it with markRaw and bumps a version number on change.
 */
export class KeyTreeIndex {
  readonly folders = new Map<string, FolderState>()
  readonly expanded = new Set<string>()

  constructor(readonly root: KeyName) {}

  setPage(page: BrowsePage, append: boolean): FolderState {
    const id = page.prefix.b64
    const prev = this.folders.get(id)
    const state: FolderState =
      append && prev
        ? { ...prev, entries: prev.entries.concat(page.entries), cursor: page.cursor, totalKeys: page.totalKeys, loadedKeys: prev.loadedKeys + page.pageKeys, loading: false, error: null }
        : { prefix: page.prefix, entries: page.entries, cursor: page.cursor, revision: page.revision, totalKeys: page.totalKeys, loadedKeys: page.pageKeys, loading: false, error: null }
    this.folders.set(id, state)
    return state
  }

  /** Rows in display order: entries of expanded folders follow their folder, then a "load more" row. */
  rows(): TreeRow[] {
    const out: TreeRow[] = []
    const walk = (prefix: string, depth: number) => {
      const f = this.folders.get(prefix)
      if (!f) return
      for (const e of f.entries) {
        const expanded = e.folder && this.expanded.has(e.key.b64)
        const child = e.folder ? this.folders.get(e.key.b64) : undefined
        out.push({ kind: 'entry', id: e.key.b64 + (e.folder ? '/' : ''), depth, entry: e, expanded, loading: Boolean(expanded && child?.loading && child.entries.length === 0), partial: expanded && child?.cursor ? child.loadedKeys : null })
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
   * when it falls inside the loaded range); keys deeper down change their folder's count.
   * Returns true when anything visible changed.
   */
  applyEvents(watched: string, events: KeyEvent[], separator: string): boolean {
    const f = this.folders.get(watched)
    if (!f) return false
    const prefix = decodeB64(watched)
    const sep = new TextEncoder().encode(separator)
    let changed = false
    for (const ev of events) {
      const key = decodeB64(ev.key.b64)
      if (!startsWith(key, prefix)) continue
      const cut = indexOf(key, sep, prefix.length)
      const created = ev.type === 'put' && ev.version === '1'
      const delta = created ? 1 : ev.type === 'delete' ? -1 : 0
      if (cut < 0) {
        const i = f.entries.findIndex((e) => !e.folder && e.key.b64 === ev.key.b64)
        if (ev.type === 'delete') {
          if (i >= 0) {
            f.entries.splice(i, 1)
            f.loadedKeys -= 1
          }
        } else if (i >= 0) {
          f.entries[i] = { ...f.entries[i]!, modRevision: ev.modRevision, lease: ev.lease }
        } else if (created && (f.cursor === null || compareBytes(key, decodeB64(f.cursor)) < 0)) {
          const label = ev.key.display.slice(displayLength(f.prefix))
          insertSorted(f.entries, { key: ev.key, label, folder: false, count: 1, modRevision: ev.modRevision, lease: ev.lease })
          f.loadedKeys += 1
        }
      } else {
        const folderB64 = encodeB64(key.subarray(0, cut + sep.length))
        const entry = f.entries.find((e) => e.folder && e.key.b64 === folderB64)
        if (entry && delta) {
          entry.count += delta
          f.loadedKeys += delta
          if (entry.count <= 0) f.entries.splice(f.entries.indexOf(entry), 1)
        }
        // A folder that appears with its first key: shown only when inside the loaded range.
        if (!entry && created && (f.cursor === null || compareBytes(key, decodeB64(f.cursor)) < 0)) {
          const folderName = keyNameOf(key.subarray(0, cut + sep.length))
          insertSorted(f.entries, { key: folderName, label: folderName.display.slice(displayLength(f.prefix), folderName.display.length - separator.length), folder: true, count: 1 })
          f.loadedKeys += 1
        }
      }
      if (delta) f.totalKeys += delta
      changed = true
    }
    return changed
  }
}

const displayLength = (k: KeyName) => k.display.length

function insertSorted(entries: TreeEntry[], e: TreeEntry) {
  const key = decodeB64(e.key.b64)
  let lo = 0
  let hi = entries.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (compareBytes(decodeB64(entries[mid]!.key.b64), key) < 0) lo = mid + 1
    else hi = mid
  }
  entries.splice(lo, 0, e)
}

// ---- bytes and names ----------------------------------------------------------------------------

export function decodeB64(b64: string): Uint8Array {
  const bin = atob(b64)
  const out = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  return out
}

export function encodeB64(bytes: Uint8Array): string {
  let bin = ''
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(bin)
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!
  return a.length - b.length
}

function startsWith(a: Uint8Array, p: Uint8Array): boolean {
  if (a.length < p.length) return false
  for (let i = 0; i < p.length; i++) if (a[i] !== p[i]) return false
  return true
}

function indexOf(hay: Uint8Array, needle: Uint8Array, from: number): number {
  outer: for (let i = from; i <= hay.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer
    return i
  }
  return -1
}

const strict = new TextDecoder('utf-8', { fatal: true })

/** The same display form as the services produce: \\ for a backslash, \xNN for bytes that are not text. */
export function keyNameOf(bytes: Uint8Array): KeyName {
  let display = ''
  let utf8 = true
  let i = 0
  while (i < bytes.length) {
    let ok = false
    for (let len = 1; len <= 4 && i + len <= bytes.length; len++) {
      try {
        const ch = strict.decode(bytes.subarray(i, i + len))
        display += escapeChar(ch)
        i += len
        ok = true
        break
      } catch {
        // a longer sequence, or not text
      }
    }
    if (!ok) {
      display += `\\x${bytes[i]!.toString(16).padStart(2, '0')}`
      utf8 = false
      i += 1
    }
  }
  return { b64: encodeB64(bytes), display, utf8 }
}

function escapeChar(ch: string): string {
  if (ch === '\\') return '\\\\'
  const c = ch.charCodeAt(0)
  return c < 0x20 || c === 0x7f ? `\\x${c.toString(16).padStart(2, '0')}` : ch
}

/** What the user typed (display form, \xNN and \\ escapes) as key bytes. */
export function typedToBytes(text: string): Uint8Array {
  const out: number[] = []
  const enc = new TextEncoder()
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!
    if (ch === '\\' && text[i + 1] === '\\') {
      out.push(0x5c)
      i++
    } else if (ch === '\\' && text[i + 1] === 'x' && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 2, i + 4))) {
      out.push(parseInt(text.slice(i + 2, i + 4), 16))
      i += 3
    } else {
      const cp = text.codePointAt(i)!
      const s = String.fromCodePoint(cp)
      out.push(...enc.encode(s))
      i += s.length - 1
    }
  }
  return new Uint8Array(out)
}

/** The folder (prefix through the last separator) that holds a key, as display text. */
export function parentFolders(display: string, separator: string): string[] {
  const out: string[] = []
  let i = display.indexOf(separator)
  while (i >= 0) {
    out.push(display.slice(0, i + separator.length))
    i = display.indexOf(separator, i + separator.length)
  }
  return out
}

// ---- values -----------------------------------------------------------------------------------

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KiB`
  return `${(n / 1024 / 1024).toFixed(1)} MiB`
}

/** A hex dump (offset, 16 bytes, ASCII) of the first `max` bytes. */
export function hexDump(bytes: Uint8Array, max = 64 * 1024): string {
  const lines: string[] = []
  const n = Math.min(bytes.length, max)
  for (let off = 0; off < n; off += 16) {
    const row = bytes.subarray(off, Math.min(off + 16, n))
    const hex = Array.from(row, (b) => b.toString(16).padStart(2, '0')).join(' ')
    const ascii = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('')
    lines.push(`${off.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`)
  }
  if (bytes.length > n) lines.push(`… ${bytes.length - n} more bytes`)
  return lines.join('\n')
}

const plainScalar = /^[A-Za-z_/][\w./-]*$/

/** A string YAML reads back as the same string without quotes (no indicators, numbers or booleans). */
function isPlainString(s: string): boolean {
  if (s === '' || s !== s.trim() || /[\n\t]/.test(s)) return false
  if (/^[-?:,[\]{}#&*!|>'"%@`]/.test(s) || s.includes(': ') || s.includes(' #') || s.endsWith(':')) return false
  if (/^[-+.]?\d/.test(s) || /^(true|false|null|yes|no|on|off|y|n|~)$/i.test(s)) return false
  return true
}

function yamlScalar(v: unknown): string {
  if (v === null || v === undefined) return 'null'
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  const s = String(v)
  return isPlainString(s) ? s : JSON.stringify(s)
}

/** YAML for a decoded object (JSON data only): block style, like `kubectl get -o yaml`. */
export function toYaml(value: unknown, indent = 0): string {
  const pad = ' '.repeat(indent)
  if (Array.isArray(value)) {
    if (value.length === 0) return `${pad}[]\n`
    return value
      .map((item) => {
        if (item !== null && typeof item === 'object' && Object.keys(item).length > 0) {
          const inner = toYaml(item, indent + 2)
          return `${pad}- ${inner.slice(indent + 2)}`
        }
        return `${pad}- ${yamlScalar(item)}\n`
      })
      .join('')
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
    if (entries.length === 0) return `${pad}{}\n`
    return entries
      .map(([k, v]) => {
        const key = plainScalar.test(k) ? k : JSON.stringify(k)
        if (v !== null && typeof v === 'object' && (Array.isArray(v) ? v.length > 0 : Object.keys(v).length > 0))
          return `${pad}${key}:\n${toYaml(v, Array.isArray(v) ? indent : indent + 2)}`
        if (Array.isArray(v)) return `${pad}${key}: []\n`
        if (v !== null && typeof v === 'object') return `${pad}${key}: {}\n`
        return `${pad}${key}: ${yamlScalar(v)}\n`
      })
      .join('')
  }
  return `${pad}${yamlScalar(value)}\n`
}

export function formatTtl(seconds: number): string {
  if (seconds < 0) return 'expired'
  const h = Math.floor(seconds / 3600)
  const m = Math.floor((seconds % 3600) / 60)
  const s = seconds % 60
  return h > 0 ? `${h}h ${m}m ${s}s` : m > 0 ? `${m}m ${s}s` : `${s}s`
}
