// The playground supervisor: creates playgrounds, runs their member processes, applies the controls
// (kill, pause, isolate, add/promote/remove, move leader, write load) and streams their live state.

import { randomBytes, randomUUID } from 'node:crypto'
import { mkdir, rm } from 'node:fs/promises'
import path from 'node:path'
import { BboltError, verifySnapshot } from '../../bbolt'
import { restoreCluster, RestoreInputError } from '../../member/restore/restore'
import { AppError, ErrorCode } from '../../shared'
import { msg, type Msg } from '../../shared/i18n/message'
import type { PlaygroundEngine, PlaygroundEvent, PlaygroundMember, PlaygroundPhase, PlaygroundSummary, PlaygroundTls, PlaygroundTrace, RaftStateInfo } from '../../shared/api/playground'
import { EtcdClient } from '../etcd/client'
import { EtcdError } from '../etcd/errors'
import type { Logger, LogBus } from '../log'
import { DebugFeed, type MemberTrace } from './debugFeed'
import { ensurePki, pkiFiles, type PlaygroundPki } from './pki'
import { loadTlsMaterial, type TlsMaterial } from '../etcd/tlsMaterial'
import { clientUrl, memberFlags, peerUrl, type MemberTls } from './flags'
import type { MemberLauncher } from './launcher'
import { transition, type LifecycleEvent } from './lifecycle'
import { loadManifests, memberDataDir, playgroundDir, saveManifest, type MemberManifest, type PlaygroundManifest } from './manifest'
import { MemberProcess } from './memberProcess'
import { pickFreePorts, portIsFree } from './ports'
import { WriteLoad } from './writeLoad'
import { restoreWithEtcdctl } from './etcdRestore'

/**
 * Membership changes that etcd refuses for a moment (members not connected long enough; a learner not
 * yet in sync) are retried for a while, as an operator would, before the refusal is reported.
 */
async function retryMembershipChange<T>(op: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let delay = 250
  for (;;) {
    try {
      return await op()
    } catch (err) {
      const transient = err instanceof EtcdError && (err.kind === 'unhealthy-cluster' || /in sync with leader|not in sync/.test(err.message))
      if (!transient || Date.now() + delay > deadline) throw err
      await new Promise((r) => setTimeout(r, delay))
      delay = Math.min(2000, delay * 2)
    }
  }
}

const MAX_TRACES_PER_EVENT = 300
const FLUSH_MS = 100
const STATUS_POLL_MS = 1000

interface LiveMember {
  manifest: MemberManifest
  process: MemberProcess
  feed: DebugFeed | null
  id: string | null
  raft: RaftStateInfo | null
  dbSize: number | null
  learner: boolean
}

interface Subscriber {
  traces: boolean
  emit(ev: PlaygroundEvent): void
}

interface LivePlayground {
  manifest: PlaygroundManifest
  phase: PlaygroundPhase
  error: string | null
  errorMsg: Msg | null
  members: Map<string, LiveMember>
  subscribers: Set<Subscriber>
  traces: PlaygroundTrace[]
  dropped: number
  flushTimer: ReturnType<typeof setTimeout> | null
  client: EtcdClient | null
  load: WriteLoad | null
  poll: ReturnType<typeof setInterval> | null
  /** Serialises structural operations (start, stop, add, remove) on one playground. */
  queue: Promise<unknown>
  /** "TLS everywhere": the playground's certificate files and the client's TLS material. */
  pki: PlaygroundPki | null
  tls: TlsMaterial | null
}

export interface PlaygroundServiceOptions {
  dataDir: string
  launcher: MemberLauncher
  log: LogBus
  /** etcdctl, for restoring playgrounds on the etcd engine with etcd's own restore. */
  etcdctlBinary?: string | null
}

/** One member of a playground made from a snapshot: its name and loopback ports. */
export interface RestoredMember {
  name: string
  clientPort: number
  peerPort: number
}

/** How a playground is made from a snapshot: members, token, and the step that writes their data dirs. */
export interface RestoreRecipe {
  name: string
  engine: PlaygroundEngine
  members: RestoredMember[]
  token: string
  /** Writes every member's data dir (none exists yet); throws to abandon the playground. */
  populate(dirs: { name: string; dataDir: string }[], workDir: string): Promise<void>
}

export class PlaygroundService {
  private readonly playgrounds = new Map<string, LivePlayground>()
  private readonly listListeners = new Set<(list: PlaygroundSummary[]) => void>()
  private readonly log: Logger
  private ready: Promise<void>
  private disposed = false

  constructor(private readonly opts: PlaygroundServiceOptions) {
    this.log = opts.log.scoped('playground')
    this.ready = this.reopen()
  }

