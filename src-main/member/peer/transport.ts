/**
 * The only way a member's server talks to its peers. The server builds its Raft node first and
 * hands it to `start()`: nothing is accepted from the network before that, so no message can reach
 * a node that does not exist yet. The TCP implementation is `tcpTransport.ts`; tests use an
 * in-memory one. Whatever a transport does on the wire (TLS, streaming a large snapshot in chunks,
 * retries) stays behind these few calls.
 */
import type { Message } from '../../raft/index'
import type { PeerRequestHandler } from './requests'

export type { PeerRequestHandler }

/** Who consumes what arrives from peers: the member's Raft node. */
export interface PeerHandler {
  /** A Raft message from a peer. */
  step(m: Message): void
  /** A message to `peerId` could not be handed to its connection: stop streaming to it optimistically. */
  reportUnreachable(peerId: string): void
  /** A MsgSnap to `peerId` was handed over completely (ok) or could not be (not ok). */
  reportSnapshot(peerId: string, ok: boolean): void
}

/** A member as the transport needs to know it. */
export interface PeerAddress {
  ID: string
  peerURLs: string[]
}

export interface ClusterInfo {
  clusterId: string
  members: Array<{ ID: string; name: string; peerURLs: string[]; clientURLs: string[]; isLearner: boolean }>
}

/** What the transport asks of the member's membership while it serves the peer port. */
export interface PeerDirectory {
  /** Answers a joining member's question "which cluster is this and who is in it?". */
  clusterInfo(): ClusterInfo
  /** Was this member ID removed from the cluster? Its connections are answered with a notice. */
  isRemoved(id: string): boolean
  /** A peer told us we were removed (we missed the conf change while down). */
  onRemovedNotice(): void
}

/** Who this member is on the peer network. */
export interface PeerIdentity {
  localId: string
  clusterId: string
}

export interface Transport {
  /** Accepts peer connections from now on; every message received goes to `handler`. */
  start(handler: PeerHandler): Promise<void>
  /** Sends the messages of one Ready; messages to unknown or unreachable peers are reported, not thrown. */
  send(msgs: readonly Message[]): void
  /** Makes the links match the membership: new members get a link, changed URLs are used, removed members lose theirs. */
  syncPeers(members: readonly PeerAddress[]): void
  /** Since when (ms since the epoch) the link to `id` has been up without interruption; 0 when down. */
  connectedSince(id: string): number
  /**
   * Asks member `id` (the leader, usually) to do something for this one: forwarded lease
   * keep-alives, lease time-to-live, learner promotion. Rejects with the member's error (a gRPC
   * `code` and etcd's message) or with UNAVAILABLE when it cannot be reached in time.
   */
  request(id: string, method: string, body: unknown, timeoutMs: number): Promise<unknown>
  stop(): Promise<void>
}

/** A playground fault on the link to one peer (set through the debug service). */
export interface PeerFault {
  dropOut: boolean
  dropIn: boolean
  delayMs: number
}

export interface PeerStats {
  sent: number
  received: number
}

/**
 * Faults to apply and messages counted per peer: set and read by the debug service, applied and
 * counted by the transport. Created by the server, so neither side needs the other.
 */
export class PeerDiagnostics {
  readonly faults = new Map<string, PeerFault>()
  readonly stats = new Map<string, PeerStats>()

  stat(id: string): PeerStats {
    let s = this.stats.get(id)
    if (!s) this.stats.set(id, (s = { sent: 0, received: 0 }))
    return s
  }
}

/** Everything a transport is built from, once the member knows who it is. */
export interface TransportContext {
  identity: PeerIdentity
  directory: PeerDirectory
  diagnostics: PeerDiagnostics
  /** Answers the requests other members make of this one. */
  requests: PeerRequestHandler
  log: (line: string) => void
}

export type TransportFactory = (ctx: TransportContext) => Transport
