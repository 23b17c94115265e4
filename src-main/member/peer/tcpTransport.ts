/**
 * Member-to-member transport on --listen-peer-urls: TCP (TLS for https peer URLs, see tls.ts), one
 * outbound connection per peer carrying length-prefixed binary Raft messages (`[u32 LE
 * length][message]`, see messageCodec), plus a requests connection where a member asks the leader
 * for what only it can do (requests.ts).
 * A connection opens with a hello frame naming the sender and its cluster, so a member of
 * another cluster is refused (etcd's "request cluster ID mismatch").
 *
 * Messages to an unreachable peer are dropped and reported to Raft, which retries by itself.
 * The debug service can cut links one way or both and add delay (playground faults).
 */
import net from 'node:net'
import { MessageType, type Message } from '../../raft/index'
import { DropLog } from '../dropLog'
import { sendFrame, FrameTooLarge, frameReader, hostPort, MAX_FRAME, MAX_HELLO_FRAME } from './framing'
import { describeBytes, parseHello } from './hello'
import { PeerRequestError, RequestChannel, requestServer } from './requests'
import { createPeerServer, dialPeer, type PeerTls } from './tls'
import { decodeMessage, encodeMessage } from './messageCodec'
import { sendSnapshot, SNAPSHOT_FRAME, SnapshotReceiveSession } from './snapshotStream'
import type { PeerAddress, PeerHandler, SnapshotFiles, Transport, TransportContext } from './transport'

/** Bytes queued on one peer socket beyond which messages to it are dropped (Raft retries). */
const MAX_BUFFERED = 64 * 1024 * 1024
/** A connection must say who it is this soon, or it is dropped. */
const HELLO_TIMEOUT_MS = 10_000
/** Connections that have not said hello yet, beyond which new ones are refused at once. */
const MAX_UNIDENTIFIED = 64
/** The one frame a member ever sends back on a peer's connection: "you were removed from the cluster". */
const REMOVED_NOTICE = Buffer.from(JSON.stringify({ removed: true }))

const toHexId = (id: string): string => {
  try {
    return BigInt(id).toString(16)
  } catch {
    return id
  }
}

class PeerLink {
  private socket: net.Socket | undefined
  /** The socket being connected, so close() can abort it (it would keep the process alive). */
  private pending: net.Socket | undefined
  private latest: net.Socket | undefined
  private connecting = false
  private backoffMs = 50
  private retryTimer: NodeJS.Timeout | undefined
  private closed = false
  /** When the current outbound connection came up (0 when down), for etcd's health checks. */
  connectedSince = 0

  constructor(
    readonly id: string,
    public urls: string[],
    private readonly t: PeerTransport,
  ) {}

  send(payload: Buffer): boolean {
    if (!this.socket) {
      this.connect()
      return false
    }
    if (this.socket.writableLength > MAX_BUFFERED) return false
    sendFrame(this.socket, payload)
    return true
  }

  /** Hold writes until uncork(): all messages of one Ready leave in one writev. */
  cork(): boolean {
    if (!this.socket) return false
    this.socket.cork()
    return true
  }

  uncork(): void {
    this.socket?.uncork()
  }