  // ---- reopen, list, create, delete --------------------------------------------------------

  private async reopen(): Promise<void> {
    const { manifests, problems } = await loadManifests(this.opts.dataDir)
    for (const p of problems) this.log.warn(`cannot read a playground: ${p}`)
    for (const m of manifests) this.adopt(m)
    for (const pg of this.playgrounds.values()) {
      if (pg.manifest.wantRunning) void this.enqueue(pg, () => this.startMembers(pg)).catch(() => {})
    }
  }

  /** Resolves once saved playgrounds are loaded. */
  whenReady(): Promise<void> {
    return this.ready
  }

  private adopt(manifest: PlaygroundManifest): LivePlayground {
    const pg: LivePlayground = {
      manifest,
      phase: 'stopped',
      error: null,
      errorMsg: null,
      members: new Map(),
      subscribers: new Set(),
      traces: [],
      dropped: 0,
      flushTimer: null,
      client: null,
      load: null,
      poll: null,
      queue: Promise.resolve(),
      pki: null,
      tls: null,
    }
    for (const m of manifest.members) pg.members.set(m.name, this.liveMember(pg, m))
    this.playgrounds.set(manifest.id, pg)
    return pg
  }

  private liveMember(pg: LivePlayground, m: MemberManifest): LiveMember {
    const source = `playground/${pg.manifest.name}/${m.name}`
    const process = new MemberProcess(m.name, pg.manifest.engine, m.clientPort, {
      onState: () => {
        const live = pg.members.get(m.name)
        if (process.state === 'crashed') this.opts.log.write('error', source, `crashed: ${process.logTail(3).join(' | ')}`)
        if (live && process.state !== 'running' && process.state !== 'paused') live.raft = null
        this.changed(pg)
      },
      onLogLine: (line) => this.opts.log.write('debug', source, line),
    })
    return { manifest: m, process, feed: null, id: null, raft: null, dbSize: null, learner: false }
  }

  async list(): Promise<PlaygroundSummary[]> {
    await this.ready
    return [...this.playgrounds.values()].map((pg) => this.summary(pg))
  }

  private get(id: string): LivePlayground {
    const pg = this.playgrounds.get(id)
    if (!pg) throw new AppError(ErrorCode.NotFound, msg('pg.notFound', { id }), msg('pg.notFoundHint'))
    return pg
  }

  private member(pg: LivePlayground, name: string): LiveMember {
    const m = pg.members.get(name)
    if (!m) throw new AppError(ErrorCode.NotFound, msg('pg.noMember', { name: pg.manifest.name, member: name }))
    return m
  }

  private assertNameFree(name: string) {
    if ([...this.playgrounds.values()].some((p) => p.manifest.name.toLowerCase() === name.toLowerCase()))
      throw new AppError(ErrorCode.Conflict, msg('pg.nameTaken', { name }), msg('pg.nameTakenHint'))
  }

  private newManifest(name: string, engine: PlaygroundEngine, ports: number[], size: number, tls = false): PlaygroundManifest {
    const members = Array.from({ length: size }, (_, i) => ({ name: `n${i + 1}`, clientPort: ports[i]!, peerPort: ports[size + i]! }))
    const initialCluster = members.map((m) => `${m.name}=${peerUrl(m, tls)}`).join(',')
    return {
      version: 1,
      id: randomUUID(),
      name,
      engine,
      clusterToken: `raftdeck-${name.replace(/[^a-zA-Z0-9]/g, '-').toLowerCase()}-${randomBytes(4).toString('hex')}`,
      createdAt: Date.now(),
      members: members.map((m) => ({ ...m, joined: false, initialCluster })),
      ...(tls ? { tls: true } : {}),
      wantRunning: true,
      nextMemberNumber: size + 1,
    }
  }

  /** Free loopback ports for a playground of `size` members. */
  async freePorts(size: number): Promise<{ clientPort: number; peerPort: number }[]> {
    const ports = await pickFreePorts(size * 2)
    return Array.from({ length: size }, (_, i) => ({ clientPort: ports[i]!, peerPort: ports[size + i]! }))
  }

  /** Whether a name is free (case-insensitive, as create and restore require). */
  async nameFree(name: string): Promise<boolean> {
    await this.ready
    return ![...this.playgrounds.values()].some((p) => p.manifest.name.toLowerCase() === name.toLowerCase())
  }

