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

  it('agrees with sorting the acknowledgements, for any voter count, in any order of calls', () => {
    // A fixed seed: committedIndex reuses one work array between calls, so larger and smaller
    // configurations alternate here to catch anything left over from the previous call.
    let seed = 42
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed % n
    }
    for (let round = 0; round < 2000; round++) {
      const n = 1 + rand(9)
      const m = new Map([...voters(n)].map((id) => [id, rand(4) === 0 ? 0 : rand(50)]))
      const sorted = [...m.values()].sort((a, b) => b - a)
      expect(committedIndex(voters(n), (id) => m.get(id)!)).toBe(sorted[Math.floor(n / 2)])
    }
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