  connect(): void {
    if (this.connecting || this.closed || this.retryTimer) return
    const url = this.urls[0]
    if (!url) return
    this.connecting = true
    const s = dialPeer(url, this.t.tls)
    this.pending = s
    this.latest = s
    s.setNoDelay(true)
    s.once(url.startsWith('https:') ? 'secureConnect' : 'connect', () => {
      this.pending = undefined
      this.connecting = false
      if (this.closed) {
        s.destroy()
        return
      }
      this.backoffMs = 50
      const hello = Buffer.from(JSON.stringify({ from: this.t.identity.localId, to: this.id, clusterId: this.t.identity.clusterId }))
      sendFrame(s, hello)
      this.socket = s
      this.connectedSince = Date.now()
    })
    // 'error' and 'close' both arrive for one failure, and an old socket's 'close' can come after
    // a newer socket was opened: only the newest socket may change the link's state.
    let dead = false
    const fail = (): void => {
      if (dead) return
      dead = true
      s.destroy()
      if (this.pending === s) this.pending = undefined
      if (this.socket === s) this.socket = undefined
      if (this.latest !== s) return
      this.connecting = false
      this.connectedSince = 0
      if (this.closed) return
      this.t.unreachable(this.id)
      if (this.retryTimer) clearTimeout(this.retryTimer)
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined
        // Keep the link up even when Raft has nothing to send (a follower to another follower), as
        // etcd's peer streams do: membership checks ask how long every link has been up.
        this.connect()
      }, this.backoffMs)
      this.retryTimer.unref()
      this.backoffMs = Math.min(this.backoffMs * 2, 1000)
    }
    s.on('error', fail)
    s.on('close', fail)
    // The only thing a peer ever sends back on our outbound link: "you were removed".
    s.on(
      'data',
      frameReader(
        (f) => {
          try {
            if ((JSON.parse(f.toString()) as { removed?: boolean }).removed) this.t.directory.onRemovedNotice()
          } catch {
            // not a notice
          }
        },
        () => s.destroy(),
        () => MAX_HELLO_FRAME,
      ),
    )
  }

  /**
   * The peer just connected to us, so it is up: a link waiting out its retry delay dials now. A
   * restarted member then hears from the leader at once, not after the leader's next retry (up to
   * a second later).
   */
  peerUp(): void {
    if (this.socket || this.connecting || this.closed || !this.retryTimer) return
    clearTimeout(this.retryTimer)
    this.retryTimer = undefined
    this.backoffMs = 50
    this.connect()
  }

  close(): void {
    this.closed = true
    if (this.retryTimer) clearTimeout(this.retryTimer)
    this.pending?.destroy()
    this.socket?.destroy()
    this.socket = undefined
  }
}

export class PeerTransport implements Transport {
  private readonly servers: net.Server[] = []
  private readonly links = new Map<string, PeerLink>()
  private readonly inbound = new Set<net.Socket>()
  private handler: PeerHandler | undefined
  private unidentified = 0
  private readonly drops: DropLog
  /** Requests connections to other members, by member ID. */
  private readonly channels = new Map<string, RequestChannel>()
  private readonly requests: TransportContext['requests']
  readonly identity: TransportContext['identity']
  readonly directory: TransportContext['directory']
  private readonly diag: TransportContext['diagnostics']
  private readonly snapshots: SnapshotFiles
  private readonly log: (line: string) => void

  constructor(
    ctx: TransportContext,
    private readonly listenUrls: readonly string[],
    /** Peer TLS (--peer-cert-file, …), for https peer URLs. */
    readonly tls?: PeerTls,
  ) {
    this.requests = ctx.requests
    this.identity = ctx.identity
    this.directory = ctx.directory
    this.diag = ctx.diagnostics
    this.snapshots = ctx.snapshots
    this.log = ctx.log
    this.drops = new DropLog(ctx.log)
  }

  /** Listens on every --listen-peer-urls address; rejects with a one-line reason (e.g. port in use). */
  async start(handler: PeerHandler): Promise<void> {
    this.handler = handler
    for (const url of this.listenUrls) this.servers.push(await this.listen(url))
  }

  private listen(url: string): Promise<net.Server> {
    const { host, port } = hostPort(url)
    return new Promise((resolve, reject) => {
      const server = createPeerServer(
        url,
        this.tls,
        (sock) => this.accept(sock),
        (why) => this.drops.drop(why),
      )
      server.once('error', (err: NodeJS.ErrnoException) => {
        reject(new Error(err.code === 'EADDRINUSE' ? `listen tcp ${host}:${port}: bind: address already in use` : `listen tcp ${host}:${port}: ${err.message}`))
      })
      server.listen(port, host, () => resolve(server))
    })
  }

  /** A link failed: Raft hears of it once it is running (links dial before that too). */
  unreachable(id: string): void {
    this.handler?.reportUnreachable(id)
  }