  /**
   * A playground made from a snapshot by `recipe.populate`, which writes every member's data dir; then
   * the members start as usual. All or nothing: if populate fails, nothing of the playground is kept.
   */
  async createRestored(recipe: RestoreRecipe): Promise<PlaygroundSummary> {
    await this.ready
    this.assertNameFree(recipe.name)
    if (recipe.engine === 'etcd' && !this.opts.launcher.etcdBinary)
      throw new AppError(ErrorCode.FailedPrecondition, msg('pg.noEtcd'), msg('pg.noEtcdHint'))
    const initialCluster = recipe.members.map((m) => `${m.name}=${peerUrl(m)}`).join(',')
    const manifest: PlaygroundManifest = {
      version: 1,
      id: randomUUID(),
      name: recipe.name,
      engine: recipe.engine,
      clusterToken: recipe.token,
      createdAt: Date.now(),
      members: recipe.members.map((m) => ({ ...m, joined: false, initialCluster })),
      wantRunning: true,
      nextMemberNumber: recipe.members.length + 1,
    }
    const dir = playgroundDir(this.opts.dataDir, manifest.id)
    await mkdir(dir, { recursive: true, mode: 0o700 })
    try {
      await recipe.populate(
        manifest.members.map((m) => ({ name: m.name, dataDir: memberDataDir(this.opts.dataDir, manifest.id, m.name) })),
        dir,
      )
    } catch (err) {
      await rm(dir, { recursive: true, force: true })
      if (err instanceof BboltError) throw new AppError(ErrorCode.InvalidParams, msg('pg.snapshotUnrestorable', { detail: err.message }), err.hint)
      if (err instanceof RestoreInputError) throw new AppError(ErrorCode.InvalidParams, err.message)
      throw err
    }
    await saveManifest(this.opts.dataDir, manifest)
    const pg = this.adopt(manifest)
    this.log.info(`restored playground "${recipe.name}" (${recipe.members.length} members, ${recipe.engine} engine)`)
    this.listChanged()
    await this.enqueue(pg, () => this.startMembers(pg))
    return this.summary(pg)
  }

  /**
   * A playground restored from a snapshot: every member's data dir is written from the same file with
   * the same new cluster token (so IDs are derived alike and the members form one cluster), then the
   * members start as usual. On the etcd engine each member is restored by etcd's own
   * `etcdctl snapshot restore`, with its own identity flags.
   */
  async restore(name: string, size: number, snapshotPath: string, opts: { bumpRevision?: number; markCompacted?: boolean } = {}, engine: PlaygroundEngine = 'raftdeck'): Promise<PlaygroundSummary> {
    await this.ready
    this.assertNameFree(name)
    const etcdctl = this.opts.etcdctlBinary ?? null
    if (engine === 'etcd' && !etcdctl) throw new AppError(ErrorCode.FailedPrecondition, msg('pg.noEtcdctl'), msg('pg.noEtcdctlHint'))
    const source = path.resolve(snapshotPath)
    const names = Array.from({ length: size }, (_, i) => `n${i + 1}`)
    const ports = await this.freePorts(size)
    const members = names.map((n, i) => ({ name: n, ...ports[i]! }))
    const token = `raftdeck-${name.replace(/[^a-zA-Z0-9]/g, '-').toLowerCase()}-${randomBytes(4).toString('hex')}`
    return this.createRestored({
      name,
      engine,
      members,
      token,
      populate: async (dirs, workDir) => {
        // Verified first, whatever the engine: a broken file stops here with its own error.
        verifySnapshot(source)
        if (engine === 'etcd') {
          await restoreWithEtcdctl(etcdctl!, source, dirs.map((d, i) => ({ name: d.name, peerUrl: peerUrl(members[i]!), dataDir: d.dataDir })), token, { ...opts, workDir })
          return
        }
        await restoreCluster(
          source,
          { initialCluster: new Map(members.map((m) => [m.name, [peerUrl(m)]])), initialClusterToken: token, dataDirs: new Map(dirs.map((d) => [d.name, d.dataDir])) },
          opts,
        )
      },
    })
  }

  async create(name: string, size: number, engine: PlaygroundEngine = 'raftdeck', opts: { tls?: boolean } = {}): Promise<PlaygroundSummary> {
    await this.ready
    this.assertNameFree(name)
    if (engine === 'etcd' && !this.opts.launcher.etcdBinary)
      throw new AppError(ErrorCode.FailedPrecondition, msg('pg.noEtcd'), msg('pg.noEtcdHint'))
    const manifest = this.newManifest(name, engine, await pickFreePorts(size * 2), size, opts.tls)
    await mkdir(playgroundDir(this.opts.dataDir, manifest.id), { recursive: true, mode: 0o700 })
    await saveManifest(this.opts.dataDir, manifest)
    const pg = this.adopt(manifest)
    this.log.info(`created playground "${name}" (${size} members, ${engine} engine${opts.tls ? ', TLS everywhere' : ''})`)
    this.listChanged()
    await this.enqueue(pg, () => this.startMembers(pg))
    return this.summary(pg)
  }

