import { describe, expect, it } from 'vitest'
import { committedIndex, voteResult } from '../../../src-main/raft/quorum'

describe('quorum', () => {
  const voters = (n: number): Set<string> => new Set(Array.from({ length: n }, (_, i) => String(i + 1)))

  it('commits the highest index acknowledged by a majority', () => {
    const m = new Map([['1', 9], ['2', 5], ['3', 7]])
    expect(committedIndex(voters(3), (id) => m.get(id)!)).toBe(7)
    const m4 = new Map([['1', 9], ['2', 5], ['3', 7], ['4', 1]])
    // Four voters need three acknowledgements.
    expect(committedIndex(voters(4), (id) => m4.get(id)!)).toBe(5)
  })

  it('an empty configuration never constrains', () => {
    expect(committedIndex(new Set(), () => 0)).toBe(Infinity)
  })

  it('tallies votes', () => {
    expect(voteResult(voters(3), new Map([['1', true], ['2', true]]))).toBe('won')
    expect(voteResult(voters(3), new Map([['1', true], ['2', false]]))).toBe('pending')
    expect(voteResult(voters(3), new Map([['1', true], ['2', false], ['3', false]]))).toBe('lost')
    expect(voteResult(voters(4), new Map([['1', true], ['2', true]]))).toBe('pending')
  })
})
