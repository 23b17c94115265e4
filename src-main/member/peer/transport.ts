/**
 * Member-to-member transport on --listen-peer-urls: plain TCP, one outbound connection per peer
 * carrying length-prefixed binary Raft messages (`[u32 LE length][message]`, see messageCodec).
 * A connection opens with a hello frame naming the sender and its cluster, so a member of
 * another cluster is refused (etcd's "request cluster ID mismatch").
 *
 * Messages to an unreachable peer are dropped and reported to Raft, which retries by itself.
 * The debug service can cut links one way or both and add delay (playground faults).
 */
import net from 'node:net'
import { MessageType, type Message } from '../../raft/index'
import { decodeMessage, encodeMessage } from './messageCodec'

export interface PeerFault {
  dropOut: boolean
  dropIn: boolean
  delayMs: number
}

export interface PeerStats {
  sent: number
  received: number
}

export interface TransportOptions {
  localId: string
  clusterId: string
  onMessage: (m: Message) => void
  onUnreachable: (peerId: string) => void
  /** A MsgSnap was handed to the peer's connection (true) or could not be (false). */
  onSnapshotSent: (peerId: string, ok: boolean) => void
  log: (line: string) => void
  /** Answers a joining member's question "which cluster is this and who is in it?". */
  clusterInfo: () => ClusterInfo
  /** Was this member ID removed from the cluster? Its connections are answered with a notice. */
  isRemoved: (id: string) => boolean
  /** A peer told us we were removed (we missed the conf change while down). */
  onRemovedNotice: () => void
}

export interface ClusterInfo {
  clusterId: string
  members: Array<{ ID: string; name: string; peerURLs: string[]; clientURLs: string[]; isLearner: boolean }>
}

/** Ask a running member (by peer URL) for the cluster ID and members, as a joining member must. */
export function queryCluster(url: string, timeoutMs = 2000): Promise<ClusterInfo> {
  const { host, port } = hostPort(url)
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port })
    const timer = setTimeout(() => {
      s.destroy()
      reject(new Error(`timed out asking ${url} for the cluster`))
    }, timeoutMs)
    s.once('connect', () => {
      for (const part of frame(Buffer.from(JSON.stringify({ query: 'cluster' })))) s.write(part)
    })
    s.on(
      'data',
      frameReader(
        (f) => {
          clearTimeout(timer)
          s.destroy()
          resolve(JSON.parse(f.toString()) as ClusterInfo)
        },
        (e) => reject(e),
      ),
    )
    s.on('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
  })
}

const MAX_FRAME = 512 * 1024 * 1024
const MAX_BUFFERED = 64 * 1024 * 1024

function hostPort(url: string): { host: string; port: number } {
  const u = new URL(url)
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)) }
}

/** Splits a byte stream into `[u32 length][payload]` frames. */
function frameReader(onFrame: (f: Buffer) => void, onError: (e: Error) => void): (chunk: Buffer) => void {
  let buf: Buffer = Buffer.alloc(0)
  return (chunk) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk
    let off = 0
    while (buf.length - off >= 4) {
      const len = buf.readUInt32LE(off)
      if (len > MAX_FRAME) return onError(new Error(`peer: frame of ${len} bytes`))
      if (buf.length - off - 4 < len) break
      onFrame(buf.subarray(off + 4, off + 4 + len))
      off += 4 + len
    }
    buf = off === buf.length ? Buffer.alloc(0) : buf.subarray(off)
  }
}

function frame(payload: Buffer): Buffer[] {
  const h = Buffer.allocUnsafe(4)
  h.writeUInt32LE(payload.length, 0)
  return [h, payload]
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
    for (const part of frame(payload)) this.socket.write(part)
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
    const { host, port } = hostPort(url)
    const s = net.connect({ host, port })
    this.pending = s
    this.latest = s
    s.setNoDelay(true)
    s.once('connect', () => {
      this.pending = undefined
      this.connecting = false
      if (this.closed) {
        s.destroy()
        return
      }
      this.backoffMs = 50
      const hello = Buffer.from(JSON.stringify({ from: this.t.o.localId, to: this.id, clusterId: this.t.o.clusterId }))
      for (const part of frame(hello)) s.write(part)
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
      this.t.o.onUnreachable(this.id)
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
            if ((JSON.parse(f.toString()) as { removed?: boolean }).removed) this.t.o.onRemovedNotice()
          } catch {
            // not a notice
          }
        },
        () => s.destroy(),
      ),
    )
  }

  close(): void {
    this.closed = true
    if (this.retryTimer) clearTimeout(this.retryTimer)
    this.pending?.destroy()
    this.socket?.destroy()
    this.socket = undefined
  }
}