  async remove(id: string): Promise<void> {
    const pg = this.get(id)
    await this.enqueue(pg, () => this.stopMembers(pg))
    for (const m of pg.members.values()) m.feed?.close()
    pg.client?.close()
    this.playgrounds.delete(id)
    await rm(playgroundDir(this.opts.dataDir, id), { recursive: true, force: true })
    this.log.info(`deleted playground "${pg.manifest.name}" and its data`)
    this.listChanged()
  }

  // ---- lifecycle ---------------------------------------------------------------------------

  private enqueue<T>(pg: LivePlayground, op: () => Promise<T>): Promise<T> {
    const next = pg.queue.then(op, op)
    pg.queue = next.catch(() => {})
    return next
  }

  private step(pg: LivePlayground, event: LifecycleEvent): boolean {
    const t = transition(pg.phase, event)
    if (t.refused) {
      this.log.warn(`playground "${pg.manifest.name}": ${t.refused}`)
      return false
    }
    if (t.phase !== pg.phase) {
      pg.phase = t.phase
      this.changed(pg)
      this.listChanged()
    }
    return true
  }

  async start(id: string): Promise<PlaygroundSummary> {
    const pg = this.get(id)
    await this.enqueue(pg, () => this.startMembers(pg))
    return this.summary(pg)
  }

  async stop(id: string): Promise<PlaygroundSummary> {
    const pg = this.get(id)
    pg.manifest.wantRunning = false
    await saveManifest(this.opts.dataDir, pg.manifest)
    await this.enqueue(pg, () => this.stopMembers(pg))
    return this.summary(pg)
  }

  private clientFor(pg: LivePlayground): EtcdClient {
    pg.client ??= new EtcdClient({ endpoints: this.clientUrls(pg), ...(pg.tls ? { tls: pg.tls } : {}), requestTimeoutMs: 5000, dialTimeoutMs: 1500 })
    return pg.client
  }

  /** A member's client URL (https under "TLS everywhere"). */
  private cu(pg: LivePlayground, m: Pick<MemberManifest, 'clientPort'>): string {
    return clientUrl(m, pg.manifest.tls)
  }

  private pu(pg: LivePlayground, m: Pick<MemberManifest, 'peerPort'>): string {
    return peerUrl(m, pg.manifest.tls)
  }

  private clientUrls(pg: LivePlayground): string[] {
    return pg.manifest.members.map((m) => this.cu(pg, m))
  }

  /**
   * "TLS everywhere": makes whatever certificates are missing (the CA once, one server and one peer
   * pair per member, the client's) and loads the client's TLS material. The private keys are
   * secrets, written 0600 in the playground's own folder and deleted with it.
   */
  private async ensureTls(pg: LivePlayground): Promise<void> {
    if (!pg.manifest.tls) return
    const dir = playgroundDir(this.opts.dataDir, pg.manifest.id)
    pg.pki = await ensurePki(dir, pg.manifest.members.map((m) => m.name), pg.manifest.name)
    if (!pg.tls) {
      pg.tls = await loadTlsMaterial({ caFile: pg.pki.caFile, certFile: pg.pki.clientCert, keyFile: pg.pki.clientKey })
      pg.client?.close()
      pg.client = null
    }
  }

  private memberTls(pg: LivePlayground, name: string): MemberTls | undefined {
    const files = pg.pki?.members.get(name)
    return pg.pki && files ? { ...files, caFile: pg.pki.caFile } : undefined
  }

  private async startMembers(pg: LivePlayground): Promise<void> {
    if (this.disposed) return
    if (pg.phase === 'running') {
      // Running already: start only members that are down (the 'start' button after kills).
      await Promise.all([...pg.members.values()].filter((m) => !m.process.alive).map((m) => this.startMember(pg, m)))
      return
    }
    if (!this.step(pg, { type: 'start' })) return
    pg.error = null
    pg.errorMsg = null
    pg.manifest.wantRunning = true
    await saveManifest(this.opts.dataDir, pg.manifest)
    try {
      await this.ensureTls(pg)
      for (const m of pg.members.values()) {
        if (!(await portIsFree(m.manifest.clientPort)) || !(await portIsFree(m.manifest.peerPort)))
          throw new AppError(ErrorCode.FailedPrecondition, msg('pg.portBusy', { client: String(m.manifest.clientPort), peer: String(m.manifest.peerPort), member: m.manifest.name }))
      }
      // Members of a new cluster wait for each other, so they start together.
      await Promise.all([...pg.members.values()].map((m) => this.startMember(pg, m)))
      this.step(pg, { type: 'started' })
      this.startPolling(pg)
      this.log.info(`playground "${pg.manifest.name}" is running: ${this.endpoints(pg)}`)
    } catch (err) {
      pg.error = (err as Error).message
      pg.errorMsg = err instanceof AppError ? (err.msg ?? null) : null
      this.log.error(`playground "${pg.manifest.name}" failed to start: ${pg.error}`)
      await Promise.all([...pg.members.values()].map((m) => m.process.stop(3000)))
      this.step(pg, { type: 'startFailed', error: pg.error })
      throw new AppError(ErrorCode.FailedPrecondition, msg('pg.startFailed', { detail: pg.errorMsg ?? pg.error }), msg('pg.startFailedHint'))
    }
  }

