import { describe, expect, it } from 'vitest'
import { CompactedError, SnapshotOutOfDateError, UnavailableError } from '../../../src-main/raft/errors'
import { MemoryStorage } from '../../../src-main/raft/storage'
import type { Entry } from '../../../src-main/raft/types'
import { EntryType } from '../../../src-main/raft/types'

const ent = (index: number, term: number): Entry => ({ index, term, type: EntryType.Normal, data: new Uint8Array(1) })

describe('MemoryStorage', () => {
  it('appends, truncating a conflicting suffix', () => {
    const s = new MemoryStorage()
    s.append([ent(1, 1), ent(2, 1), ent(3, 1)])
    s.append([ent(2, 2)])
    expect(s.lastIndex()).toBe(2)
    expect(s.term(2)).toBe(2)
  })

  it('compacts into a dummy entry that still answers its term', () => {
    const s = new MemoryStorage()
    s.append([ent(1, 1), ent(2, 1), ent(3, 2), ent(4, 2)])
    s.compact(3)
    expect(s.firstIndex()).toBe(4)
    expect(s.term(3)).toBe(2)
    expect(() => s.term(2)).toThrow(CompactedError)
    expect(() => s.entries(3, 5, 0)).toThrow(CompactedError)
    expect(() => s.entries(4, 6, 0)).toThrow(UnavailableError)
    expect(s.entries(4, 5, 0).map((e) => e.index)).toEqual([4])
    // Appending entries that are already compacted is harmless.
    s.append([ent(2, 1), ent(3, 2), ent(4, 2), ent(5, 3)])
    expect(s.lastIndex()).toBe(5)
  })

  it('creates snapshots only forward', () => {
    const s = new MemoryStorage()
    s.append([ent(1, 1), ent(2, 1)])
    s.createSnapshot(2, { voters: ['1'], learners: [] }, new Uint8Array([7]))
    expect(s.snapshot().metadata).toMatchObject({ index: 2, term: 1 })
    expect(() => s.createSnapshot(1, { voters: [], learners: [] }, new Uint8Array())).toThrow(SnapshotOutOfDateError)
    expect(() =>
      s.applySnapshot({ data: new Uint8Array(), metadata: { index: 2, term: 1, confState: { voters: [], learners: [] } } }),
    ).toThrow(SnapshotOutOfDateError)
  })
})
