// The current configuration (voters, learners) and the leader's Progress for
// every member of it, plus the votes of an ongoing election.

import { Progress } from './progress'
import { committedIndex, majority, voteResult } from './quorum'
import type { VoteResult } from './quorum'
import type { ConfState, NodeId } from './types'

export class ProgressTracker {
  readonly voters = new Set<NodeId>()
  readonly learners = new Set<NodeId>()
  readonly progress = new Map<NodeId, Progress>()
  readonly votes = new Map<NodeId, boolean>()

  constructor(
    private readonly maxInflight: number,
    private readonly maxInflightBytes: number,
  ) {}

  confState(): ConfState {
    return { voters: [...this.voters].sort(), learners: [...this.learners].sort() }
  }

  isVoter(id: NodeId): boolean {
    return this.voters.has(id)
  }

  /** Adds or re-labels a member; a new member starts probing at `next`. */
  setMember(id: NodeId, isLearner: boolean, next: number): void {
    if (isLearner) {
      this.voters.delete(id)
      this.learners.add(id)
    } else {
      this.learners.delete(id)
      this.voters.add(id)
    }
    const pr = this.progress.get(id)
    if (pr) {
      pr.isLearner = isLearner
      return
    }
    const fresh = new Progress(next, isLearner, this.maxInflight, this.maxInflightBytes)
    // A new member counts as active so CheckQuorum does not depose the leader
    // before the newcomer had a chance to answer.
    fresh.recentActive = true
    this.progress.set(id, fresh)
  }

  removeMember(id: NodeId): void {
    this.voters.delete(id)
    this.learners.delete(id)
    this.progress.delete(id)
  }

  reset(cs: ConfState, next: number): void {
    this.voters.clear()
    this.learners.clear()
    this.progress.clear()
    for (const id of cs.voters) this.setMember(id, false, next)
    for (const id of cs.learners) this.setMember(id, true, next)
  }

  committed(): number {
    return committedIndex(this.voters, this.matchOf)
  }

  private readonly matchOf = (id: NodeId): number => this.progress.get(id)?.match ?? 0

  resetVotes(): void {
    this.votes.clear()
  }

  recordVote(id: NodeId, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted)
  }

  tallyVotes(): { granted: number; rejected: number; result: VoteResult } {
    let granted = 0
    let rejected = 0
    for (const id of this.voters) {
      const v = this.votes.get(id)
      if (v === true) granted++
      else if (v === false) rejected++
    }
    return { granted, rejected, result: voteResult(this.voters, this.votes) }
  }

  /** Did a majority of voters (counting `self`) talk to us since the last check? */
  quorumActive(self: NodeId): boolean {
    if (this.voters.size === 0) return true
    let active = 0
    for (const id of this.voters) {
      if (id === self || this.progress.get(id)?.recentActive) active++
    }
    return active >= majority(this.voters.size)
  }
}
