// Keyboard use of the key tree (WAI-ARIA tree pattern): arrows move, open and close; Left goes to the
// folder that holds a row; Enter opens, toggles or loads more; type-ahead finds rows by the start of
// their name, cycles on a repeated letter, and starts over after a pause.
import { describe, expect, it } from 'vitest'
import type { TreeEntry } from '../../../src-main/shared/api/keys'
import type { TreeRow } from '../../../src-renderer/src/stores/keyTree.shared'
import { keyNameOf } from '../../../src-renderer/src/stores/keys.shared'
import { findByPrefix, rowText, treeKeyCommand, TypeAhead } from '../../../src-renderer/src/features/keys/treeKeyboard.shared'

const name = (s: string) => keyNameOf(new TextEncoder().encode(s))
const entry = (key: string, label: string, depth: number, folder: boolean, expanded = false): TreeRow => ({
  kind: 'entry',
  id: name(key).b64 + (folder ? '/' : ''),
  depth,
  entry: { key: name(key), label, folder, count: 1 } as TreeEntry,
  expanded,
  loading: false,
  partial: null,
  pos: 1,
  size: 1,
})

// /            (open)
//   app/       (open)
//     config
//     readme
//     [load more]
//   registry/  (closed)
//   top
const rows: TreeRow[] = [
  entry('/', '', 0, true, true),
  entry('/app/', 'app', 1, true, true),
  entry('/app/config', 'config', 2, false),
  entry('/app/readme', 'readme', 2, false),
  { kind: 'more', id: 'm', depth: 2, folder: name('/app/').b64, loaded: 2, total: 9, loading: false },
  entry('/registry/', 'registry', 1, true),
  entry('/top', 'top', 1, false),
]
const cmd = (active: number, key: string) => treeKeyCommand(rows, active, key, 10)

describe('tree keys', () => {
  it('moves with the arrows, Home/End and Page Up/Down, staying inside the list', () => {
    expect(cmd(0, 'ArrowDown')).toEqual({ kind: 'focus', index: 1 })
    expect(cmd(6, 'ArrowDown')).toEqual({ kind: 'focus', index: 6 })
    expect(cmd(0, 'ArrowUp')).toEqual({ kind: 'focus', index: 0 })
    expect(cmd(3, 'Home')).toEqual({ kind: 'focus', index: 0 })
    expect(cmd(3, 'End')).toEqual({ kind: 'focus', index: 6 })
    expect(treeKeyCommand(rows, 0, 'PageDown', 4)).toEqual({ kind: 'focus', index: 3 })
    expect(treeKeyCommand(rows, 5, 'PageUp', 4)).toEqual({ kind: 'focus', index: 2 })
  })

  it('Right opens a closed folder, then steps into it; Left closes an open one, or goes to the holder', () => {
    expect(cmd(5, 'ArrowRight')).toEqual({ kind: 'expand', folder: name('/registry/').b64 })
    expect(cmd(1, 'ArrowRight')).toEqual({ kind: 'focus', index: 2 })
    expect(cmd(2, 'ArrowRight')).toEqual({ kind: 'none' })
    expect(cmd(1, 'ArrowLeft')).toEqual({ kind: 'collapse', folder: name('/app/').b64 })
    expect(cmd(3, 'ArrowLeft')).toEqual({ kind: 'focus', index: 1 })
    expect(cmd(4, 'ArrowLeft')).toEqual({ kind: 'focus', index: 1 })
    expect(cmd(6, 'ArrowLeft')).toEqual({ kind: 'focus', index: 0 })
    // An open folder whose children have not arrived yet: nothing to step into.
    expect(treeKeyCommand([entry('/x/', 'x', 0, true, true)], 0, 'ArrowRight', 10)).toEqual({ kind: 'none' })
  })

  it('Enter opens a key, toggles a folder and loads the next page', () => {
    expect(cmd(2, 'Enter')).toEqual({ kind: 'open', key: name('/app/config').b64 })
    expect(cmd(1, 'Enter')).toEqual({ kind: 'collapse', folder: name('/app/').b64 })
    expect(cmd(5, 'Enter')).toEqual({ kind: 'expand', folder: name('/registry/').b64 })
    expect(cmd(4, 'Enter')).toEqual({ kind: 'loadMore', folder: name('/app/').b64 })
  })

  it('with nothing focused yet, the first move lands on a row; other keys are not the tree’s', () => {
    expect(cmd(-1, 'ArrowDown')).toEqual({ kind: 'focus', index: 0 })
    expect(cmd(-1, 'End')).toEqual({ kind: 'focus', index: 6 })
    expect(cmd(2, 'Tab')).toBeNull()
    expect(cmd(2, 'a')).toBeNull()
    expect(treeKeyCommand([], -1, 'ArrowDown', 10)).toEqual({ kind: 'none' })
  })
})

describe('type-ahead', () => {
  const texts = rows.map((r) => rowText(r, '/'))

  it('shows rows as the tree does', () => {
    expect(texts).toEqual(['/', 'app/', 'config', 'readme', null, 'registry/', 'top'])
  })

  it('finds the next row starting with the typed name, wrapping around, case-insensitive', () => {
    expect(findByPrefix(texts, 0, 'RE')).toBe(3)
    expect(findByPrefix(texts, 4, 're')).toBe(5)
    expect(findByPrefix(texts, 6, 'app')).toBe(1)
    expect(findByPrefix(texts, 0, 'nothing')).toBe(-1)
  })

  it('builds a name from quick keystrokes, cycles on a repeated letter, and starts over after a pause', () => {
    const ta = new TypeAhead(500)
    // "re" then "g": readme matches "re", registry matches "reg".
    expect(ta.type('r', 0, texts, 0)).toBe(3)
    expect(ta.type('e', 100, texts, 3)).toBe(3)
    expect(ta.type('g', 200, texts, 3)).toBe(5)
    // After a pause, "t" is a new name.
    expect(ta.type('t', 2000, texts, 5)).toBe(6)
    // The same letter again and again steps through the rows that start with it.
    const again = new TypeAhead(500)
    expect(again.type('r', 0, texts, 0)).toBe(3)
    expect(again.type('r', 100, texts, 3)).toBe(5)
    expect(again.type('r', 200, texts, 5)).toBe(3)
  })

  it('takes printable keys only, and a space only inside a name', () => {
    const ta = new TypeAhead(500)
    const key = (k: string, mods: Partial<{ ctrlKey: boolean; metaKey: boolean; altKey: boolean }> = {}) => ({ key: k, ctrlKey: false, metaKey: false, altKey: false, ...mods })
    expect(ta.accepts(key('a'), 0)).toBe(true)
    expect(ta.accepts(key('ArrowDown'), 0)).toBe(false)
    expect(ta.accepts(key('a', { ctrlKey: true }), 0)).toBe(false)
    expect(ta.accepts(key(' '), 0)).toBe(false)
    ta.type('m', 0, ['my key'], 0)
    expect(ta.accepts(key(' '), 100)).toBe(true)
    expect(ta.accepts(key(' '), 5000)).toBe(false)
  })
})