  private async startMember(pg: LivePlayground, m: LiveMember): Promise<void> {
    const dir = memberDataDir(this.opts.dataDir, pg.manifest.id, m.manifest.name)
    await this.ensureTls(pg)
    const spec = this.opts.launcher.launch(pg.manifest.engine, memberFlags(pg.manifest.engine, m.manifest, dir, pg.manifest.clusterToken, this.memberTls(pg, m.manifest.name)))
    await m.process.start(spec)
    if (pg.manifest.engine === 'raftdeck') {
      const debugTls = pg.tls ? { ca: pg.tls.ca ?? null, cert: pg.tls.cert ?? null, key: pg.tls.key ?? null } : undefined
      m.feed ??= new DebugFeed(m.manifest.clientPort, {
        onState: (memberId, state) => {
          m.id = memberId
          m.raft = state
          m.learner = state.role === 'learner'
          this.changed(pg)
        },
        onTrace: (t) => this.trace(pg, m, t),
      }, undefined, debugTls)
      m.feed.setTraces(this.wantsTraces(pg))
      m.feed.open()
    }
  }

  private async stopMembers(pg: LivePlayground): Promise<void> {
    if (!this.step(pg, { type: 'stop' })) return
    pg.load?.stop()
    pg.load = null
    this.stopPolling(pg)
    await Promise.all([...pg.members.values()].map((m) => m.process.stop()))
    for (const m of pg.members.values()) m.raft = null
    this.step(pg, { type: 'stopped' })
    this.log.info(`playground "${pg.manifest.name}" stopped`)
  }

  // ---- status polling (DB size; the whole raft state for the etcd engine) -----------------

  private startPolling(pg: LivePlayground) {
    if (pg.poll) return
    const poll = async () => {
      const client = this.clientFor(pg)
      await Promise.all(
        [...pg.members.values()].map(async (m) => {
          if (m.process.state !== 'running') return
          try {
            const st = await client.status(this.cu(pg, m.manifest), 800)
            m.id = st.header.member_id
            m.dbSize = Number(st.dbSize)
            m.learner = st.isLearner
            if (pg.manifest.engine === 'etcd') {
              const leader = st.leader
              m.raft = {
                role: st.isLearner ? 'learner' : leader === st.header.member_id ? 'leader' : 'follower',
                term: st.raftTerm,
                vote: '0',
                leader,
                commit: st.raftIndex,
                applied: st.raftAppliedIndex,
                lastIndex: st.raftIndex,
                snapshotIndex: '0',
                revision: st.header.revision,
                peers: [],
                at: Date.now(),
              }
            }
          } catch {
            if (pg.manifest.engine === 'etcd') m.raft = null
          }
        }),
      )
      this.changed(pg)
    }
    void poll()
    pg.poll = setInterval(() => void poll(), STATUS_POLL_MS)
  }

  private stopPolling(pg: LivePlayground) {
    if (pg.poll) clearInterval(pg.poll)
    pg.poll = null
  }

  // ---- member controls ---------------------------------------------------------------------

  async memberAction(id: string, name: string, action: 'stop' | 'kill' | 'pause' | 'resume' | 'restart'): Promise<PlaygroundSummary> {
    const pg = this.get(id)
    const m = this.member(pg, name)
    if (pg.phase !== 'running') throw new AppError(ErrorCode.FailedPrecondition, msg('pg.phaseIs', { name: pg.manifest.name, phase: msg(`pg.phase.${pg.phase}`) }), msg('pg.startFirst'))
    switch (action) {
      case 'stop':
        await m.process.stop()
        break
      case 'kill':
        if (!m.process.alive) throw new AppError(ErrorCode.FailedPrecondition, msg('pg.memberNotRunning', { member: name }))
        await m.process.kill()
        break
      case 'pause':
        if (!m.process.alive) throw new AppError(ErrorCode.FailedPrecondition, msg('pg.memberNotRunning', { member: name }))
        m.process.pause()
        break
      case 'resume':
        m.process.resume()
        break
      case 'restart':
        await m.process.stop()
        await this.startMember(pg, m)
        break
    }
    this.log.info(`playground "${pg.manifest.name}": ${action} ${name}`)
    return this.summary(pg)
  }

