// The renderer's flat tree index: rows of expanded folders, "load more" rows, and live events applied in
// place (new keys inside the loaded range, deletions, counts of subfolders).
import { describe, expect, it } from 'vitest'
import type { BrowsePage, KeyEvent, TreeEntry } from '../../../src-main/shared/api/keys'
import { helpers } from './rendererHelpers'

const { KeyTreeIndex, keyNameOf, toYaml } = helpers

const name = (s: string) => keyNameOf(new TextEncoder().encode(s))
const leaf = (s: string, prefix: string): TreeEntry => ({ key: name(s), label: s.slice(prefix.length), folder: false, count: 1, modRevision: '5', lease: '0' })
const folder = (s: string, prefix: string, count: number): TreeEntry => ({ key: name(s), label: s.slice(prefix.length, -1), folder: true, count })
const page = (prefix: string, entries: TreeEntry[], cursor: string | null, total: number): BrowsePage => ({
  prefix: name(prefix), separator: '/', revision: '10', entries, cursor, totalKeys: total, pageKeys: entries.reduce((n, e) => n + e.count, 0),
})
const ev = (type: 'put' | 'delete', key: string, version = '1'): KeyEvent => ({ type, key: name(key), modRevision: '11', version, lease: '0', size: 1 })

describe('KeyTreeIndex', () => {
  it('flattens expanded folders and shows what is loaded of a partial folder', () => {
    const idx = new KeyTreeIndex(name(''))
    idx.setPage(page('', [folder('/a/', '', 3), leaf('/z', '')], null, 4), false)
    expect(idx.rows().map((r) => r.entry?.label)).toEqual(['/a', '/z'])
    idx.expanded.add(name('/a/').b64)
    idx.setPage(page('/a/', [leaf('/a/1', '/a/'), leaf('/a/2', '/a/')], name('/a/3').b64, 3), false)
    const rows = idx.rows()
    expect(rows.map((r) => r.kind)).toEqual(['entry', 'entry', 'entry', 'more', 'entry'])
    expect(rows[0]).toMatchObject({ kind: 'entry', expanded: true, partial: 2 })
    expect(rows[3]).toMatchObject({ kind: 'more', depth: 1, loaded: 2, total: 3 })
    idx.setPage(page('/a/', [leaf('/a/3', '/a/')], null, 3), true)
    expect(idx.rows().map((r) => r.kind)).toEqual(['entry', 'entry', 'entry', 'entry', 'entry'])
  })

  it('applies live events: new keys in the loaded range, deletes, and subfolder counts', () => {
    const idx = new KeyTreeIndex(name(''))
    idx.setPage(page('/app/', [leaf('/app/b', '/app/'), leaf('/app/d', '/app/'), folder('/app/sub/', '/app/', 2)], null, 4), false)
    expect(idx.applyEvents(name('/app/').b64, [ev('put', '/app/c'), ev('delete', '/app/d'), ev('put', '/app/sub/x'), ev('put', '/app/b', '2')], '/')).toBe(true)
    const f = idx.folders.get(name('/app/').b64)!
    expect(f.entries.map((e) => e.label)).toEqual(['b', 'c', 'sub'])
    expect(f.entries[2]!.count).toBe(3)
    expect(f.totalKeys).toBe(5)
    idx.applyEvents(name('/app/').b64, [ev('put', '/app/new/one')], '/')
    expect(f.entries.map((e) => e.label)).toEqual(['b', 'c', 'new', 'sub'])
  })

  it('does not insert keys beyond the loaded range of a partial folder', () => {
    const idx = new KeyTreeIndex(name(''))
    idx.setPage(page('/p/', [leaf('/p/a', '/p/')], name('/p/m').b64, 10), false)
    idx.applyEvents(name('/p/').b64, [ev('put', '/p/z'), ev('put', '/p/b')], '/')
    expect(idx.folders.get(name('/p/').b64)!.entries.map((e) => e.label)).toEqual(['a', 'b'])
  })
})

describe('toYaml', () => {
  it('writes block YAML and quotes what would read back differently', () => {
    expect(toYaml({ a: 1, b: 'x: y', c: ['p', { d: true }], e: {}, f: '10', g: 'nginx:1.2', h: 'yes' })).toBe(
      'a: 1\nb: "x: y"\nc:\n- p\n- d: true\ne: {}\nf: "10"\ng: nginx:1.2\nh: "yes"\n',
    )
  })
})
