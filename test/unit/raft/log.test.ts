import { describe, expect, it } from 'vitest'
import { CompactedError, RaftInvariantError } from '../../../src-main/raft/errors'
import { RaftLog } from '../../../src-main/raft/log'
import { MemoryStorage } from '../../../src-main/raft/storage'
import type { Entry } from '../../../src-main/raft/types'
import { EntryType } from '../../../src-main/raft/types'

const ent = (index: number, term: number, size = 0): Entry => ({ index, term, type: EntryType.Normal, data: new Uint8Array(size) })
const terms = (es: readonly Entry[]): number[] => es.map((e) => e.term)

function logWith(stored: number[], unstable: number[] = []): RaftLog {
  const s = new MemoryStorage()
  s.append(stored.map((t, i) => ent(i + 1, t)))
  const log = new RaftLog(s)
  if (unstable.length > 0) log.append(unstable.map((t, i) => ent(stored.length + i + 1, t)))
  return log
}

describe('RaftLog', () => {
  it('reads terms across storage and the unstable tail', () => {
    const log = logWith([1, 1, 2], [3, 3])
    expect(log.lastIndex()).toBe(5)
    expect(log.term(0)).toBe(0)
    expect(log.term(3)).toBe(2)
    expect(log.term(5)).toBe(3)
    expect(log.term(6)).toBeUndefined()
    expect(terms(log.slice(2, 6, 0))).toEqual([1, 2, 3, 3])
  })

  it('maybeAppend rejects on mismatch, ignores duplicates, truncates conflicts', () => {
    const log = logWith([1, 1, 2, 2])
    expect(log.maybeAppend(4, 3, 0, [ent(5, 3)])).toBeUndefined()
    expect(log.maybeAppend(2, 1, 0, [ent(3, 2)])).toBe(3)
    expect(log.lastIndex()).toBe(4) // a duplicate prefix does not truncate
    expect(log.maybeAppend(2, 1, 2, [ent(3, 3)])).toBe(3)
    expect(log.lastIndex()).toBe(3)
    expect(log.term(3)).toBe(3)
    expect(log.committed).toBe(2)
  })

  it('refuses to overwrite a committed entry', () => {
    const log = logWith([1, 1, 2])
    log.commitTo(3)
    expect(() => log.maybeAppend(2, 1, 3, [ent(3, 5)])).toThrow(RaftInvariantError)
  })

  it('findConflictByTerm skips a whole divergent term at once', () => {
    // Our log: terms 1,1,1,4,4,4,4 ; a leader probing with logTerm 2 at index 7.
    const log = logWith([1, 1, 1, 4, 4, 4, 4])
    expect(log.findConflictByTerm(7, 2)).toEqual([3, 1])
    expect(log.findConflictByTerm(7, 4)).toEqual([7, 4])
    expect(log.findConflictByTerm(7, 0)).toEqual([0, 0])
  })

  it('only commits an entry of the current term by counting (Figure 8 rule)', () => {
    const log = logWith([1, 2, 2])
    expect(log.maybeCommit(3, 3)).toBe(false)
    expect(log.committed).toBe(0)
    expect(log.maybeCommit(3, 2)).toBe(true)
    expect(log.committed).toBe(3)
  })

  it('compares up-to-dateness by last term, then last index', () => {
    const log = logWith([1, 2, 2])
    expect(log.isUpToDate(3, 2)).toBe(true)
    expect(log.isUpToDate(2, 2)).toBe(false)
    expect(log.isUpToDate(1, 3)).toBe(true)
    expect(log.isUpToDate(10, 1)).toBe(false)
  })

  it('limits slices by size but always returns at least one entry', () => {
    const s = new MemoryStorage()
    s.append([ent(1, 1, 10), ent(2, 1, 10), ent(3, 1, 10)])
    const log = new RaftLog(s)
    log.append([ent(4, 1, 10), ent(5, 1, 10)])
    expect(log.slice(1, 6, 25).length).toBe(2)
    expect(log.slice(3, 6, 25).length).toBe(2) // spans storage and unstable
    expect(log.slice(1, 6, 1).length).toBe(1)
    expect(log.slice(1, 6, 0).length).toBe(5)
  })

  it('keeps entries unstable when the persisted copy was superseded', () => {
    const log = logWith([1], [1, 1])
    // Entries 2..3 of term 1 were handed to the caller; meanwhile 2 was replaced.
    log.append([ent(2, 2)])
    log.stableTo(3, 1)
    expect(log.unstable.entries.length).toBe(1)
    log.stableTo(2, 2)
    expect(log.unstable.entries.length).toBe(0)
  })

  it('restores from a snapshot and throws Compacted below it', () => {
    const log = logWith([1, 1])
    log.restore({ data: new Uint8Array(), metadata: { index: 10, term: 3, confState: { voters: ['1'], learners: [] } } })
    expect(log.firstIndex()).toBe(11)
    expect(log.lastIndex()).toBe(10)
    expect(log.term(10)).toBe(3)
    expect(log.committed).toBe(10)
    expect(() => log.slice(5, 10, 0)).toThrow(CompactedError)
  })
})
