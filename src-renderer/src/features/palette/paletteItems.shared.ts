// What the command palette offers for a query: pure, so the matching is tested without a window.

export type PaletteItem =
  | { kind: 'area'; id: string; label: string }
  | { kind: 'playground' | 'connection'; id: string; label: string }
  | { kind: 'key'; id: string; label: string }

/** Every word of the query appears in the label, in any order, ignoring case. */
export function matches(label: string, query: string): boolean {
  const l = label.toLowerCase()
  return query
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((w) => l.includes(w))
}

/**
 * Areas and clusters whose name matches, clusters first when the query names one; a query that looks like
 * a key ("/registry/…", or anything when a cluster is selected) also offers to jump to keys with that prefix.
 */
export function paletteItems(query: string, areas: PaletteItem[], clusters: PaletteItem[], canJumpToKey: boolean): PaletteItem[] {
  const q = query.trim()
  const found = [...clusters, ...areas].filter((i) => matches(i.label, q))
  if (!q.length) return [...areas, ...clusters]
  if (canJumpToKey) {
    const jump: PaletteItem = { kind: 'key', id: q, label: q }
    return q.startsWith('/') ? [jump, ...found] : [...found, jump]
  }
  return found
}