  private requireDebug(pg: LivePlayground, what: 'cut' | 'heal') {
    if (pg.manifest.engine !== 'raftdeck')
      throw new AppError(ErrorCode.FailedPrecondition, msg('pg.needsDebug', { what: msg(`pg.what.${what}`) }), msg('pg.needsDebugHint'))
  }

  async isolate(id: string, name: string, peer: string | undefined, direction: 'both' | 'out' | 'in'): Promise<PlaygroundSummary> {
    const pg = this.get(id)
    this.requireDebug(pg, 'cut')
    const m = this.member(pg, name)
    if (!m.feed || !m.process.alive) throw new AppError(ErrorCode.FailedPrecondition, msg('pg.memberNotRunning', { member: name }))
    const peers = peer ? [this.member(pg, peer)] : [...pg.members.values()].filter((x) => x !== m)
    for (const p of peers) {
      if (!p.id) throw new AppError(ErrorCode.FailedPrecondition, msg('pg.idNotYetKnown', { member: p.manifest.name }), msg('pg.idNotYetKnownHint'))
      await m.feed.setFault(p.id, direction !== 'in', direction !== 'out')
    }
    this.log.info(`playground "${pg.manifest.name}": cut ${name} ${direction === 'both' ? '⇄' : direction === 'out' ? '→' : '←'} ${peer ?? 'all peers'}`)
    return this.summary(pg)
  }

  async heal(id: string, name?: string): Promise<PlaygroundSummary> {
    const pg = this.get(id)
    this.requireDebug(pg, 'heal')
    const targets = name ? [this.member(pg, name)] : [...pg.members.values()]
    await Promise.all(targets.filter((m) => m.feed && m.process.alive).map((m) => m.feed!.clearFaults()))
    this.log.info(`playground "${pg.manifest.name}": healed ${name ?? 'every member'}`)
    return this.summary(pg)
  }

  async addMember(id: string): Promise<PlaygroundSummary> {
    const pg = this.get(id)
    return this.enqueue(pg, async () => {
      if (pg.phase !== 'running') throw new AppError(ErrorCode.FailedPrecondition, msg('pg.startBeforeAdding'))
      if (pg.members.size >= 7) throw new AppError(ErrorCode.FailedPrecondition, msg('pg.maxMembers', { max: 7 }))
      const [clientPort, peerPort] = await pickFreePorts(2)
      const name = `n${pg.manifest.nextMemberNumber}`
      const draft = { name, clientPort: clientPort!, peerPort: peerPort! }
      const client = this.clientFor(pg)
      const added = await retryMembershipChange(() => client.memberAdd([this.pu(pg, draft)], true))
      const initialCluster = added.members
        .map((x) => `${x.name || (x.peerURLs.includes(this.pu(pg, draft)) ? name : '')}=${x.peerURLs[0]}`)
        .filter((e) => !e.startsWith('='))
        .join(',')
      const manifest: MemberManifest = { ...draft, joined: true, initialCluster }
      pg.manifest.members.push(manifest)
      pg.manifest.nextMemberNumber++
      await saveManifest(this.opts.dataDir, pg.manifest)
      const live = this.liveMember(pg, manifest)
      pg.members.set(name, live)
      this.rebuildClient(pg)
      await this.startMember(pg, live)
      this.log.info(`playground "${pg.manifest.name}": added ${name} as a learner`)
      return this.summary(pg)
    })
  }

  async promote(id: string, name: string): Promise<PlaygroundSummary> {
    const pg = this.get(id)
    const m = this.member(pg, name)
    if (!m.id) throw new AppError(ErrorCode.FailedPrecondition, msg('pg.idNotYetKnown', { member: name }))
    await retryMembershipChange(() => this.clientFor(pg).memberPromote(m.id!))
    m.learner = false
    this.log.info(`playground "${pg.manifest.name}": promoted ${name} to a voting member`)
    return this.summary(pg)
  }

