// One rule for "how is this cluster doing", computed from what its members actually report, used the
// same way by the sidebar, the view's header and the status bar, for playgrounds and connections:
//
//   healthy   every member up, one leader, nobody lagging
//   degraded  a quorum of voters up with one leader, but some member down, cut off or lagging
//   down      no quorum, no leader, several leaders (a split cluster), or nothing answered
//   stopped   a playground that is not running
//   unknown   nothing observed yet
//
// Pure: the adapters below turn a PlaygroundSummary or a ClusterStatus into member observations.

import type { PlaygroundSummary } from './api/playground'
import type { ClusterStatus } from './dto'

export type ClusterHealth = 'healthy' | 'degraded' | 'down' | 'stopped' | 'unknown'

export type HealthReason =
  | 'all-up'
  | 'members-down'
  | 'members-lagging'
  | 'no-quorum'
  | 'no-leader'
  | 'several-leaders'
  | 'split'
  | 'unreachable'
  | 'stopped'
  | 'no-status'

/** One member as observed: `up` null when no endpoint of ours reaches it (a member we cannot see). */
export interface MemberObservation {
  name: string
  /** Learners do not count towards the quorum. */
  voter: boolean
  up: boolean | null
  /** It says it is the leader. */
  leader: boolean
  /** Its Raft term (leaders of older terms are stale: they have not noticed the newer one yet). */
  term: number
  /** Cut off from the leader, or far behind its log. */
  lagging: boolean
}

export interface HealthInput {
  stopped: boolean
  members: MemberObservation[]
  /** The endpoints disagree about what cluster they form (ClusterStatus.split). */
  split?: boolean
}

export interface HealthVerdict {
  health: ClusterHealth
  reason: HealthReason
  /** Members seen up, and all members. */
  up: number
  total: number
  voters: number
  quorum: number
  leader: string | null
  /** Names of members down and lagging. */
  down: string[]
  lagging: string[]
}

/** A follower this many entries behind the leader counts as lagging. */
export const LAG_ENTRIES = 1000

export function clusterHealth(input: HealthInput): HealthVerdict {
  const members = input.members
  const voters = members.filter((m) => m.voter)
  const quorum = Math.floor(voters.length / 2) + 1
  const base = {
    up: members.filter((m) => m.up === true).length,
    total: members.length,
    voters: voters.length,
    quorum,
    leader: null as string | null,
    down: members.filter((m) => m.up === false).map((m) => m.name),
    lagging: [] as string[],
  }
  if (input.stopped) return { ...base, health: 'stopped', reason: 'stopped' }
  if (members.length === 0) return { ...base, health: 'unknown', reason: 'no-status' }
  if (base.up === 0) return { ...base, health: 'down', reason: 'unreachable' }
  if (input.split) return { ...base, health: 'down', reason: 'split' }
  // Only leaders of the newest term count: an old leader cut off from the rest still believes it leads.
  const upLeaders = members.filter((m) => m.up === true && m.leader)
  const newest = Math.max(0, ...upLeaders.map((m) => m.term))
  const leaders = upLeaders.filter((m) => m.term === newest)
  const stale = upLeaders.filter((m) => m.term !== newest).map((m) => m.name)
  if (leaders.length > 1) return { ...base, health: 'down', reason: 'several-leaders' }
  const leader = leaders[0]?.name ?? null
  // Members nobody of ours reaches count as up only when a leader vouches for the quorum.
  const votersUp = voters.filter((m) => m.up === true || (m.up === null && leader !== null)).length
  if (votersUp < quorum) return { ...base, leader, health: 'down', reason: 'no-quorum' }
  if (!leader) return { ...base, health: 'down', reason: 'no-leader' }
  const lagging = members.filter((m) => m.up === true && (m.lagging || stale.includes(m.name))).map((m) => m.name)
  if (base.down.length) return { ...base, leader, lagging, health: 'degraded', reason: 'members-down' }
  if (lagging.length) return { ...base, leader, lagging, health: 'degraded', reason: 'members-lagging' }
  return { ...base, leader, health: 'healthy', reason: 'all-up' }
}

const num = (s: string | undefined | null) => {
  const n = Number(s ?? 0)
  return Number.isFinite(n) ? n : 0
}

/** A playground's members as its supervisor and their Raft state report them. */
export function playgroundObservations(p: PlaygroundSummary): HealthInput {
  const up = p.members.filter((m) => m.process === 'running' && m.raft)
  const newest = Math.max(0, ...up.filter((m) => m.raft!.role === 'leader').map((m) => num(m.raft!.term)))
  const leader = up.find((m) => m.raft!.role === 'leader' && num(m.raft!.term) === newest)
  const leaderCommit = leader ? num(leader.raft!.commit) : 0
  return {
    stopped: p.phase === 'stopped' || p.phase === 'stopping',
    members: p.members.map((m) => {
      const running = m.process === 'running'
      const progress = leader?.raft?.peers.find((x) => m.id !== null && x.id === m.id)
      const cut = !!progress && (!progress.recentActive || progress.isolatedIn || progress.isolatedOut)
      const behind = !!leader && !!m.raft && m !== leader && leaderCommit - num(m.raft.applied) > LAG_ENTRIES
      // A member that follows no leader, or another one, while a leader exists, is out of touch.
      const lost = !!leader && !!m.raft && m !== leader && m.raft.role !== 'leader' && m.raft.leader !== leader.id
      return {
        name: m.name,
        voter: !m.learner,
        // A running process whose Raft state is not known yet is not counted as up or down.
        up: running ? (m.raft ? true : null) : false,
        leader: running && m.raft?.role === 'leader',
        term: num(m.raft?.term),
        lagging: running && (cut || behind || lost),
      }
    }),
  }
}

/** A connection's members as its endpoints' Status answers report them. */
export function connectionObservations(s: ClusterStatus): HealthInput {
  const byId = new Map(s.endpoints.filter((e) => e.ok && e.memberId).map((e) => [e.memberId!, e]))
  const leaderIndex = num(s.endpoints.find((e) => e.ok && e.memberId && e.leader === e.memberId)?.raftIndex)
  const observe = (e: ClusterStatus['endpoints'][number] | undefined, name: string, voter: boolean): MemberObservation => {
    if (!e) return { name, voter, up: null, leader: false, term: 0, lagging: false }
    const isLeader = !!e.ok && !!e.memberId && e.leader === e.memberId
    return {
      name,
      voter,
      up: e.ok,
      leader: isLeader,
      term: num(e.raftTerm),
      lagging: e.ok && !isLeader && (!e.leader || e.leader === '0' || (leaderIndex > 0 && leaderIndex - num(e.raftIndex) > LAG_ENTRIES)),
    }
  }
  const split = !!s.split
  if (s.members.length === 0 || split) {
    return { stopped: false, split, members: s.endpoints.map((e) => observe(e, e.endpoint, !e.isLearner)) }
  }
  return {
    stopped: false,
    members: s.members.map((m) => {
      const e = byId.get(m.id) ?? s.endpoints.find((x) => m.clientURLs.includes(x.endpoint))
      return observe(e, m.name || m.id, !m.isLearner)
    }),
  }
}
