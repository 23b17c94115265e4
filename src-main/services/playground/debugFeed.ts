// A member's raftdeck.Debug stream (raft state and trace events) and its fault controls. The feed
// reconnects while the member restarts, and stops for good on close().

import * as grpc from '@grpc/grpc-js'
import { etcdGrpcObject } from '../../etcdpb/load'
import { RAFT_MESSAGE_TYPES, type ElectionRole, type PeerProgressInfo, type PlaygroundTrace, type RaftMessageType, type RaftRole, type RaftStateInfo, type TraceMessage } from '../../shared/api/playground'

interface WirePeer {
  id: string
  match: string
  next: string
  state: string
  recent_active: boolean
  msgs_sent: string
  msgs_received: string
  isolated_out: boolean
  isolated_in: boolean
  delay_ms: number
}

interface WireState {
  member_id: string
  role: string
  term: string
  vote: string
  leader: string
  commit: string
  applied: string
  last_index: string
  snapshot_index: string
  revision: string
  peers: WirePeer[]
}

interface WireMessage {
  type: string
  from: string
  to: string
  term: string
  log_term: string
  index: string
  commit: string
  entries: number
  reject: boolean
}

/** debug.proto's TraceEvent as proto-loader hands it over (`event` names the field that is set). */
interface WireTrace {
  at_unix_ms: string
  event?: 'send' | 'receive' | 'role' | 'vote' | 'commit'
  send?: WireMessage
  receive?: WireMessage
  role?: { from: string; to: string; term: string; leader: string }
  vote?: { voter: string; candidate: string; term: string; pre_vote: boolean; granted: boolean }
  commit?: { from: string; to: string; term: string }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never

/** A trace event of one member, with members still named by their IDs (decimal). */
export type MemberTrace = DistributiveOmit<PlaygroundTrace, 'member'>

const MESSAGE_TYPES = new Set<string>(RAFT_MESSAGE_TYPES)
const ELECTION_ROLES = new Set<string>(['follower', 'pre-candidate', 'candidate', 'leader'])

const messageOf = (m: WireMessage): TraceMessage | null =>
  MESSAGE_TYPES.has(m.type)
    ? { type: m.type as RaftMessageType, from: m.from, to: m.to, term: m.term, logTerm: m.log_term, index: m.index, commit: m.commit, entries: m.entries, reject: m.reject }
    : null

/** The wire form checked field by field; an event of a kind or message type this build does not know is dropped. */
export function traceFromWire(t: WireTrace): MemberTrace | null {
  const at = Number(t.at_unix_ms)
  switch (t.event) {
    case 'send':
    case 'receive': {
      const message = t[t.event] ? messageOf(t[t.event]!) : null
      return message ? { kind: t.event, at, message } : null
    }
    case 'role': {
      const r = t.role
      if (!r || !ELECTION_ROLES.has(r.from) || !ELECTION_ROLES.has(r.to)) return null
      return { kind: 'role', at, from: r.from as ElectionRole, to: r.to as ElectionRole, term: r.term, leader: r.leader }
    }
    case 'vote': {
      const v = t.vote
      return v ? { kind: 'vote', at, voter: v.voter, candidate: v.candidate, term: v.term, preVote: v.pre_vote, granted: v.granted } : null
    }
    case 'commit': {
      const c = t.commit
      return c ? { kind: 'commit', at, from: c.from, to: c.to, term: c.term } : null
    }
    default:
      return null
  }
}

export interface DebugFeedHandlers {
  onState(memberId: string, state: RaftStateInfo): void
  onTrace(t: MemberTrace): void
}

const peer = (p: WirePeer): PeerProgressInfo => ({
  id: p.id,
  match: p.match,
  next: p.next,
  state: p.state,
  recentActive: p.recent_active,
  msgsSent: p.msgs_sent,
  msgsReceived: p.msgs_received,
  isolatedOut: p.isolated_out,
  isolatedIn: p.isolated_in,
  delayMs: p.delay_ms,
})

type DebugClient = grpc.Client & {
  Watch(req: { interval_ms: number; no_traces: boolean }): grpc.ClientReadableStream<{ event: 'state' | 'trace'; state?: WireState; trace?: WireTrace }>
  SetFault(req: { peer_id: string; isolate_out: boolean; isolate_in: boolean; delay_ms: number }, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null) => void): void
  ClearFaults(req: object, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null) => void): void
}

