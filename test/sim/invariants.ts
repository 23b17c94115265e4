// Raft's safety properties, asserted while the simulation runs (cf. the
// invariants of etcd's etcdraft.tla). Each check throws SafetyViolation.

import type { Entry, Message, NodeId } from '../../src-main/raft/types'
import type { MemoryStorage } from '../../src-main/raft/storage'
import type { RaftLog } from '../../src-main/raft/log'

export class SafetyViolation extends Error {
  constructor(
    readonly property: string,
    detail: string,
  ) {
    super(`${property}: ${detail}`)
    this.name = 'SafetyViolation'
  }
}

interface CommittedEntry {
  readonly term: number
  readonly data: Uint8Array
  /** Term in which some node first learned the entry was committed. */
  readonly commitTerm: number
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a === b) return true
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}

export class Invariants {
  private readonly leaderOfTerm = new Map<number, NodeId>()
  private readonly committed: (CommittedEntry | undefined)[] = []
  private readonly votes = new Map<string, NodeId>()
  private readonly appliedIndex = new Map<NodeId, number>()
  checks = 0
  /** The direct election-restriction check; mutation tests turn it off to show deeper properties catch the bug too. */
  checkGrants = true

  /** Election safety and leader completeness, when `node` becomes leader of `term`. */
  onLeader(node: NodeId, term: number, log: RaftLog): void {
    this.checks++
    const other = this.leaderOfTerm.get(term)
    if (other !== undefined && other !== node) {
      throw new SafetyViolation('ElectionSafety', `${other} and ${node} both leaders in term ${term}`)
    }
    this.leaderOfTerm.set(term, node)
    const first = log.firstIndex()
    for (let i = first; i < this.committed.length; i++) {
      const c = this.committed[i]
      if (!c || c.commitTerm >= term) continue
      const t = log.term(i)
      if (t !== c.term) {
        throw new SafetyViolation(
          'LeaderCompleteness',
          `leader ${node} of term ${term} has term ${t} at ${i}, committed entry has term ${c.term} (committed in term ${c.commitTerm})`,
        )
      }
    }
  }

  /** `node` (now in `term`) moved its commit index from `from` to `to`; its log must agree with every earlier commit. */
  onCommit(node: NodeId, term: number, log: RaftLog, from: number, to: number): void {
    this.checks++
    const lo = Math.max(from + 1, log.firstIndex())
    if (lo > to) return
    const ents = log.slice(lo, to + 1, 0)
    for (const e of ents) this.recordCommitted(node, term, e)
  }

  private recordCommitted(node: NodeId, term: number, e: Entry): void {
    const c = this.committed[e.index]
    if (!c) {
      this.committed[e.index] = { term: e.term, data: e.data, commitTerm: term }
      return
    }
    if (c.term !== e.term || !sameBytes(c.data, e.data)) {
      throw new SafetyViolation(
        'CommittedNeverChanges',
        `${node} committed (${e.index}, term ${e.term}) but (${e.index}, term ${c.term}) was committed before`,
      )
    }
  }

  /** A snapshot at (index, term) was installed on `node`. */
  onSnapshot(node: NodeId, index: number, term: number): void {
    const c = this.committed[index]
    if (c && c.term !== term) {
      throw new SafetyViolation('CommittedNeverChanges', `${node} installed a snapshot at ${index} term ${term}, committed term is ${c.term}`)
    }
    this.appliedIndex.set(node, Math.max(index, this.appliedIndex.get(node) ?? 0))
  }

  onRestart(node: NodeId, applied: number): void {
    this.appliedIndex.set(node, applied)
  }

