/**
 * A 3-member cluster the fuzzer talks to: raftdeck members or real etcd 3.4 started on loopback,
 * gRPC clients to each member, the users the fuzzer calls as, and the checks made after every
 * batch (every member alive, one leader, reads served, HashKV equal on all members).
 */
import * as grpc from '@grpc/grpc-js'
import { etcdGrpcObject } from '../../src-main/etcdpb/load'
import { freePort, startCluster, stopCluster, type Cluster } from '../integration/member/support/procs'
import type { FuzzCall, Identity, Service } from './arbitraries'

type Callback = (err: grpc.ServiceError | null, res: Record<string, unknown>) => void
type Unary = (req: unknown, md: grpc.Metadata, opts: grpc.CallOptions, cb: Callback) => grpc.ClientUnaryCall
type Client = grpc.Client & Record<string, Unary> & Record<string, (...args: unknown[]) => unknown>

/** What a call came back with: ok, or an error's gRPC code and message. */
export type Outcome = { ok: true; note?: string } | { ok: false; code: number; message: string }

const ROOT_PASSWORD = 'rootpw'
const CALL_TIMEOUT_MS = 5000

export interface TargetOptions {
  kind: 'raftdeck' | 'etcd'
  /** The same ports for both kinds give the same member and cluster IDs (compare mode). */
  ports?: Array<{ clientPort: number; peerPort: number }>
  log?: (line: string) => void
}

export class FuzzTarget {
  cluster!: Cluster
  private clients: Array<Record<Service, Client>> = []
  private readonly tokens = new Map<Identity, string>()
  memberIds: string[] = []
  peerUrls: string[] = []
  learnerId = '0'
  /** Calls and checks made, for the report. */
  readonly stats = { calls: 0, restarts: 0 }

  constructor(readonly o: TargetOptions) {}

  async start(): Promise<void> {
    const extra = ['--bcrypt-cost', '4', ...(this.o.kind === 'etcd' ? ['--log-level', 'warn', '--logger', 'zap'] : [])]
    this.cluster = await startCluster(this.o.kind, 3, extra, this.o.ports)
    const pkg = etcdGrpcObject().etcdserverpb as grpc.GrpcObject
    this.clients = this.cluster.endpoints.map((ep) => {
      const make = (s: Service) => new (pkg[s] as unknown as new (a: string, c: grpc.ChannelCredentials) => Client)(ep, grpc.credentials.createInsecure())
      return { KV: make('KV'), Watch: make('Watch'), Lease: make('Lease'), Cluster: make('Cluster'), Maintenance: make('Maintenance'), Auth: make('Auth') }
    })
    this.tokens.clear()
    this.learnerId = '0'
    const members = (await this.unary(0, 'Cluster', 'MemberList', {}, new grpc.Metadata())) as { members: Array<{ ID: string; name: string; peerURLs: string[] }> }
    const byName = new Map(members.members.map((m) => [m.name, m]))
    this.memberIds = this.cluster.specs.map((s) => byName.get(s.name)!.ID)
    this.peerUrls = this.cluster.specs.map((s) => byName.get(s.name)!.peerURLs[0]!)
  }

  async stop(): Promise<void> {
    for (const c of this.clients) for (const cl of Object.values(c)) cl.close()
    this.clients = []
    if (this.cluster) await stopCluster(this.cluster)
  }

  /** A fresh cluster (after a failure, so shrinking starts from a known state). */
  async restart(): Promise<void> {
    await this.stop()
    this.stats.restarts++
    await this.start()
  }

  // ---- raw gRPC ----

  private unary(member: number, service: Service, method: string, req: unknown, md: grpc.Metadata, timeoutMs = CALL_TIMEOUT_MS): Promise<Record<string, unknown>> {
    const c = this.clients[member]![service]
    return new Promise((resolve, reject) => {
      c[method]!.call(c, req, md, { deadline: Date.now() + timeoutMs }, (err: grpc.ServiceError | null, res: Record<string, unknown>) => (err ? reject(err) : resolve(res)))
    })
  }

