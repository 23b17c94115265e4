// Plain data that crosses the boundary between the core and its caller.
// Nothing here has behaviour: the caller persists, sends and applies these.

/**
 * A member ID. etcd member IDs are uint64, which a JS number cannot hold
 * losslessly, so IDs travel as canonical decimal strings ("12345", no sign,
 * no leading zeros). Strings are cheap Map keys and compare with ===.
 * NO_NODE ("0") means "nobody", as 0 does in etcd.
 */
export type NodeId = string
export const NO_NODE: NodeId = '0'

export type Role = 'follower' | 'preCandidate' | 'candidate' | 'leader'

export const EntryType = {
  Normal: 0,
  /** data is an encoded ConfChange (see confChange.ts). */
  ConfChange: 1,
} as const
export type EntryType = (typeof EntryType)[keyof typeof EntryType]

export interface Entry {
  readonly term: number
  readonly index: number
  readonly type: EntryType
  /** Empty for the no-op entry a new leader appends. Never mutated once created. */
  readonly data: Uint8Array
}

/** What must be durable before dependent messages leave the node. */
export interface HardState {
  readonly term: number
  readonly vote: NodeId
  readonly commit: number
}

/** Volatile, for observers only; never persisted. */
export interface SoftState {
  readonly lead: NodeId
  readonly role: Role
}

export interface ConfState {
  readonly voters: readonly NodeId[]
  readonly learners: readonly NodeId[]
}

export interface SnapshotMetadata {
  readonly index: number
  readonly term: number
  /** Membership as of `index`; the snapshot carries it so a receiver learns the config. */
  readonly confState: ConfState
}

export interface Snapshot {
  readonly data: Uint8Array
  readonly metadata: SnapshotMetadata
}

/** etcd's v1 ConfChange: one member at a time. Promotion is AddNode on an existing learner. */
export type ConfChangeType = 'addNode' | 'removeNode' | 'addLearnerNode'

export interface ConfChange {
  readonly type: ConfChangeType
  readonly nodeId: NodeId
  /** Opaque to the core; etcd stores the serialized Member here. */
  readonly context: Uint8Array
}

export const MessageType = {
  // Local only: never cross the network.
  Hup: 'MsgHup',
  Beat: 'MsgBeat',
  CheckQuorum: 'MsgCheckQuorum',
  Unreachable: 'MsgUnreachable',
  SnapStatus: 'MsgSnapStatus',
  // Network.
  Prop: 'MsgProp',
  App: 'MsgApp',
  AppResp: 'MsgAppResp',
  Vote: 'MsgVote',
  VoteResp: 'MsgVoteResp',
  PreVote: 'MsgPreVote',
  PreVoteResp: 'MsgPreVoteResp',
  Snap: 'MsgSnap',
  Heartbeat: 'MsgHeartbeat',
  HeartbeatResp: 'MsgHeartbeatResp',
  TransferLeader: 'MsgTransferLeader',
  TimeoutNow: 'MsgTimeoutNow',
  ReadIndex: 'MsgReadIndex',
  ReadIndexResp: 'MsgReadIndexResp',
} as const
export type MessageType = (typeof MessageType)[keyof typeof MessageType]

/**
 * One message. Fields not meaningful for a type are left at their zero value
 * (0, false, NO_NODE, empty array) so every message has the same shape, which
 * keeps V8's hidden classes monomorphic on the hot path.
 */
export interface Message {
  readonly type: MessageType
  readonly to: NodeId
  readonly from: NodeId
  readonly term: number
  /** MsgApp: term of the entry at `index`. Vote: candidate's last term. AppResp reject: hint term. */
  readonly logTerm: number
  /** MsgApp: index preceding `entries`. Vote: candidate's last index. AppResp: acked or rejected index. ReadIndexResp: read index. */
  readonly index: number
  readonly entries: readonly Entry[]
  readonly commit: number
  readonly reject: boolean
  /** AppResp reject: the follower's suggested probe index. */
  readonly rejectHint: number
  /** ReadIndex request context, heartbeat read-round context, or campaign-transfer marker. */
  readonly context: Uint8Array | null
  readonly snapshot: Snapshot | null
}

export interface ReadState {
  /** Serve the read once the local applied index reaches this. */
  readonly index: number
  readonly requestCtx: Uint8Array
}

/** Everything the caller must act on, in one batch. See rawNode.ts for the order. */
export interface Ready {
  readonly softState: SoftState | null
  readonly hardState: HardState | null
  readonly readStates: readonly ReadState[]
  /** Append to stable storage (truncating any conflicting suffix) before sending dependent messages. */
  readonly entries: readonly Entry[]
  /** Install before `entries` are appended, then hand to the state machine. */
  readonly snapshot: Snapshot | null
  /** Apply in order, after `entries` of this Ready are persisted. */
  readonly committedEntries: readonly Entry[]
  readonly messages: readonly Message[]
  /** True when entries or term/vote changed: the batch must be fsynced. */
  readonly mustSync: boolean
}

const EMPTY: readonly never[] = Object.freeze([]) as readonly never[]
export const EMPTY_ENTRIES: readonly Entry[] = EMPTY

export function makeMessage(fields: Partial<Message> & Pick<Message, 'type' | 'to' | 'from' | 'term'>): Message {
  return {
    type: fields.type,
    to: fields.to,
    from: fields.from,
    term: fields.term,
    logTerm: fields.logTerm ?? 0,
    index: fields.index ?? 0,
    entries: fields.entries ?? EMPTY_ENTRIES,
    commit: fields.commit ?? 0,
    reject: fields.reject ?? false,
    rejectHint: fields.rejectHint ?? 0,
    context: fields.context ?? null,
    snapshot: fields.snapshot ?? null,
  }
}

export const EMPTY_CONF_STATE: ConfState = { voters: EMPTY, learners: EMPTY }
export const EMPTY_SNAPSHOT: Snapshot = {
  data: new Uint8Array(0),
  metadata: { index: 0, term: 0, confState: EMPTY_CONF_STATE },
}

export function isEmptySnapshot(s: Snapshot | null): boolean {
  return s === null || s.metadata.index === 0
}

/** Bytes counted against size limits: payload only, like etcd's payload size. */
export function payloadSize(e: Entry): number {
  return e.data.byteLength
}

export function isLocalMessage(t: MessageType): boolean {
  return (
    t === MessageType.Hup ||
    t === MessageType.Beat ||
    t === MessageType.CheckQuorum ||
    t === MessageType.Unreachable ||
    t === MessageType.SnapStatus
  )
}

export function isResponseMessage(t: MessageType): boolean {
  return (
    t === MessageType.AppResp ||
    t === MessageType.VoteResp ||
    t === MessageType.PreVoteResp ||
    t === MessageType.HeartbeatResp ||
    t === MessageType.Unreachable
  )
}