export class DebugFeed {
  private readonly client: DebugClient
  private call: ReturnType<DebugClient['Watch']> | null = null
  private closed = false
  private retry: ReturnType<typeof setTimeout> | null = null
  /** Whether the watch asks for trace events (only while someone shows them: setTraces). */
  private traces = false

  constructor(
    clientPort: number,
    private readonly handlers: DebugFeedHandlers,
    private readonly intervalMs = 100,
    /** "TLS everywhere": the playground's CA and client certificate (the port requires one). */
    tls?: { ca: Buffer | null; cert: Buffer | null; key: Buffer | null },
  ) {
    const Ctor = (etcdGrpcObject().raftdeck as grpc.GrpcObject).Debug as grpc.ServiceClientConstructor
    const creds = tls ? grpc.credentials.createSsl(tls.ca, tls.key, tls.cert) : grpc.credentials.createInsecure()
    this.client = new Ctor(`127.0.0.1:${clientPort}`, creds, {
      'grpc.initial_reconnect_backoff_ms': 200,
      'grpc.max_reconnect_backoff_ms': 1000,
    }) as unknown as DebugClient
  }

  /** (Re)opens the watch; called when the member process (re)starts. */
  open(): void {
    if (this.closed) return
    this.call?.cancel()
    if (this.retry) clearTimeout(this.retry)
    const call = this.client.Watch({ interval_ms: this.intervalMs, no_traces: !this.traces })
    this.call = call
    call.on('data', (ev) => {
      if (ev.state) {
        const s = ev.state
        this.handlers.onState(s.member_id, {
          role: s.role as RaftRole,
          term: s.term,
          vote: s.vote,
          leader: s.leader,
          commit: s.commit,
          applied: s.applied,
          lastIndex: s.last_index,
          snapshotIndex: s.snapshot_index,
          revision: s.revision,
          peers: s.peers.map(peer),
          at: Date.now(),
        })
      } else if (ev.trace) {
        const t = traceFromWire(ev.trace)
        if (t) this.handlers.onTrace(t)
      }
    })
    const again = () => {
      if (this.call !== call || this.closed) return
      this.call = null
      // The member is paused, restarting or gone: try again shortly; close() ends this.
      this.retry = setTimeout(() => this.open(), 500)
    }
    call.on('error', again)
    call.on('end', again)
  }

  /**
   * Trace events on or off: the watch is opened again with the new request when it changes (a moment
   * without traces while it does; the member's state comes first on the new stream).
   */
  setTraces(on: boolean): void {
    if (this.traces === on) return
    this.traces = on
    if (this.call) this.open()
  }

  setFault(peerId: string, isolateOut: boolean, isolateIn: boolean, delayMs = 0): Promise<void> {
    return new Promise((resolve, reject) =>
      this.client.SetFault({ peer_id: peerId, isolate_out: isolateOut, isolate_in: isolateIn, delay_ms: delayMs }, { deadline: Date.now() + 3000 }, (err) => (err ? reject(err) : resolve())),
    )
  }

  clearFaults(): Promise<void> {
    return new Promise((resolve, reject) => this.client.ClearFaults({}, { deadline: Date.now() + 3000 }, (err) => (err ? reject(err) : resolve())))
  }

  close(): void {
    this.closed = true
    if (this.retry) clearTimeout(this.retry)
    this.call?.cancel()
    this.call = null
    this.client.close()
  }
}
