// Local playgrounds: multi-member clusters of real processes on this machine (our TypeScript member,
// or real etcd when its binary is present), with controls to break and repair them and a live view of
// their Raft state.

import type { Msg } from '../i18n/message'
import { s } from '../schema'
import { id, method, stream } from './spec'

export type PlaygroundEngine = 'raftdeck' | 'etcd'

/** The supervisor's state machine for a whole playground (see services/playground/lifecycle.ts). */
export type PlaygroundPhase = 'stopped' | 'starting' | 'running' | 'stopping' | 'failed'

/** What the supervisor knows of one member process. */
export type ProcessState = 'starting' | 'running' | 'paused' | 'stopped' | 'killed' | 'crashed'

export type RaftRole = 'follower' | 'pre-candidate' | 'candidate' | 'leader' | 'learner'

export interface PeerProgressInfo {
  id: string
  match: string
  next: string
  /** probe | replicate | snapshot */
  state: string
  recentActive: boolean
  msgsSent: string
  msgsReceived: string
  isolatedOut: boolean
  isolatedIn: boolean
  delayMs: number
}

export interface RaftStateInfo {
  role: RaftRole
  term: string
  vote: string
  leader: string
  commit: string
  applied: string
  lastIndex: string
  snapshotIndex: string
  revision: string
  peers: PeerProgressInfo[]
  /** Milliseconds since the epoch when this state was read. */
  at: number
}

export interface PlaygroundMember {
  name: string
  /** Member ID (decimal), once known. */
  id: string | null
  clientUrl: string
  peerUrl: string
  dataDir: string
  process: ProcessState
  pid: number | null
  exitCode: number | null
  /** Live Raft state: from the debug stream (raftdeck engine) or from Status polling (etcd engine). */
  raft: RaftStateInfo | null
  dbSize: number | null
  learner: boolean
}

export interface PlaygroundSummary {
  id: string
  name: string
  engine: PlaygroundEngine
  phase: PlaygroundPhase
  members: PlaygroundMember[]
  /** etcdctl --endpoints value (no scheme, which every etcdctl command accepts). */
  endpoints: string
  clusterToken: string
  createdAt: number
  /** Writes per second of the built-in load (0: off). */
  loadRate: number
  /** Whether the debug stream (fault controls, message flow) is available. */
  debug: boolean
  /** "TLS everywhere": the files a client needs (null for a plain playground). */
  tls: PlaygroundTls | null
  /** Why the last start failed, in English (CLI, logs) and as a message the UI translates. */
  error: string | null
  errorMsg?: Msg | null
}

/** A TLS playground's CA and client certificate, in the playground's folder (the key is a 0600 file). */
export interface PlaygroundTls {
  caFile: string
  certFile: string
  keyFile: string
}

/** The roles a Raft node moves through in elections (a learner never campaigns). */
export type ElectionRole = Exclude<RaftRole, 'learner'>

/** Raft message types a member reports (etcd's raftpb names). */
export const RAFT_MESSAGE_TYPES = [
  'MsgApp',
  'MsgAppResp',
  'MsgVote',
  'MsgVoteResp',
  'MsgPreVote',
  'MsgPreVoteResp',
  'MsgSnap',
  'MsgHeartbeat',
  'MsgHeartbeatResp',
  'MsgProp',
  'MsgTransferLeader',
  'MsgTimeoutNow',
  'MsgReadIndex',
  'MsgReadIndexResp',
] as const
export type RaftMessageType = (typeof RAFT_MESSAGE_TYPES)[number]

/**
 * Members in a trace are named by their playground name (`n2`), or by their hex member ID when
 * the playground does not know them (a member being added).
 */
export interface TraceMessage {
  type: RaftMessageType
  from: string
  to: string
  term: string
  logTerm: string
  index: string
  commit: string
  /** Log entries carried (MsgApp). */
  entries: number
  reject: boolean
}

interface TraceBase {
  /** Milliseconds since the epoch, at the member. */
  at: number
  /** The member the event happened at. */
  member: string
}