  /** `node` applies `e`: it must be the next index and the committed entry. */
  onApply(node: NodeId, e: Entry): void {
    this.checks++
    const last = this.appliedIndex.get(node) ?? 0
    if (e.index !== last + 1) {
      throw new SafetyViolation('AppliedMonotonic', `${node} applied ${e.index} after ${last}`)
    }
    this.appliedIndex.set(node, e.index)
    const c = this.committed[e.index]
    if (!c) throw new SafetyViolation('ApplyOnlyCommitted', `${node} applied ${e.index} that no node reported committed`)
    if (c.term !== e.term || !sameBytes(c.data, e.data)) {
      throw new SafetyViolation('StateMachineSafety', `${node} applied (${e.index}, term ${e.term}), committed has term ${c.term}`)
    }
  }

  /** A (non-pre) vote granted by `voter` in `term`: a node votes at most once per term, even across restarts. */
  onVoteGranted(voter: NodeId, term: number, candidate: NodeId): void {
    const key = `${voter}/${term}`
    const prev = this.votes.get(key)
    if (prev !== undefined && prev !== candidate) {
      throw new SafetyViolation('VoteOnce', `${voter} voted for ${prev} and ${candidate} in term ${term}`)
    }
    this.votes.set(key, candidate)
  }

  /**
   * Election restriction (§5.4.1): a grant (vote or pre-vote) implies the
   * candidate's log was at least as up-to-date as the voter's at that moment.
   */
  onGrant(voter: NodeId, voterLastIndex: number, voterLastTerm: number, request: Message): void {
    if (!this.checkGrants) return
    const ok = request.logTerm > voterLastTerm || (request.logTerm === voterLastTerm && request.index >= voterLastIndex)
    if (!ok) {
      throw new SafetyViolation(
        'ElectionRestriction',
        `${voter} (last ${voterLastIndex}/${voterLastTerm}) granted ${request.type} to ${request.from} (last ${request.index}/${request.logTerm})`,
      )
    }
  }

  /**
   * Log matching over durable logs: if two logs hold an entry with the same
   * index and term, they are identical up to it. Costly, so run periodically.
   */
  checkLogMatching(logs: ReadonlyMap<NodeId, MemoryStorage>): void {
    this.checks++
    const ids = [...logs.keys()]
    for (let a = 0; a < ids.length; a++) {
      for (let b = a + 1; b < ids.length; b++) {
        const x = logs.get(ids[a])!
        const y = logs.get(ids[b])!
        const lo = Math.max(x.firstIndex(), y.firstIndex())
        const hi = Math.min(x.lastIndex(), y.lastIndex())
        if (lo > hi) continue
        const xe = x.entries(lo, hi + 1, 0)
        const ye = y.entries(lo, hi + 1, 0)
        let top = -1
        for (let i = xe.length - 1; i >= 0; i--) {
          if (xe[i].term === ye[i].term) {
            top = i
            break
          }
        }
        for (let i = 0; i <= top; i++) {
          if (xe[i].term !== ye[i].term || !sameBytes(xe[i].data, ye[i].data)) {
            throw new SafetyViolation(
              'LogMatching',
              `${ids[a]} and ${ids[b]} agree at ${lo + top} (term ${xe[top].term}) but differ at ${lo + i}`,
            )
          }
        }
      }
    }
  }

  /**
   * Committed entries are never lost: a node's durable log, up to its durable
   * commit index, must hold exactly the committed entries (checked when a
   * node restarts from disk and at the end of a run).
   */
  checkDurable(node: NodeId, storage: MemoryStorage): void {
    this.checks++
    const commit = storage.initialState().hardState.commit
    const lo = storage.firstIndex()
    if (commit < lo) return
    const ents = storage.entries(lo, commit + 1, 0)
    for (const e of ents) {
      const c = this.committed[e.index]
      if (c && (c.term !== e.term || !sameBytes(c.data, e.data))) {
        throw new SafetyViolation('CommittedNeverLost', `${node}'s disk holds (${e.index}, term ${e.term}) below its commit ${commit}; committed has term ${c.term}`)
      }
    }
  }

  committedCount(): number {
    return this.committed.length - 1
  }
}
