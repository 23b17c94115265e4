// Keyboard use of the key tree, as the WAI-ARIA tree pattern describes it: arrows move and open or close
// folders, Home/End and Page Up/Down jump, Enter opens a key (or toggles a folder, or loads the next
// page), and typing a name moves to the next row that starts with it. Pure: the component turns a key
// press into a command here and carries it out. Unit-tested in Node.

import type { TreeRow } from '../../stores/keyTree.shared'

export type TreeCommand =
  | { kind: 'focus'; index: number }
  | { kind: 'expand'; folder: string }
  | { kind: 'collapse'; folder: string }
  | { kind: 'open'; key: string }
  | { kind: 'loadMore'; folder: string }
  | { kind: 'retry'; folder: string }
  /** A tree key with nothing to do here (e.g. Right on a key): handled, so the page does not scroll. */
  | { kind: 'none' }

const clamp = (i: number, n: number) => Math.max(0, Math.min(n - 1, i))

/** The text a row shows, which type-ahead matches against. */
export function rowText(row: TreeRow, separator: string): string | null {
  if (row.kind !== 'entry') return null
  return row.entry.folder ? `${row.entry.label}${separator}` : row.entry.label || '(empty)'
}

/**
 * What a key press does. `active` is the focused row's index (-1 for none yet); `page` is how many rows
 * fit in the view. Returns null for keys the tree does not handle (Tab, letters: see TypeAhead).
 */
export function treeKeyCommand(rows: readonly TreeRow[], active: number, key: string, page: number): TreeCommand | null {
  const n = rows.length
  if (n === 0) return ['ArrowDown', 'ArrowUp', 'ArrowLeft', 'ArrowRight', 'Home', 'End', 'PageDown', 'PageUp', 'Enter'].includes(key) ? { kind: 'none' } : null
  if (active < 0 || active >= n) {
    if (key === 'End') return { kind: 'focus', index: n - 1 }
    return ['ArrowDown', 'ArrowUp', 'Home', 'PageDown', 'PageUp', 'ArrowLeft', 'ArrowRight', 'Enter'].includes(key) ? { kind: 'focus', index: 0 } : null
  }
  const row = rows[active]!
  switch (key) {
    case 'ArrowDown':
      return { kind: 'focus', index: clamp(active + 1, n) }
    case 'ArrowUp':
      return { kind: 'focus', index: clamp(active - 1, n) }
    case 'Home':
      return { kind: 'focus', index: 0 }
    case 'End':
      return { kind: 'focus', index: n - 1 }
    case 'PageDown':
      return { kind: 'focus', index: clamp(active + Math.max(1, page - 1), n) }
    case 'PageUp':
      return { kind: 'focus', index: clamp(active - Math.max(1, page - 1), n) }
    case 'ArrowRight':
      if (row.kind !== 'entry' || !row.entry.folder) return { kind: 'none' }
      if (!row.expanded) return { kind: 'expand', folder: row.entry.key.b64 }
      // Open already: step into its first child, if it has one yet.
      return rows[active + 1] && rows[active + 1]!.depth > row.depth ? { kind: 'focus', index: active + 1 } : { kind: 'none' }
    case 'ArrowLeft': {
      if (row.kind === 'entry' && row.entry.folder && row.expanded) return { kind: 'collapse', folder: row.entry.key.b64 }
      // Otherwise to the folder that holds this row: the nearest row above it that is less deep.
      for (let i = active - 1; i >= 0; i--) if (rows[i]!.depth < row.depth) return { kind: 'focus', index: i }
      return { kind: 'none' }
    }
    case 'Enter':
      if (row.kind === 'more') return { kind: 'loadMore', folder: row.folder }
      if (row.kind === 'error') return { kind: 'retry', folder: row.folder }
      if (!row.entry.folder) return { kind: 'open', key: row.entry.key.b64 }
      return row.expanded ? { kind: 'collapse', folder: row.entry.key.b64 } : { kind: 'expand', folder: row.entry.key.b64 }
    default:
      return null
  }
}

/**
 * Type-ahead: characters typed in quick succession form a name to look for; a pause starts a new one.
 * Typing one letter again and again steps through the rows that start with it.
 */
export class TypeAhead {
  private typed = ''
  private last = Number.NEGATIVE_INFINITY

  constructor(private readonly pauseMs = 700) {}

  /** Whether a key press is a character for type-ahead (a space only continues a name). */
  accepts(e: { key: string; ctrlKey: boolean; metaKey: boolean; altKey: boolean }, now: number): boolean {
    if (e.key.length !== 1 || e.ctrlKey || e.metaKey || e.altKey) return false
    return e.key !== ' ' || (this.typed !== '' && now - this.last <= this.pauseMs)
  }

  /** Adds a typed character and returns the index of the row to focus, or -1 when nothing matches. */
  type(ch: string, now: number, texts: readonly (string | null)[], active: number): number {
    if (now - this.last > this.pauseMs) this.typed = ''
    this.last = now
    this.typed += ch.toLocaleLowerCase()
    const repeated = [...this.typed].every((c) => c === this.typed[0])
    // A longer name may still match the focused row; a fresh or repeated letter moves on to the next one.
    const query = repeated ? this.typed[0]! : this.typed
    return findByPrefix(texts, repeated ? active + 1 : active, query)
  }

  reset(): void {
    this.typed = ''
  }
}

/** First row from `from` on (wrapping around) whose text starts with `query` (case-insensitive), or -1. */
export function findByPrefix(texts: readonly (string | null)[], from: number, query: string): number {
  const n = texts.length
  if (n === 0 || query === '') return -1
  const q = query.toLocaleLowerCase()
  const start = ((from % n) + n) % n
  for (let k = 0; k < n; k++) {
    const i = (start + k) % n
    const t = texts[i]
    if (t !== null && t !== undefined && t.toLocaleLowerCase().startsWith(q)) return i
  }
  return -1
}
