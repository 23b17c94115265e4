/**
 * The narrow interfaces through which the gRPC handlers, the leader's duties and the membership
 * operations use a member. Each consumer names the few capabilities it needs; `EtcdServer`
 * provides them all, and a test can provide just the ones under test.
 */
import type { Status, TraceEvent } from '../../raft/index'
import type { AuthStore } from '../auth/store'
import type { Lessor } from '../lease/lessor'
import type { MvccStore } from '../mvcc/store'
import type { ClusterMembers } from './cluster'
import type { Member, ResponseHeader } from './pb'
import type { ProposalBody, ProposeOptions } from './proposer'
import type { AlarmMember } from './alarms'
import type { ApplyOutcome } from './stateMachine'
import type { LeaseTimeToLive } from './leaderRequests'
import type { AuthSource } from './proposer'

export type { AuthHeader, AuthSource, ProposalBody, ProposeOptions } from './proposer'

/** The replicated state as handlers read it; they change it only by proposing. */
export interface StateView {
  readonly store: MvccStore
  readonly lessor: Lessor
  readonly auth: AuthStore
  readonly cluster: ClusterMembers
  readonly appliedIndex: number
  alarmList(): AlarmMember[]
}

/** What every handler needs: who we are, the state, response headers, the log. */
export interface ApiContext {
  readonly localId: string
  readonly state: StateView
  header(revision?: number): ResponseHeader
  log(line: string): void
}

/** Through Raft, then wait until this member applied the entry. */
export interface Proposing {
  propose(body: ProposalBody, opts?: ProposeOptions): Promise<ApplyOutcome>
}

export interface LinearizableReads {
  /** Resolves once this member has applied everything committed before the call (ReadIndex). */
  linearizableBarrier(): Promise<void>
}

export interface QuotaCheck {
  /** Refuses (and raises NOSPACE) when `bytes` more would not fit the backend quota. */
  checkQuota(bytes: number): Promise<void>
}

export interface Roles {
  isLeader(): boolean
  isLearner(): boolean
}

/**
 * What only the leader can answer; a follower forwards it over the peer port (leaderRequests.ts),
 * as etcd does, so it works whatever the client URLs' TLS setup is.
 */
export interface LeaderAnswers {
  /** A keep-alive: the new TTL, or 0 when the lease does not exist or has expired. */
  renewLease(id: string): Promise<number>
  leaseTimeToLive(id: string, keys: boolean): Promise<LeaseTimeToLive>
  /** Promotes a learner that has caught up with the leader. */
  promoteMember(id: string, auth?: AuthSource): Promise<Member[]>
}

/** Raft's view, for status and the debug stream. */
export interface RaftView {
  raftStatus(): Status
  readonly snapshotIndex: number
}

/** Membership changes and leader transfer (server/membership.ts). */
export interface MembershipHost extends Proposing, Roles {
  readonly localId: string
  readonly clusterToken: string
  readonly cluster: ClusterMembers
  readonly requestTimeoutMs: number
  raftStatus(): Status
  /** Since when the link to a peer has been up; 0 when down. */
  connectedSince(id: string): number
  transferLeader(to: string): boolean
  /** Resolves true once `id` leads (as this member sees it), false after `timeoutMs`. */
  untilLeader(id: string, timeoutMs: number): Promise<boolean>
}

/** What a member reports as it runs (the debug service and the command line listen). */
export interface ServerEvents {
  /** Raft or membership state changed (debug stream). */
  onState?: () => void
  /** A trace event of the Raft core (only with --enable-debug-service). */
  onTrace?: (ev: TraceEvent) => void
  /** This member was removed from the cluster: the process should stop. */
  onRemoved?: () => void
}