/** One typed event of a member's Raft core, from its debug stream. */
export type PlaygroundTrace =
  | (TraceBase & { kind: 'send' | 'receive'; message: TraceMessage })
  | (TraceBase & { kind: 'role'; from: ElectionRole; to: ElectionRole; term: string; leader: string })
  /** A vote cast by `voter` for `candidate`, seen at `member` (the voter, or the candidate counting it). */
  | (TraceBase & { kind: 'vote'; voter: string; candidate: string; term: string; preVote: boolean; granted: boolean })
  | (TraceBase & { kind: 'commit'; from: string; to: string; term: string })

export interface PlaygroundEvent {
  playgroundId: string
  /** A new full state (rate-limited) and the trace events since the previous one. */
  state: PlaygroundSummary
  traces: PlaygroundTrace[]
  /** Trace events dropped by rate limiting since the previous event. */
  dropped: number
}

const memberName = s.string({ min: 1, max: 40, pattern: /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/ })

export const playgroundMethods = {
  'playground/list': method<PlaygroundSummary[]>()(s.object({})),
  'playground/create': method<PlaygroundSummary>()(
    s.object({
      name: s.string({ min: 1, max: 60, pattern: /^[a-zA-Z0-9][a-zA-Z0-9 _.-]*$/ }),
      members: s.number({ int: true, min: 1, max: 7 }),
      engine: s.optional(s.enum(['raftdeck', 'etcd'] as const)),
      /** "TLS everywhere": a CA made for the playground, server and peer certificates per member, a client certificate. */
      tls: s.optional(s.boolean()),
    }),
  ),
  /**
   * A new playground whose members all start from one snapshot file, with a fresh cluster token and
   * member/cluster IDs derived from it: one cluster, never N one-member clusters.
   */
  'playground/restore': method<PlaygroundSummary>()(
    s.object({
      name: s.string({ min: 1, max: 60, pattern: /^[a-zA-Z0-9][a-zA-Z0-9 _.-]*$/ }),
      members: s.number({ int: true, min: 1, max: 7 }),
      snapshotPath: s.string({ min: 1, max: 4096 }),
      bumpRevision: s.optional(s.number({ int: true, min: 0, max: 1_000_000_000 })),
      markCompacted: s.optional(s.boolean()),
      /** etcd: each member restored by etcd's own `etcdctl snapshot restore`; raftdeck (default): our members. */
      engine: s.optional(s.enum(['raftdeck', 'etcd'] as const)),
    }),
  ),
  'playground/start': method<PlaygroundSummary>()(s.object({ id })),
  'playground/stop': method<PlaygroundSummary>()(s.object({ id })),
  'playground/delete': method<null>()(s.object({ id })),
  /** Process controls for one member. */
  'playground/member': method<PlaygroundSummary>()(
    s.object({ id, member: memberName, action: s.enum(['stop', 'kill', 'pause', 'resume', 'restart'] as const) }),
  ),
  /** Cut links of one member: to one peer or all, outgoing, incoming or both; heal clears its faults. */
  'playground/isolate': method<PlaygroundSummary>()(
    s.object({ id, member: memberName, peer: s.optional(memberName), direction: s.enum(['both', 'out', 'in'] as const) }),
  ),
  'playground/heal': method<PlaygroundSummary>()(s.object({ id, member: s.optional(memberName) })),
  /** Adds a member as a learner and starts it; promote makes it a voter. */
  'playground/addMember': method<PlaygroundSummary>()(s.object({ id })),
  'playground/promote': method<PlaygroundSummary>()(s.object({ id, member: memberName })),
  'playground/removeMember': method<PlaygroundSummary>()(s.object({ id, member: memberName })),
  'playground/moveLeader': method<PlaygroundSummary>()(s.object({ id, member: memberName })),
  'playground/setLoad': method<PlaygroundSummary>()(s.object({ id, writesPerSecond: s.number({ int: true, min: 0, max: 2000 }) })),
  'playground/memberLog': method<string[]>()(s.object({ id, member: memberName, lines: s.optional(s.number({ int: true, min: 1, max: 5000 })) })),
} as const

export const playgroundStreams = {
  /** Live state and trace events of one playground, rate-limited for the UI. */
  'playground/onEvents': stream<PlaygroundEvent>()(s.object({ id, traces: s.optional(s.boolean()) })),
  /** The list changed (created, deleted, phase changes). */
  'playground/onList': stream<PlaygroundSummary[]>()(s.object({})),
} as const