  async removeMember(id: string, name: string): Promise<PlaygroundSummary> {
    const pg = this.get(id)
    return this.enqueue(pg, async () => {
      const m = this.member(pg, name)
      let memberId = m.id
      if (!memberId) {
        const list = await this.clientFor(pg).memberList()
        memberId = list.members.find((x) => x.peerURLs.includes(this.pu(pg, m.manifest)))?.ID ?? null
      }
      if (!memberId) throw new AppError(ErrorCode.FailedPrecondition, msg('pg.idUnknown', { member: name }))
      // Ask another running member (the leader if known): the removed one shuts down mid-request.
      const others = [...pg.members.values()].filter((x) => x !== m && x.process.state === 'running')
      const via = others.find((x) => x.raft?.role === 'leader') ?? others[0]
      if (!via) throw new AppError(ErrorCode.FailedPrecondition, msg('pg.noOtherRunning', { name: pg.manifest.name }))
      await retryMembershipChange(() => this.clientFor(pg).memberRemove(memberId!, { endpoint: this.cu(pg, via.manifest) }))
      m.feed?.close()
      await m.process.stop(5000)
      pg.members.delete(name)
      pg.manifest.members = pg.manifest.members.filter((x) => x.name !== name)
      await saveManifest(this.opts.dataDir, pg.manifest)
      await rm(memberDataDir(this.opts.dataDir, pg.manifest.id, name), { recursive: true, force: true })
      this.rebuildClient(pg)
      this.log.info(`playground "${pg.manifest.name}": removed ${name}`)
      this.changed(pg)
      return this.summary(pg)
    })
  }

  async moveLeader(id: string, name: string): Promise<PlaygroundSummary> {
    const pg = this.get(id)
    const target = this.member(pg, name)
    if (!target.id) throw new AppError(ErrorCode.FailedPrecondition, msg('pg.idNotYetKnown', { member: name }))
    const leaderId = [...pg.members.values()].map((m) => m.raft?.leader).find((l) => l && l !== '0')
    const leader = [...pg.members.values()].find((m) => m.id === leaderId)
    if (!leader) throw new AppError(ErrorCode.Unavailable, msg('pg.noLeader'), msg('pg.noLeaderHint'))
    if (leader === target) throw new AppError(ErrorCode.FailedPrecondition, msg('pg.alreadyLeader', { member: name }))
    await this.clientFor(pg).moveLeader(this.cu(pg, leader.manifest), target.id)
    this.log.info(`playground "${pg.manifest.name}": moved leadership from ${leader.manifest.name} to ${name}`)
    return this.summary(pg)
  }

  setLoad(id: string, rate: number): PlaygroundSummary {
    const pg = this.get(id)
    if (rate > 0 && pg.phase !== 'running') throw new AppError(ErrorCode.FailedPrecondition, msg('pg.startBeforeLoad'))
    if (rate === 0) {
      pg.load?.stop()
      pg.load = null
    } else if (pg.load) pg.load.rate = rate
    else {
      pg.load = new WriteLoad(this.clientFor(pg), rate, this.clientUrls(pg))
      pg.load.start()
    }
    this.changed(pg)
    return this.summary(pg)
  }

  memberLog(id: string, name: string, lines: number): string[] {
    return this.member(this.get(id), name).process.logTail(lines)
  }

  private rebuildClient(pg: LivePlayground) {
    const old = pg.client
    pg.client = null
    const client = this.clientFor(pg)
    if (pg.load) {
      pg.load.stop()
      const rate = pg.load.rate
      pg.load = new WriteLoad(client, rate, this.clientUrls(pg))
      pg.load.start()
    }
    old?.close()
  }

  // ---- targets (so the key editor, backups and cluster view work on playgrounds) ----------

  async client(id: string): Promise<EtcdClient> {
    await this.ready
    return this.clientFor(this.get(id))
  }

  async policy(id: string) {
    await this.ready
    const pg = this.get(id)
    return { name: pg.manifest.name, endpoints: this.clientUrls(pg), readOnly: false, production: false }
  }

  // ---- events ------------------------------------------------------------------------------

  private trace(pg: LivePlayground, m: LiveMember, t: MemberTrace) {
    if (pg.subscribers.size === 0) return
    if (pg.traces.length >= MAX_TRACES_PER_EVENT) {
      pg.dropped++
      return
    }
    pg.traces.push(this.named(pg, m.manifest.name, t))
    this.changed(pg)
  }

  /** The member IDs in a trace event replaced by the members' names. */
  private named(pg: LivePlayground, member: string, t: MemberTrace): PlaygroundTrace {
    const n = (id: string) => this.nameOf(pg, id)
    switch (t.kind) {
      case 'send':
      case 'receive':
        return { ...t, member, message: { ...t.message, from: n(t.message.from), to: n(t.message.to) } }
      case 'role':
        return { ...t, member, leader: n(t.leader) }
      case 'vote':
        return { ...t, member, voter: n(t.voter), candidate: n(t.candidate) }
      case 'commit':
        return { ...t, member }
    }
  }