export class PeerTransport {
  private server: net.Server | undefined
  private readonly links = new Map<string, PeerLink>()
  private readonly inbound = new Set<net.Socket>()
  readonly faults = new Map<string, PeerFault>()
  readonly stats = new Map<string, PeerStats>()

  constructor(readonly o: TransportOptions) {}

  private stat(id: string): PeerStats {
    let s = this.stats.get(id)
    if (!s) this.stats.set(id, (s = { sent: 0, received: 0 }))
    return s
  }

  /** Listen on the peer URL; rejects with a one-line reason (e.g. port in use). */
  listen(url: string): Promise<void> {
    const { host, port } = hostPort(url)
    return new Promise((resolve, reject) => {
      const server = net.createServer((sock) => this.accept(sock))
      server.once('error', (err: NodeJS.ErrnoException) => {
        reject(new Error(err.code === 'EADDRINUSE' ? `listen tcp ${host}:${port}: bind: address already in use` : `listen tcp ${host}:${port}: ${err.message}`))
      })
      server.listen(port, host, () => {
        this.server = server
        resolve()
      })
    })
  }

  private accept(sock: net.Socket): void {
    sock.setNoDelay(true)
    this.inbound.add(sock)
    let from: string | undefined
    const onFrame = (f: Buffer): void => {
      if (from === undefined) {
        const hello = JSON.parse(f.toString()) as { from: string; to: string; clusterId: string; query?: string }
        if (hello.query === 'cluster') {
          for (const part of frame(Buffer.from(JSON.stringify(this.o.clusterInfo())))) sock.write(part)
          sock.end()
          return
        }
        if (hello.clusterId !== this.o.clusterId) {
          this.o.log(`rejected peer connection from ${hello.from}: request cluster ID mismatch (got ${BigInt(hello.clusterId).toString(16)}, want ${BigInt(this.o.clusterId).toString(16)})`)
          sock.destroy()
          return
        }
        if (this.o.isRemoved(hello.from)) {
          for (const part of frame(Buffer.from(JSON.stringify({ removed: true })))) sock.write(part)
          sock.end()
          return
        }
        from = hello.from
        return
      }
      const fault = this.faults.get(from)
      if (fault?.dropIn) return
      this.stat(from).received++
      let m: Message
      try {
        m = decodeMessage(f)
      } catch (err) {
        this.o.log(`dropping undecodable message from ${from}: ${(err as Error).message}`)
        return
      }
      this.o.onMessage(m)
    }
    sock.on(
      'data',
      frameReader(onFrame, (err) => {
        this.o.log(err.message)
        sock.destroy()
      }),
    )
    sock.on('error', () => sock.destroy())
    sock.on('close', () => this.inbound.delete(sock))
  }

  setPeer(id: string, urls: string[]): void {
    if (id === this.o.localId) return
    const l = this.links.get(id)
    if (l) l.urls = urls
    else {
      const link = new PeerLink(id, urls, this)
      this.links.set(id, link)
      link.connect()
    }
  }

  removePeer(id: string): void {
    this.links.get(id)?.close()
    this.links.delete(id)
  }

  /** Time since which the link to `id` has been up without interruption; 0 when down. */
  connectedSince(id: string): number {
    return this.links.get(id)?.connectedSince ?? 0
  }

  peers(): string[] {
    return [...this.links.keys()]
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
    for (const m of msgs) {
      const link = this.links.get(m.to)
      if (!link) continue
      const fault = this.faults.get(m.to)
      if (fault?.dropOut) continue
      const payload = encodeMessage(m)
      this.stat(m.to).sent++
      if (fault && fault.delayMs > 0) {
        setTimeout(() => link.send(payload), fault.delayMs).unref()
        continue
      }
      if (msgs.length > 1 && !corked.has(link) && link.cork()) corked.add(link)
      const sent = link.send(payload)
      if (!sent) this.o.onUnreachable(m.to)
      if (m.type === MessageType.Snap) this.o.onSnapshotSent(m.to, sent)
    }
  }

  async close(): Promise<void> {
    for (const l of this.links.values()) l.close()
    for (const s of this.inbound) s.destroy()
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()))
  }
}
