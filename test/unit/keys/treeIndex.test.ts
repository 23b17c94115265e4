// The renderer's flat tree index: rows of expanded folders, "load more" rows, live events applied in
// place (new keys inside the loaded range, deletions, counts of subfolders and of the folders above), and
// the lookups by key that replace scans (checked against a plain sorted list under random events).
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { BrowsePage, KeyEvent, TreeEntry } from '../../../src-main/shared/api/keys'
import { KeyTreeIndex } from '../../../src-renderer/src/stores/keyTree.shared'
import * as helpers from '../../../src-renderer/src/stores/keys.shared'

const { keyNameOf, toYaml } = helpers
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
    expect(idx.rows().map((r) => (r.kind === 'entry' ? r.entry.label : null))).toEqual(['/a', '/z'])
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

describe('KeyTreeIndex lookups by key', () => {
  const tree = () => {
    const idx = new KeyTreeIndex(name(''))
    idx.setPage(page('', [folder('/', '', 4)], null, 4), false)
    idx.setPage(page('/', [folder('/app/', '/', 3), leaf('/top', '/')], null, 4), false)
    idx.setPage(page('/app/', [leaf('/app/a', '/app/'), folder('/app/sub/', '/app/', 2)], null, 3), false)
    return idx
  }

  it('finds entries, the folder that lists a folder, and whether a folder is shown', () => {
    const idx = tree()
    expect(idx.entry(name('/app/').b64, name('/app/a').b64)?.label).toBe('a')
    expect(idx.entry(name('/app/').b64, name('/app/zzz').b64)).toBeUndefined()
    expect(idx.parentOf(name('/app/sub/').b64)).toBe(name('/app/').b64)
    expect(idx.parentOf(name('/').b64)).toBe(name('').b64)
    expect(idx.isListed(name('/app/sub/').b64)).toBe(true)
    expect(idx.isListed(name('/other/').b64)).toBe(false)
  })

  it('counts keys created and deleted under the watched folder in every loaded folder above it', () => {
    const idx = tree()
    const app = name('/app/').b64
    idx.applyEvents(app, [ev('put', '/app/b'), ev('put', '/app/sub/y'), ev('put', '/app/a', '3'), ev('delete', '/app/sub/x')], '/')
    idx.applyEvents(app, [ev('put', '/app/c')], '/')
    // +3 created, -1 deleted, one update that changes no count.
    expect(idx.folders.get(app)!.totalKeys).toBe(5)
    expect(idx.entry(name('/').b64, app)!.count).toBe(5)
    expect(idx.folders.get(name('/').b64)!.totalKeys).toBe(6)
    expect(idx.entry(name('').b64, name('/').b64)!.count).toBe(6)
    expect(idx.folders.get(name('').b64)!.totalKeys).toBe(6)
    // The update replaced the entry in the array and in the map alike.
    expect(idx.entry(app, name('/app/a').b64)!.modRevision).toBe('11')
    expect(idx.folders.get(app)!.entries.find((e) => e.label === 'a')).toBe(idx.entry(app, name('/app/a').b64))
  })

  it('agrees with a plain sorted list of keys under random creates, updates and deletes', () => {
    const names = fc.constantFrom(...['a', 'b', 'c', 'a0', 'a/', 'b\xff', 'é', 'z', 'm', 'aa', 'ab', '0'].map((n) => `/w/${n}`))
    const op = fc.record({ type: fc.constantFrom('put' as const, 'delete' as const), key: names })
    fc.assert(
      fc.property(fc.uniqueArray(names, { maxLength: 8 }), fc.array(fc.array(op, { maxLength: 6 }), { maxLength: 8 }), (initial, batches) => {
        const bytesOf = (k: string) => helpers.typedToBytes(k)
        const sorted = (keys: string[]) => [...keys].sort((x, y) => helpers.compareBytes(bytesOf(x), bytesOf(y)))
        // Keys only (no separator after the prefix): "/w/a/" would be a folder, so leave it out here.
        const start = sorted(initial.filter((k) => !k.endsWith('/')))
        const idx = new KeyTreeIndex(name(''))
        const w = helpers.keyNameOf(bytesOf('/w/'))
        idx.setPage({ prefix: w, separator: '/', revision: '10', entries: start.map((k) => ({ key: helpers.keyNameOf(bytesOf(k)), label: k.slice(3), folder: false, count: 1, modRevision: '5', lease: '0' })), cursor: null, totalKeys: start.length, pageKeys: start.length }, false)
        const model = new Set(start)
        for (const batch of batches) {
          const events: KeyEvent[] = []
          for (const o of batch) {
            if (o.key.endsWith('/')) continue
            const exists = model.has(o.key)
            if (o.type === 'delete' && !exists) continue
            if (o.type === 'delete') model.delete(o.key)
            else model.add(o.key)
            events.push({ type: o.type, key: helpers.keyNameOf(bytesOf(o.key)), modRevision: '11', version: o.type === 'delete' ? '0' : exists ? '2' : '1', lease: '0', size: 1 })
          }
          idx.applyEvents(w.b64, events, '/')
        }
        const f = idx.folders.get(w.b64)!
        const want = sorted([...model]).map((k) => helpers.keyNameOf(bytesOf(k)).b64)
        expect(f.entries.map((e) => e.key.b64)).toEqual(want)
        expect([...f.byKey.keys()].sort()).toEqual([...want].sort())
        expect(f.totalKeys).toBe(model.size)
        expect(f.loadedKeys).toBe(model.size)
      }),
      { numRuns: 300 },
    )
  })
})

describe('toYaml', () => {
  it('writes block YAML and quotes what would read back differently', () => {
    expect(toYaml({ a: 1, b: 'x: y', c: ['p', { d: true }], e: {}, f: '10', g: 'nginx:1.2', h: 'yes' })).toBe(
      'a: 1\nb: "x: y"\nc:\n- p\n- d: true\ne: {}\nf: "10"\ng: nginx:1.2\nh: "yes"\n',
    )
  })
})
