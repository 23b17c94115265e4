import { describe, expect, it } from 'vitest'
import { matches, paletteItems, type PaletteItem } from '../../../src-renderer/src/features/palette/paletteItems.shared'

const areas: PaletteItem[] = ['Cluster', 'Keys', 'Backups'].map((l) => ({ kind: 'area', id: l.toLowerCase(), label: l }))
const clusters: PaletteItem[] = [
  { kind: 'playground', id: 'p1', label: 'local' },
  { kind: 'connection', id: 'c1', label: 'prod-eu cluster' },
]

describe('command palette items', () => {
  it('match every word in any order, ignoring case', () => {
    expect(matches('prod-eu cluster', 'CLUSTER prod')).toBe(true)
    expect(matches('prod-eu cluster', 'staging')).toBe(false)
  })

  it('list areas then clusters for an empty query', () => {
    expect(paletteItems('', areas, clusters, true).map((i) => i.id)).toEqual(['cluster', 'keys', 'backups', 'p1', 'c1'])
  })

  it('put clusters before areas, and offer a key jump last', () => {
    expect(paletteItems('clu', areas, clusters, true).map((i) => `${i.kind}:${i.id}`)).toEqual(['connection:c1', 'area:cluster', 'key:clu'])
  })

  it('put the key jump first for a query that looks like a key, and not at all without a cluster', () => {
    expect(paletteItems('/registry/pods', areas, clusters, true)[0]).toEqual({ kind: 'key', id: '/registry/pods', label: '/registry/pods' })
    expect(paletteItems('/registry/pods', areas, clusters, false)).toEqual([])
  })
})