  private metadata(token: string | undefined): grpc.Metadata {
    const md = new grpc.Metadata()
    if (token !== undefined) md.set('token', token)
    return md
  }

  /** A token for one of the fuzzer's users (logging in again when asked to). */
  async token(who: Identity, fresh = false): Promise<string | undefined> {
    if (who === 'anonymous') return undefined
    if (who === 'badtoken') return 'not-a-token.1'
    if (!fresh && this.tokens.has(who)) return this.tokens.get(who)
    const password = who === 'root' ? ROOT_PASSWORD : `${who}pw`
    try {
      const res = (await this.unary(0, 'Auth', 'Authenticate', { name: who, password }, new grpc.Metadata())) as { token: string }
      this.tokens.set(who, res.token)
      return res.token
    } catch {
      this.tokens.delete(who)
      return undefined
    }
  }

  /** A harness call as root when auth is on (logs in again if the token went stale). */
  private async asRoot(member: number, service: Service, method: string, req: unknown, timeoutMs = CALL_TIMEOUT_MS): Promise<Record<string, unknown>> {
    try {
      return await this.unary(member, service, method, req, this.metadata(this.tokens.get('root')), timeoutMs)
    } catch (err) {
      const m = (err as grpc.ServiceError).details ?? ''
      if (!/user name is empty|invalid auth token|revision of auth store is old|permission denied|authentication is not enabled/.test(m)) throw err
      const fresh = await this.token('root', true)
      return this.unary(member, service, method, req, this.metadata(fresh), timeoutMs)
    }
  }

  // ---- the fuzzer's calls ----