  /**
   * One inbound connection. Until its hello names a member of this cluster it may send one small
   * frame, within HELLO_TIMEOUT_MS; afterwards every frame must decode to a Raft message from that
   * member to this one. Anything else closes the connection (or drops the message) with a log line:
   * no bytes on the peer port can throw out of here.
   */
  private accept(sock: net.Socket): void {
    const handler = this.handler!
    const who = `${sock.remoteAddress ?? '?'}:${sock.remotePort ?? '?'}`
    if (this.unidentified >= MAX_UNIDENTIFIED) {
      this.drops.drop(`peer: refused connection from ${who}: ${MAX_UNIDENTIFIED} connections have not said hello yet`)
      sock.destroy()
      return
    }
    sock.setNoDelay(true)
    this.inbound.add(sock)
    this.unidentified++
    let from: string | undefined
    let snapshot: SnapshotReceiveSession | undefined
    const identified = (): void => {
      clearTimeout(helloTimer)
      this.unidentified--
    }
    const helloTimer = setTimeout(() => {
      this.drops.drop(`peer: dropped connection from ${who}: no hello within ${HELLO_TIMEOUT_MS} ms`)
      sock.destroy()
    }, HELLO_TIMEOUT_MS)
    helloTimer.unref()
    const refuse = (why: string): false => {
      this.drops.drop(`peer: dropped connection from ${from === undefined ? who : `member ${toHexId(from)} (${who})`}: ${why}`)
      sock.destroy()
      return false
    }
    // etcd answers a removed member's requests with 410 Gone, and the member stops when it reads that.
    const toldRemoved = (): false => {
      sendFrame(sock, REMOVED_NOTICE)
      sock.end()
      return false
    }
    const onHello = (f: Buffer): boolean => {
      let hello
      try {
        hello = parseHello(f)
      } catch (err) {
        return refuse(`bad hello (${(err as Error).message}): ${describeBytes(f)}`)
      }
      if (hello.kind === 'query') {
        sendFrame(sock, Buffer.from(JSON.stringify(this.directory.clusterInfo())))
        sock.end()
        return false
      }
      if (hello.kind === 'requests') {
        if (hello.clusterId !== this.identity.clusterId) return refuse('request cluster ID mismatch')
        if (!this.links.has(hello.from)) return refuse(`member ${toHexId(hello.from)} is not in this cluster`)
        identified()
        from = hello.from
        // The rest of this connection is requests and answers (peer/requests.ts), not Raft messages.
        onRequest = requestServer(sock, toHexId(hello.from), this.requests, this.drops)
        return true
      }
      if (hello.clusterId !== this.identity.clusterId) {
        return refuse(`request cluster ID mismatch (got ${BigInt(hello.clusterId).toString(16)}, want ${BigInt(this.identity.clusterId).toString(16)})`)
      }
      if (this.directory.isRemoved(hello.from)) return toldRemoved()
      if (hello.to !== this.identity.localId) return refuse(`hello is for member ${toHexId(hello.to)}, this is ${toHexId(this.identity.localId)}`)
      // etcd answers "sender not found" to a member it does not know: it must be added first.
      if (!this.links.has(hello.from)) return refuse(`member ${toHexId(hello.from)} is not in this cluster`)
      from = hello.from
      identified()
      // A connection of its own for one snapshot file (snapshotStream.ts).
      if (hello.kind === 'snapshot') snapshot = new SnapshotReceiveSession(sock, hello, this.identity.localId, this.snapshots, handler, this.log)
      else this.links.get(hello.from)?.peerUp()
      return true
    }
    let onRequest: ((f: Buffer) => boolean) | undefined
    const onFrame = (f: Buffer): boolean => {
      if (sock.destroyed) return false
      if (from === undefined) return onHello(f)
      // Removed while this connection was open: it missed its own removal (down, or cut off when the
      // change committed) and still talks on the old connection. Tell it, as a new one would be told.
      if (this.directory.isRemoved(from)) return toldRemoved()
      if (onRequest) return onRequest(f)
      if (snapshot) return snapshot.onFrame(f)
      const fault = this.diag.faults.get(from)
      if (fault?.dropIn) return true
      this.diag.stat(from).received++
      let m: Message
      try {
        m = decodeMessage(f)
      } catch (err) {
        this.drops.drop(`peer: dropped message from member ${toHexId(from)}: ${(err as Error).message}`)
        return true
      }
      // The connection said who it is; a message may not claim to come from someone else.
      if (m.from !== from || m.to !== this.identity.localId) {
        return refuse(`message ${m.type} claims to be from ${toHexId(m.from)} to ${toHexId(m.to)}`)
      }
      handler.step(m)
      return true
    }
    sock.on(
      'data',
      frameReader(
        onFrame,
        (err) => {
          refuse(err instanceof FrameTooLarge && from === undefined ? `bad hello: ${err.message}` : err.message)
        },
        () => (from === undefined || onRequest ? MAX_HELLO_FRAME : snapshot ? SNAPSHOT_FRAME : MAX_FRAME),
      ),
    )
    sock.on('error', () => sock.destroy())
    sock.on('close', () => {
      this.inbound.delete(sock)
      if (from === undefined) identified()
    })
  }

