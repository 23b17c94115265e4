import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
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
    // committedIndex reuses one work array between calls: each run is a sequence of configurations
    // of different sizes, to catch anything one call leaves for the next.
    fc.assert(
      fc.property(fc.array(fc.array(fc.nat(50), { minLength: 1, maxLength: 9 }), { minLength: 1, maxLength: 20 }), (configs) => {
        for (const matches of configs) {
          const sorted = [...matches].sort((a, b) => b - a)
          expect(committedIndex(voters(matches.length), (id) => matches[Number(id) - 1]!)).toBe(sorted[Math.floor(matches.length / 2)])
        }
      }),
    )
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