  private nameOf(pg: LivePlayground, id: string): string {
    if (!id || id === '0') return ''
    for (const m of pg.members.values()) if (m.id === id) return m.manifest.name
    return BigInt(id).toString(16)
  }

  /** Coalesces changes: subscribers get at most one event per FLUSH_MS. */
  private changed(pg: LivePlayground) {
    if (pg.subscribers.size === 0 || pg.flushTimer) return
    pg.flushTimer = setTimeout(() => {
      pg.flushTimer = null
      const state = this.summary(pg)
      const traces = pg.traces
      const dropped = pg.dropped
      pg.traces = []
      pg.dropped = 0
      for (const s of pg.subscribers) s.emit({ playgroundId: pg.manifest.id, state, traces: s.traces ? traces : [], dropped: s.traces ? dropped : 0 })
    }, FLUSH_MS)
  }

  subscribe(id: string, traces: boolean, emit: (ev: PlaygroundEvent) => void): () => void {
    const pg = this.get(id)
    const sub: Subscriber = { traces, emit }
    pg.subscribers.add(sub)
    this.traceFeeds(pg)
    emit({ playgroundId: id, state: this.summary(pg), traces: [], dropped: 0 })
    return () => {
      pg.subscribers.delete(sub)
      this.traceFeeds(pg)
    }
  }

  private wantsTraces(pg: LivePlayground): boolean {
    return [...pg.subscribers].some((s) => s.traces)
  }

  /** Members send trace events only while a subscriber shows them (the playground view); states always. */
  private traceFeeds(pg: LivePlayground): void {
    const on = this.wantsTraces(pg)
    for (const m of pg.members.values()) m.feed?.setTraces(on)
  }

  subscribeList(emit: (list: PlaygroundSummary[]) => void): () => void {
    this.listListeners.add(emit)
    void this.list().then(emit)
    return () => this.listListeners.delete(emit)
  }

  private listChanged() {
    const list = [...this.playgrounds.values()].map((pg) => this.summary(pg))
    for (const l of this.listListeners) l(list)
  }

  private endpoints(pg: LivePlayground): string {
    return pg.manifest.members.map((m) => `127.0.0.1:${m.clientPort}`).join(',')
  }

  summary(pg: LivePlayground): PlaygroundSummary {
    const members: PlaygroundMember[] = [...pg.members.values()].map((m) => ({
      name: m.manifest.name,
      id: m.id,
      clientUrl: this.cu(pg, m.manifest),
      peerUrl: this.pu(pg, m.manifest),
      dataDir: memberDataDir(this.opts.dataDir, pg.manifest.id, m.manifest.name),
      process: m.process.state,
      pid: m.process.pid,
      exitCode: m.process.exitCode,
      raft: m.process.state === 'running' || m.process.state === 'paused' ? m.raft : null,
      dbSize: m.dbSize,
      learner: m.learner,
    }))
    return {
      id: pg.manifest.id,
      name: pg.manifest.name,
      engine: pg.manifest.engine,
      phase: pg.phase,
      members,
      endpoints: this.endpoints(pg),
      clusterToken: pg.manifest.clusterToken,
      createdAt: pg.manifest.createdAt,
      loadRate: pg.load?.rate ?? 0,
      debug: pg.manifest.engine === 'raftdeck',
      tls: this.tlsSummary(pg),
      error: pg.error,
      errorMsg: pg.errorMsg,
    }
  }

  /** Where a TLS playground's CA and client certificate are (what etcdctl and a connection need). */
  private tlsSummary(pg: LivePlayground): PlaygroundTls | null {
    if (!pg.manifest.tls) return null
    const files = pg.pki ?? pkiFiles(playgroundDir(this.opts.dataDir, pg.manifest.id), [])
    return { caFile: files.caFile, certFile: files.clientCert, keyFile: files.clientKey }
  }

  /** Stops every member (app exit). Manifests keep wantRunning, so the next start reopens them. */
  async dispose(): Promise<void> {
    this.disposed = true
    await this.ready.catch(() => {})
    await Promise.all(
      [...this.playgrounds.values()].map(async (pg) => {
        pg.load?.stop()
        this.stopPolling(pg)
        if (pg.flushTimer) clearTimeout(pg.flushTimer)
        for (const m of pg.members.values()) m.feed?.close()
        await Promise.all([...pg.members.values()].map((m) => m.process.stop(5000)))
        pg.client?.close()
      }),
    )
  }
}
