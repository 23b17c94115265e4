// Tunables of one Raft node, with etcd's defaults, and the test-only fault switches.

import { RaftInvariantError } from './errors'
import type { RandomSource } from './random'
import type { TraceSink } from './trace'
import type { NodeId } from './types'
import { NO_NODE } from './types'

/**
 * Deliberate rule breakers, for mutation tests only: each one disables a rule
 * the simulator must then catch. Production code never sets these.
 */
export interface Faults {
  /** Advance commit on a quorum match even if the entry is from an older term (Figure 8 bug). */
  readonly commitOldTermEntries?: boolean
  /** Grant votes comparing only last index, not last term (election restriction bug). */
  readonly voteIgnoresLastTerm?: boolean
  /** Grant pre-votes without any log up-to-date check. */
  readonly preVoteSkipsLogCheck?: boolean
  /** Answer ReadIndex at once, without a heartbeat quorum round. */
  readonly readIndexSkipsQuorum?: boolean
  /** Answer ReadIndex before the leader has committed an entry of its own term. */
  readonly readIndexSkipsTermCommitCheck?: boolean
  /** Let a leader that lost its quorum keep leading (CheckQuorum never steps down). */
  readonly checkQuorumNeverStepsDown?: boolean
}

export interface Config {
  readonly id: NodeId
  /** Ticks without hearing from a leader before campaigning; actual timeout is drawn from [ET, 2·ET). */
  readonly electionTick: number
  readonly heartbeatTick: number
  /** Injected randomness for election jitter. */
  readonly random: RandomSource
  /** Last index the caller has applied (on restart). Entries above it are redelivered. */
  readonly applied?: number
  /** Soft cap on the payload bytes of one MsgApp (at least one entry is always sent). */
  readonly maxSizePerMsg?: number
  /** Hard cap on the total payload of the leader's uncommitted tail; 0 = unlimited. */
  readonly maxUncommittedEntriesSize?: number
  /** How many MsgApp may be in flight to one follower in replicate state. */
  readonly maxInflightMsgs?: number
  /** Optional byte cap on in-flight MsgApp payloads per follower; 0 = unlimited. */
  readonly maxInflightBytes?: number
  /** Soft cap on bytes of committed entries handed out per Ready; 0 = unlimited. */
  readonly maxCommittedSizePerReady?: number
  readonly preVote?: boolean
  readonly checkQuorum?: boolean
  readonly disableProposalForwarding?: boolean
  readonly trace?: TraceSink
  readonly faults?: Faults
}

export interface ResolvedConfig {
  readonly id: NodeId
  readonly electionTick: number
  readonly heartbeatTick: number
  readonly random: RandomSource
  readonly applied: number
  readonly maxSizePerMsg: number
  readonly maxUncommittedEntriesSize: number
  readonly maxInflightMsgs: number
  readonly maxInflightBytes: number
  readonly maxCommittedSizePerReady: number
  readonly preVote: boolean
  readonly checkQuorum: boolean
  readonly disableProposalForwarding: boolean
  readonly trace: TraceSink | undefined
  readonly faults: Faults
}

const NO_FAULTS: Faults = Object.freeze({})

/** etcd's server defaults: 1 MiB messages, 512 in flight, PreVote and CheckQuorum on. */
export function resolveConfig(c: Config): ResolvedConfig {
  if (c.id === NO_NODE || !/^[1-9][0-9]*$/.test(c.id)) {
    throw new RaftInvariantError(`node id must be a non-zero decimal uint64, got ${JSON.stringify(c.id)}`)
  }
  if (c.heartbeatTick <= 0) throw new RaftInvariantError('heartbeatTick must be greater than 0')
  if (c.electionTick <= c.heartbeatTick) throw new RaftInvariantError('electionTick must be greater than heartbeatTick')
  const maxInflightMsgs = c.maxInflightMsgs ?? 512
  if (maxInflightMsgs <= 0) throw new RaftInvariantError('maxInflightMsgs must be greater than 0')
  return {
    id: c.id,
    electionTick: c.electionTick,
    heartbeatTick: c.heartbeatTick,
    random: c.random,
    applied: c.applied ?? 0,
    maxSizePerMsg: c.maxSizePerMsg ?? 1024 * 1024,
    maxUncommittedEntriesSize: c.maxUncommittedEntriesSize ?? 0,
    maxInflightMsgs,
    maxInflightBytes: c.maxInflightBytes ?? 0,
    maxCommittedSizePerReady: c.maxCommittedSizePerReady ?? 0,
    preVote: c.preVote ?? true,
    checkQuorum: c.checkQuorum ?? true,
    disableProposalForwarding: c.disableProposalForwarding ?? false,
    trace: c.trace,
    faults: c.faults ?? NO_FAULTS,
  }
}
