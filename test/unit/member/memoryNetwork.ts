// Members of one process talking through memory instead of TCP: a Transport per member, messages
// encoded and decoded with the real peer codec and delivered on a later turn of the event loop, as
// a socket would. Links can be cut, and everything sent is recorded.

import os from 'node:os'
import path from 'node:path'
import { mkdtempSync, rmSync } from 'node:fs'
import type { Message } from '../../../src-main/raft/index'
import { MessageType } from '../../../src-main/raft/index'
import { parseMemberFlags, type MemberConfig } from '../../../src-main/member/config'
import { EtcdServer } from '../../../src-main/member/server/etcdServer'
import { decodeMessage, encodeMessage } from '../../../src-main/member/peer/messageCodec'
import type { PeerAddress, PeerHandler, Transport, TransportContext, TransportFactory } from '../../../src-main/member/peer/transport'

export class MemoryNetwork {
  readonly handlers = new Map<string, PeerHandler>()
  /** `from->to` links that drop everything. */
  readonly cut = new Set<string>()
  readonly sent: Message[] = []
  /** Every transport built, by member ID. */
  readonly transports = new Map<string, MemoryTransport>()

  /** A transport factory for one member; `onStart` runs the moment the member starts accepting. */
  transport(onStart?: (handler: PeerHandler, ctx: TransportContext) => void): TransportFactory {
    return (ctx) => {
      const t = new MemoryTransport(this, ctx, onStart)
      this.transports.set(ctx.identity.localId, t)
      return t
    }
  }

  deliver(from: string, m: Message): boolean {
    const h = this.handlers.get(m.to)
    if (!h || this.cut.has(`${from}->${m.to}`)) return false
    const copy = decodeMessage(encodeMessage(m))
    setImmediate(() => this.handlers.get(m.to)?.step(copy))
    return true
  }

  /**
   * A snapshot goes as the TCP transport sends it: its file is copied chunk by chunk from the
   * sender's snap dir into the receiver's, and only then is the message stepped.
   */
  async deliverSnapshot(from: MemoryTransport, m: Message): Promise<boolean> {
    const to = this.transports.get(m.to)
    if (!this.handlers.has(m.to) || !to || this.cut.has(`${from.ctx.identity.localId}->${m.to}`)) return false
    const meta = m.snapshot!.metadata
    const file = await from.ctx.snapshots.open(meta.term, meta.index)
    const sink = to.ctx.snapshots.receiver(meta.term, meta.index, file.size)
    try {
      for await (const c of file.chunks()) await sink.write(c)
      await sink.commit()
    } catch {
      await sink.abort()
      return false
    } finally {
      await file.close()
    }
    this.handlers.get(m.to)?.step(decodeMessage(encodeMessage(m)))
    return true
  }

  isolate(id: string, others: string[]): void {
    for (const o of others) {
      this.cut.add(`${id}->${o}`)
      this.cut.add(`${o}->${id}`)
    }
  }

  heal(): void {
    this.cut.clear()
  }
}

export class MemoryTransport implements Transport {
  peers: PeerAddress[] = []
  /** The links when the member started accepting. */
  peersAtStart: PeerAddress[] | undefined
  started = false
  private readonly since = Date.now() - 60_000

  constructor(
    private readonly net: MemoryNetwork,
    readonly ctx: TransportContext,
    private readonly onStart?: (handler: PeerHandler, ctx: TransportContext) => void,
  ) {}

  async start(handler: PeerHandler): Promise<void> {
    this.started = true
    this.peersAtStart = [...this.peers]
    this.net.handlers.set(this.ctx.identity.localId, handler)
    this.onStart?.(handler, this.ctx)
  }

  send(msgs: readonly Message[]): void {
    const self = this.net.handlers.get(this.ctx.identity.localId)
    for (const m of msgs) {
      this.net.sent.push(m)
      if (m.type === MessageType.Snap) {
        void this.net.deliverSnapshot(this, m).then((ok) => self?.reportSnapshot(m.to, ok))
        continue
      }
      const ok = this.net.deliver(this.ctx.identity.localId, m)
      if (!ok) self?.reportUnreachable(m.to)
    }
  }

  syncPeers(members: readonly PeerAddress[]): void {
    this.peers = members.filter((m) => m.ID !== this.ctx.identity.localId).map((m) => ({ ID: m.ID, peerURLs: [...m.peerURLs] }))
  }

  /** A request to another member's handler, its body and answer copied as JSON (as on the wire). */
  async request(id: string, method: string, body: unknown): Promise<unknown> {
    const to = this.net.transports.get(id)
    if (!to?.started || this.net.cut.has(`${this.ctx.identity.localId}->${id}`)) throw Object.assign(new Error('etcdserver: leader changed'), { code: 14 })
    const answer = await to.ctx.requests.handle(this.ctx.identity.localId, method, JSON.parse(JSON.stringify(body)))
    return JSON.parse(JSON.stringify(answer ?? null))
  }

  connectedSince(id: string): number {
    return this.net.handlers.has(id) && !this.net.cut.has(`${this.ctx.identity.localId}->${id}`) ? this.since : 0
  }

  async stop(): Promise<void> {
    this.net.handlers.delete(this.ctx.identity.localId)
  }
}

/** Flags for an in-process member of a cluster named by `names`, with fast Raft timings. */
export function memberConfig(name: string, names: string[], extra: string[] = []): MemberConfig {
  const dir = mkdtempSync(path.join(os.tmpdir(), `rd-server-${name}-`))
  // The ports only name the members (they derive the IDs); nothing listens on them.
  const port = (n: string) => 20000 + names.indexOf(n)
  return parseMemberFlags([
    '--name',
    name,
    '--data-dir',
    dir,
    '--initial-advertise-peer-urls',
    `http://127.0.0.1:${port(name)}`,
    '--listen-peer-urls',
    `http://127.0.0.1:${port(name)}`,
    '--initial-cluster',
    names.map((n) => `${n}=http://127.0.0.1:${port(n)}`).join(','),
    '--initial-cluster-token',
    'memory',
    '--heartbeat-interval',
    '10',
    '--election-timeout',
    '100',
    ...extra,
  ])
}

/** Resolves once `cond()` holds, checking every few milliseconds; fails after `timeoutMs`. */
export async function until(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

/** In-process members of one cluster on one MemoryNetwork, each in a data dir of its own. */
export class MemoryCluster {
  readonly net = new MemoryNetwork()
  readonly servers: EtcdServer[]

  /** `extra`: flags every member gets; `log`: each member's log lines, with its name. */
  constructor(names: string[], extra: string[] = [], log: (name: string, line: string) => void = () => {}) {
    this.servers = names.map((n) => new EtcdServer(memberConfig(n, names, extra), { log: (l) => log(n, l), onFatal: () => {}, transport: this.net.transport() }))
  }

  /** Starts every member; resolves with the leader once every member follows it. */
  async start(): Promise<EtcdServer> {
    await Promise.all(this.servers.map((s) => s.start()))
    let leader: EtcdServer | undefined
    await until('a leader', () => (leader = this.servers.find((s) => s.isLeader())) !== undefined && this.servers.every((s) => s.raftStatus().lead === leader!.localId))
    return leader!
  }

  /** Stops every member and removes its data dir. */
  async stop(): Promise<void> {
    for (const s of this.servers) {
      await s.stop().catch(() => {})
      rmSync(s.cfg.dataDir, { recursive: true, force: true })
    }
  }
}