  private resolve(v: unknown): unknown {
    if (typeof v === 'string') {
      const m = /^\$member(\d)$/.exec(v)
      if (m) return this.memberIds[Number(m[1])] ?? '0'
      if (v === '$learner') return this.learnerId
      return v
    }
    if (Array.isArray(v)) return v.map((x) => (x === '$peer0' ? this.peerUrls[0] : x === '$freshPeer' ? `http://127.0.0.1:${this.freshPort}` : this.resolve(x)))
    if (v && typeof v === 'object' && !Buffer.isBuffer(v) && !(v instanceof Uint8Array)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.resolve(x)]))
    return v
  }

  private freshPort = 1

  async run(call: FuzzCall): Promise<Outcome> {
    this.stats.calls++
    if (this.freshPort === 1) this.freshPort = await freePort()
    const md = this.metadata(await this.token(call.as))
    try {
      switch (call.kind) {
        case 'unary': {
          const res = await this.unary(call.member, call.service, call.method, this.resolve(call.request), md)
          if (call.method === 'MemberAdd' && (res.member as { isLearner?: boolean } | undefined)?.isLearner) this.learnerId = (res.member as { ID: string }).ID
          return { ok: true }
        }
        case 'raw': {
          const c = this.clients[call.member]![call.service]
          await new Promise<void>((resolve, reject) =>
            c.makeUnaryRequest(`/etcdserverpb.${call.service}/${call.method}`, (b: Uint8Array) => Buffer.from(b), (b: Buffer) => b, call.bytes, md, { deadline: Date.now() + CALL_TIMEOUT_MS }, (err) =>
              err ? reject(err) : resolve(),
            ),
          )
          return { ok: true }
        }
        case 'watch':
          return await this.watch(call.member, call.requests.map((r) => this.resolve(r)), md)
        case 'keepalive':
          return await this.keepAlive(call.member, call.ids, md)
        case 'snapshot':
          return await this.snapshot(call.member, md)
      }
    } catch (err) {
      const e = err as grpc.ServiceError
      return { ok: false, code: e.code ?? -1, message: e.details ?? String(err) }
    }
  }

  /** Opens a watch stream, sends the requests, and collects what comes back for a moment. */
  private watch(member: number, requests: unknown[], md: grpc.Metadata): Promise<Outcome> {
    const c = this.clients[member]!.Watch
    return new Promise((resolve) => {
      const call = c.Watch!.call(c, md, { deadline: Date.now() + CALL_TIMEOUT_MS }) as unknown as grpc.ClientDuplexStream<unknown, Record<string, unknown>>
      const reasons = new Set<string>()
      let done = false
      const finish = (o: Outcome): void => {
        if (done) return
        done = true
        call.cancel()
        resolve(o)
      }
      call.on('data', (r) => {
        if (r.canceled) reasons.add(String(r.cancel_reason || (r.compact_revision !== '0' ? 'compacted' : 'canceled')).replace(/\d+/g, 'N'))
      })
      call.on('error', (e: grpc.ServiceError) => (e.code === grpc.status.CANCELLED ? finish({ ok: true }) : finish({ ok: false, code: e.code, message: e.details })))
      for (const r of requests) call.write(r)
      setTimeout(() => finish({ ok: true, note: [...reasons].sort().join('; ') || undefined }), 300)
    })
  }

  private keepAlive(member: number, ids: string[], md: grpc.Metadata): Promise<Outcome> {
    const c = this.clients[member]!.Lease
    return new Promise((resolve) => {
      const call = c.LeaseKeepAlive!.call(c, md, { deadline: Date.now() + CALL_TIMEOUT_MS }) as unknown as grpc.ClientDuplexStream<unknown, { TTL: string }>
      let answers = 0
      let done = false
      const finish = (o: Outcome): void => {
        if (done) return
        done = true
        call.cancel()
        resolve(o)
      }
      call.on('data', () => {
        if (++answers === ids.length) finish({ ok: true })
      })
      call.on('error', (e: grpc.ServiceError) => finish(e.code === grpc.status.CANCELLED ? { ok: true } : { ok: false, code: e.code, message: e.details }))
      for (const ID of ids) call.write({ ID })
      // Every keep-alive is answered, on a follower too (through the leader).
      setTimeout(() => finish({ ok: false, code: grpc.status.DEADLINE_EXCEEDED, message: `only ${answers} of ${ids.length} keep-alives answered` }), CALL_TIMEOUT_MS - 500)
    })
  }

  private snapshot(member: number, md: grpc.Metadata): Promise<Outcome> {
    const c = this.clients[member]!.Maintenance
    return new Promise((resolve) => {
      const call = c.Snapshot!.call(c, {}, md, { deadline: Date.now() + CALL_TIMEOUT_MS }) as unknown as grpc.ClientReadableStream<unknown>
      call.on('data', () => {})
      call.on('end', () => resolve({ ok: true }))
      call.on('error', (e: grpc.ServiceError) => resolve({ ok: false, code: e.code, message: e.details }))
    })
  }

  // ---- harness: auth setup, reset, checks ----

  /** Turns auth on with root (root role), alice (read-write on /app/) and bob (no roles), or off. */
  async setAuth(on: boolean): Promise<void> {
    const enabled = await this.authEnabled()
    if (!on) {
      if (enabled) await this.asRoot(0, 'Auth', 'AuthDisable', {})
      return
    }
    const tryRoot = async (method: string, req: unknown) => this.asRoot(0, 'Auth', method, req).catch(() => undefined)
    if (!enabled) {
      await tryRoot('UserAdd', { name: 'root', password: ROOT_PASSWORD })
      await tryRoot('UserChangePassword', { name: 'root', password: ROOT_PASSWORD })
    }
    await tryRoot('UserGrantRole', { user: 'root', role: 'root' })
    await tryRoot('RoleAdd', { name: 'app' })
    await tryRoot('RoleGrantPermission', { name: 'app', perm: { permType: 'READWRITE', key: Buffer.from('/app/'), range_end: Buffer.from('/app0') } })
    for (const u of ['alice', 'bob']) {
      await tryRoot('UserAdd', { name: u, password: `${u}pw` })
      await tryRoot('UserChangePassword', { name: u, password: `${u}pw` })
    }
    await tryRoot('UserGrantRole', { user: 'alice', role: 'app' })
    if (!enabled) await this.asRoot(0, 'Auth', 'AuthEnable', {})
    this.tokens.clear()
  }

  async authEnabled(): Promise<boolean> {
    try {
      await this.unary(0, 'KV', 'Range', { key: Buffer.from('probe'), serializable: true }, new grpc.Metadata())
      return false
    } catch (err) {
      const m = (err as grpc.ServiceError).details ?? ''
      if (/user name is empty|invalid auth token/.test(m)) return true
      throw err
    }
  }

  /** Between batches: alarms disarmed, so the next batch can write. */
  async reset(): Promise<void> {
    // As etcdctl's "alarm disarm": list, then deactivate each.
    const res = (await this.asRoot(0, 'Maintenance', 'Alarm', { action: 'GET', memberID: '0', alarm: 'NONE' }).catch(() => ({ alarms: [] }))) as { alarms: Array<{ memberID: string; alarm: unknown }> }
    for (const a of res.alarms ?? []) await this.asRoot(0, 'Maintenance', 'Alarm', { action: 'DEACTIVATE', memberID: a.memberID, alarm: a.alarm }).catch(() => {})
  }

  /** Every lease revoked (compare mode: no lease expires on one cluster and not the other). */
  async revokeLeases(): Promise<void> {
    const res = (await this.asRoot(0, 'Lease', 'LeaseLeases', {}).catch(() => ({ leases: [] }))) as { leases: Array<{ ID: string }> }
    for (const l of res.leases) await this.asRoot(0, 'Lease', 'LeaseRevoke', { ID: l.ID }).catch(() => {})
  }

  /**
   * The invariants: every member process alive, one leader all members agree on, a linearizable
   * read served by every member, and HashKV at one revision equal on all of them. Returns what
   * is wrong, or undefined. Waits (up to `timeoutMs`) for a leader change or replication to settle.
   */
  async check(timeoutMs = 20_000): Promise<string | undefined> {
    const deadline = Date.now() + timeoutMs
    let problem = 'not checked'
    while (Date.now() < deadline) {
      const dead = this.cluster.members.filter((m) => m.proc.exitCode !== null || m.proc.signalCode !== null)
      if (dead.length) return `member ${dead.map((m) => m.name).join(', ')} exited:\n${dead.map((m) => m.log.join('').slice(-3000)).join('\n')}`
      problem = (await this.checkOnce().catch((err: grpc.ServiceError) => `${err.details ?? err.message}`)) ?? ''
      if (!problem) return undefined
      await new Promise((r) => setTimeout(r, 200))
    }
    return problem
  }

  private async checkOnce(): Promise<string | undefined> {
    // One write first, so the revision compared is above any compaction the batch made.
    await this.asRoot(0, 'KV', 'Put', { key: Buffer.from('fuzz-probe'), value: Buffer.from('x') })
    const leaders = new Set<string>()
    for (let i = 0; i < 3; i++) leaders.add(String(((await this.asRoot(i, 'Maintenance', 'Status', {})) as { leader: string }).leader))
    if (leaders.size !== 1 || leaders.has('0')) return `members disagree on the leader: ${[...leaders].join(', ')}`
    let rev = 0
    for (let i = 0; i < 3; i++) {
      const r = (await this.asRoot(i, 'KV', 'Range', { key: Buffer.from('fuzz-probe') })) as { header: { revision: string } }
      rev = Math.max(rev, Number(r.header.revision))
    }
    const hashes: string[] = []
    for (let i = 0; i < 3; i++) {
      // Serializable reads until this member has applied `rev`, then its hash at `rev`.
      const deadline = Date.now() + 5000
      for (;;) {
        const r = (await this.asRoot(i, 'KV', 'Range', { key: Buffer.from('fuzz-probe'), serializable: true })) as { header: { revision: string } }
        if (Number(r.header.revision) >= rev) break
        if (Date.now() > deadline) return `member ${i} did not reach revision ${rev}`
        await new Promise((res) => setTimeout(res, 20))
      }
      const h = (await this.asRoot(i, 'Maintenance', 'HashKV', { revision: String(rev) })) as { hash: number; compact_revision: string }
      hashes.push(`${h.hash}@${h.compact_revision}`)
    }
    if (new Set(hashes).size !== 1) return `HashKV at revision ${rev} differs between members: ${hashes.join(' / ')}`
    return undefined
  }
}
