// A member's raftdeck.Debug stream (raft state and trace events) and its fault controls. The feed
// reconnects while the member restarts, and stops for good on close().

import * as grpc from '@grpc/grpc-js'
import { etcdGrpcObject } from '../../etcdpb/load'
import type { PeerProgressInfo, RaftRole, RaftStateInfo } from '../../shared/api/playground'

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

interface WireTrace {
  kind: string
  at_unix_ms: string
  from: string
  to: string
  detail: string
}

export interface DebugFeedHandlers {
  onState(memberId: string, state: RaftStateInfo): void
  onTrace(t: { kind: string; at: number; from: string; to: string; detail: string }): void
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
  Watch(req: { interval_ms: number }): grpc.ClientReadableStream<{ event: 'state' | 'trace'; state?: WireState; trace?: WireTrace }>
  SetFault(req: { peer_id: string; isolate_out: boolean; isolate_in: boolean; delay_ms: number }, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null) => void): void
  ClearFaults(req: object, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null) => void): void
}

export class DebugFeed {
  private readonly client: DebugClient
  private call: ReturnType<DebugClient['Watch']> | null = null
  private closed = false
  private retry: ReturnType<typeof setTimeout> | null = null

  constructor(
    clientPort: number,
    private readonly handlers: DebugFeedHandlers,
    private readonly intervalMs = 100,
  ) {
    const Ctor = (etcdGrpcObject().raftdeck as grpc.GrpcObject).Debug as grpc.ServiceClientConstructor
    this.client = new Ctor(`127.0.0.1:${clientPort}`, grpc.credentials.createInsecure(), {
      'grpc.initial_reconnect_backoff_ms': 200,
      'grpc.max_reconnect_backoff_ms': 1000,
    }) as unknown as DebugClient
  }

  /** (Re)opens the watch; called when the member process (re)starts. */
  open(): void {
    if (this.closed) return
    this.call?.cancel()
    if (this.retry) clearTimeout(this.retry)
    const call = this.client.Watch({ interval_ms: this.intervalMs })
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
        const t = ev.trace
        this.handlers.onTrace({ kind: t.kind, at: Number(t.at_unix_ms), from: t.from, to: t.to, detail: t.detail })
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