  syncPeers(members: readonly PeerAddress[]): void {
    const want = new Set<string>()
    for (const m of members) {
      if (m.ID === this.identity.localId) continue
      want.add(m.ID)
      const l = this.links.get(m.ID)
      if (l) l.urls = [...m.peerURLs]
      else {
        const link = new PeerLink(m.ID, [...m.peerURLs], this)
        this.links.set(m.ID, link)
        link.connect()
      }
    }
    for (const [id, l] of this.links) {
      if (want.has(id)) continue
      l.close()
      this.links.delete(id)
      this.channels.get(id)?.close()
      this.channels.delete(id)
    }
  }

  connectedSince(id: string): number {
    return this.links.get(id)?.connectedSince ?? 0
  }

  request(id: string, method: string, body: unknown, timeoutMs: number): Promise<unknown> {
    const link = this.links.get(id)
    if (!link) return Promise.reject(new PeerRequestError(14, `etcdserver: member ${toHexId(id)} is not a peer of this member`))
    let ch = this.channels.get(id)
    if (!ch) {
      ch = new RequestChannel(() => dialPeer(link.urls[0] ?? '', this.tls), { query: 'requests', from: this.identity.localId, clusterId: this.identity.clusterId })
      this.channels.set(id, ch)
    }
    return ch.call(method, body, timeoutMs)
  }

  send(msgs: readonly Message[]): void {
    const corked = new Set<PeerLink>()
    try {
      this.sendEach(msgs, corked)
    } finally {
      for (const l of corked) l.uncork()
    }
  }

  private sendEach(msgs: readonly Message[], corked: Set<PeerLink>): void {
    const h = this.handler
    for (const m of msgs) {
      const link = this.links.get(m.to)
      if (!link) continue
      const fault = this.diag.faults.get(m.to)
      if (fault?.dropOut) continue
      if (m.type === MessageType.Snap) {
        this.diag.stat(m.to).sent++
        this.streamSnapshot(link, m)
        continue
      }
      const payload = encodeMessage(m)
      this.diag.stat(m.to).sent++
      if (fault && fault.delayMs > 0) {
        setTimeout(() => link.send(payload), fault.delayMs).unref()
        continue
      }
      if (msgs.length > 1 && !corked.has(link) && link.cork()) corked.add(link)
      const sent = link.send(payload)
      if (!sent) h?.reportUnreachable(m.to)
    }
  }

  /** Streams a snapshot on its own connection; Raft hears how it went once the peer answers. */
  private streamSnapshot(link: PeerLink, m: Message): void {
    const url = link.urls[0]
    const h = this.handler
    if (!url) {
      h?.reportSnapshot(m.to, false)
      return
    }
    const index = m.snapshot?.metadata.index
    this.log(`sending snapshot at index ${index} to ${BigInt(m.to).toString(16)}`)
    sendSnapshot({ url, m, files: this.snapshots, localId: this.identity.localId, clusterId: this.identity.clusterId, tls: this.tls }).then(
      (ok) => {
        if (!ok) this.log(`peer ${BigInt(m.to).toString(16)} refused the snapshot at index ${index}`)
        h?.reportSnapshot(m.to, ok)
      },
      (err: Error) => {
        this.log(`failed to send snapshot at index ${index} to ${BigInt(m.to).toString(16)}: ${err.message}`)
        h?.reportSnapshot(m.to, false)
        h?.reportUnreachable(m.to)
      },
    )
  }

  async stop(): Promise<void> {
    for (const l of this.links.values()) l.close()
    for (const c of this.channels.values()) c.close()
    for (const s of this.inbound) s.destroy()
    await Promise.all(this.servers.map((server) => new Promise<void>((r) => server.close(() => r()))))
  }
}
