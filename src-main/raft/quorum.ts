// Majority arithmetic over a set of voters. Learners never count.

import type { NodeId } from './types'

export type VoteResult = 'pending' | 'lost' | 'won'

export function majority(n: number): number {
  return Math.floor(n / 2) + 1
}

/** Reused by committedIndex, which a leader runs on every acknowledgement: no array, no sort's work space. */
const scratch: number[] = []

/**
 * The largest index that a majority of voters has acknowledged. An empty
 * voter set commits everything (Infinity), so it never constrains anything.
 */
export function committedIndex(voters: ReadonlySet<NodeId>, matchOf: (id: NodeId) => number): number {
  const n = voters.size
  if (n === 0) return Infinity
  // Insertion into descending order: a handful of voters, so this beats a general sort.
  let k = 0
  for (const id of voters) {
    const v = matchOf(id)
    let j = k++
    while (j > 0 && scratch[j - 1]! < v) {
      scratch[j] = scratch[j - 1]!
      j--
    }
    scratch[j] = v
  }
  return scratch[majority(n) - 1]!
}

export function voteResult(voters: ReadonlySet<NodeId>, votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  if (voters.size === 0) return 'won'
  let granted = 0
  let missing = 0
  for (const id of voters) {
    const v = votes.get(id)
    if (v === undefined) missing++
    else if (v) granted++
  }
  const q = majority(voters.size)
  if (granted >= q) return 'won'
  if (granted + missing >= q) return 'pending'
  return 'lost'
}
