/**
 * One etcd-compatible member (etcd's EtcdServer). `start()` builds the collaborators first, each
 * owning one concern, and only then wires them:
 *
 *   boot.ts          data dir, snapshot and WAL → state machine and Raft storage
 *   RaftNode         the Ready loop: persists, sends through the Transport, hands entries to the state machine
 *   StateMachine     applies every entry; returns what the member must do as values
 *   Transport        peers; accepts nothing before the Raft node exists
 *   Proposer         propose-and-wait; ReadIndexBatcher: linearizable reads
 *   LeaderDuties     what only the leader does
 *
 * The gRPC handlers, the duties and the membership operations see the server through the narrow
 * interfaces of ports.ts.
 */
import { RawNode, NO_NODE, type ReadState, type SoftState, type Status, type TraceEvent } from '../../raft/index'
import { JwtTokens } from '../auth/tokens'
import { parseRetention, type MemberConfig } from '../config'
import { Errors } from '../errors'
import { IdGenerator, toHex } from '../ids'
import { PeerTransport } from '../peer/tcpTransport'
import { PeerDiagnostics, type Transport, type TransportFactory } from '../peer/transport'
import type { Wal } from '../wal/wal'
import { WatchBudget } from '../watch/budget'
import { sliceRunner } from './background'
import { bootMember } from './boot'
import { StartError } from './dataDir'
import { LeaderDuties } from './leaderDuties'
import type { Member, ResponseHeader } from './pb'
import type { ApiContext, LeaderAnswers, LinearizableReads, MembershipHost, Proposing, QuotaCheck, RaftView, Roles, ServerEvents } from './ports'
import { publishAttributes } from './publish'
import { Proposer, type AuthHeader, type AuthSource, type ProposalBody, type ProposeOptions } from './proposer'
import { forwardToLeader, LeaderMethods, leaderRequestHandler, renewOnLeader, timeToLiveOnLeader, type LeaderRequestsHost, type LeaseTimeToLive } from './leaderRequests'
import { memberPromote } from './membership'
import { loadPeerTls } from '../peer/tls'
import { RaftNode } from './raftNode'
import { ReadIndexBatcher } from './readIndex'
import type { ApplyOutcome, EntryResult, StateMachine } from './stateMachine'
import { AppliedWaiters, StateWaiters } from './waiters'

export { CLUSTER_VERSION, SERVER_VERSION } from './version'

export { StartError }
export type { ServerEvents }

export interface ServerDeps {
  log?: (line: string) => void
  /** A failure the member cannot go on from (a failed WAL write); the Raft node has halted. */
  onFatal: (err: Error) => void
  /** The peer transport; TCP on --listen-peer-urls unless a test brings its own. */
  transport?: TransportFactory
}

/** The collaborators, built by start(). */
interface Parts {
  sm: StateMachine
  raft: RaftNode
  transport: Transport
  wal: Wal
  proposer: Proposer
  reads: ReadIndexBatcher
  duties: LeaderDuties
  ids: IdGenerator
}

export class EtcdServer implements ApiContext, Proposing, LinearizableReads, QuotaCheck, Roles, LeaderAnswers, RaftView, MembershipHost {
  readonly cfg: MemberConfig
  readonly log: (line: string) => void
  readonly requestTimeoutMs: number
  readonly events: ServerEvents = {}
  /** Peer faults and message counts (debug service), applied by the transport. */
  readonly peerDiagnostics = new PeerDiagnostics()
  /** What all watch streams together may have queued for their clients. */
  readonly watchBudget = new WatchBudget()
  localId = '0'
  clusterId = '0'
  private lead = NO_NODE
  private role: SoftState['role'] = 'follower'
  private parts: Parts | undefined
  private readonly deps: ServerDeps
  private readonly appliedWaiters = new AppliedWaiters()
  /** Raft state changes (leader, any Ready): what dropped proposals and leader transfers wait for. */
  private readonly changes = new StateWaiters()
  private stopped = false
  private removedNoticed = false
  /** Committed WAL entries to apply again at start (logged once applied). */
  private replay: { from: number; to: number; t0: number } | undefined

  constructor(cfg: MemberConfig, deps: ServerDeps) {
    this.cfg = cfg
    this.deps = deps
    this.log = deps.log ?? ((l) => process.stderr.write(`${l}\n`))
    // etcd: 5 s plus two election timeouts.
    this.requestTimeoutMs = 5000 + 2 * cfg.electionMs
  }

  private get p(): Parts {
    if (!this.parts) throw Errors.notCapable()
    return this.parts
  }

  get state(): StateMachine {
    return this.p.sm
  }

  get clusterToken(): string {
    return this.cfg.initialClusterToken
  }

  get bcryptCost(): number {
    return this.cfg.bcryptCost
  }

  get maxTxnOps(): number {
    return this.cfg.maxTxnOps
  }

  get maxRequestBytes(): number {
    return this.cfg.maxRequestBytes
  }

  async start(): Promise<void> {
    const cfg = this.cfg
    const boot = await bootMember(cfg, this.log)
    const { sm, wal } = boot
    // Physical compaction walks every key: in slices, off the Raft loop's way.
    sm.store.backgroundCompaction(sliceRunner())
    this.localId = boot.localId
    this.clusterId = boot.clusterId
    sm.auth.tokenTtlMs = cfg.authTokenTtl * 1000
    if (cfg.authToken.kind === 'jwt') {
      try {
        sm.auth.jwt = new JwtTokens(cfg.authToken)
      } catch (err) {
        await wal.close()
        throw new StartError((err as Error).message)
      }
    }
    sm.onInternalError = (index, err) => this.log(`apply: entry ${index} could not be applied as planned; it failed alike on every member: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`)

    // 1. Build: Raft node first, so everything that can reach it later finds it.
    const node = new RawNode(
      {
        id: this.localId,
        electionTick: Math.max(2, Math.round(cfg.electionMs / cfg.heartbeatMs)),
        heartbeatTick: 1,
        random: Math.random,
        applied: boot.snapshotIndex,
        preVote: true,
        checkQuorum: true,
        // No trace sink: tracing costs an event object per message, and is switched on only while
        // a debug watcher wants the events (traceRaft).
      },
      boot.storage,
    )
    if (boot.bootstrapVoters) node.bootstrap(boot.bootstrapVoters)
    let peerTls
    try {
      peerTls = loadPeerTls(cfg)
    } catch (err) {
      await wal.close()
      throw new StartError((err as Error).message)
    }
    const transportFactory = this.deps.transport ?? ((ctx) => new PeerTransport(ctx, cfg.listenPeerUrls, peerTls))
    const transport = transportFactory({
      identity: { localId: this.localId, clusterId: this.clusterId },
      directory: {
        clusterInfo: () => ({ clusterId: this.clusterId, members: sm.cluster.list() }),
        isRemoved: (id) => sm.cluster.removed.has(id),
        onRemovedNotice: () => this.removed(),
      },
      diagnostics: this.peerDiagnostics,
      snapshots: boot.snapshotter,
      requests: leaderRequestHandler(this.leaderHost(sm)),
      log: this.log,
    })
    const raft = new RaftNode({
      node,
      storage: boot.storage,
      wal,
      snapshotter: boot.snapshotter,
      stateMachine: sm,
      transport,
      heartbeatMs: cfg.heartbeatMs,
      snapshotCount: cfg.snapshotCount,
      snapshotIndex: boot.snapshotIndex,
      catchUpEntries: cfg.snapshotCatchUpEntries,
      events: {
        onSoftState: (s) => this.onSoftState(s),
        onReadStates: (rs) => this.onReadStates(rs),
        onApplied: (results, index) => this.onApplied(results, index),
        onReadyHandled: () => this.changes.changed(),
        log: this.log,
      },
      onFatal: (err) => this.fatal(err),
    })
    const ids = new IdGenerator(this.localId)
    const proposer = new Proposer({
      localId: this.localId,
      ids,
      raft,
      changes: this.changes,
      hasLeader: () => this.lead !== NO_NODE,
      internalAuth: () => this.internalAuth(sm),
      maxRequestBytes: cfg.maxRequestBytes,
      timeoutMs: this.requestTimeoutMs,
    })
    const reads = new ReadIndexBatcher((ctx) => raft.readIndex(ctx), this.requestTimeoutMs, Math.max(100, cfg.heartbeatMs * 2))
    const duties = new LeaderDuties(
      { state: sm, propose: (body) => proposer.propose(body), log: this.log },
      { electionMs: cfg.electionMs, autoCompactionMode: cfg.autoCompactionMode, retention: parseRetention(cfg) },
    )
    this.parts = { sm, raft, transport, wal, proposer, reads, duties, ids }
    // The WAL's committed entries after the snapshot are applied again before the member is current.
    const replayTo = boot.storage.initialState().hardState.commit
    if (replayTo > boot.snapshotIndex) this.replay = { from: boot.snapshotIndex, to: replayTo, t0: performance.now() }

    // 2. Wire and run: links to the members, then the peer port, then the clock.
    transport.syncPeers(sm.cluster.list())
    try {
      await transport.start(raft)
    } catch (err) {
      await transport.stop().catch(() => {})
      await wal.close()
      this.parts = undefined
      throw new StartError((err as Error).message)
    }
    raft.start()
    duties.start()
    void publishAttributes(
      {
        propose: (body) => this.propose(body),
        untilLeaderKnown: (ms) => this.changes.until(() => this.lead !== NO_NODE || this.stopped, ms),
        stopped: () => this.stopped,
        log: this.log,
      },
      { memberID: this.localId, name: cfg.name, clientURLs: cfg.advertiseClientUrls },
      this.requestTimeoutMs,
    )
  }

  /** What answering a follower's forwarded requests needs (leaderRequests.ts). */
  private leaderHost(sm: StateMachine): LeaderRequestsHost {
    return {
      state: sm,
      isLeader: () => this.isLeader(),
      requestTimeoutMs: this.requestTimeoutMs,
      promote: (id) => memberPromote(this, id),
    }
  }

  /** Asks the leader over the peer port, following it as it changes, until the request's deadline. */
  private forward(method: string, body: unknown): Promise<unknown> {
    return forwardToLeader(
      {
        leaderId: () => (this.lead === NO_NODE ? undefined : this.lead),
        localId: this.localId,
        requestTimeoutMs: this.requestTimeoutMs,
        untilLeaderKnown: (ms) => this.changes.until(() => this.lead !== NO_NODE || this.stopped, ms),
        nextChange: (ms) => this.changes.next(ms),
        request: (id, m, b, ms) => this.p.transport.request(id, m, b, ms),
      },
      method,
      body,
    )
  }

  async renewLease(id: string): Promise<number> {
    if (this.isLeader()) {
      try {
        return await renewOnLeader(this.leaderHost(this.p.sm), id)
      } catch (err) {
        // Leadership moved while it waited: the new leader's clock decides.
        if (!(err instanceof Error) || err.message !== Errors.notLeader.message) throw err
      }
    }
    const r = (await this.forward(LeaderMethods.leaseRenew, { ID: id })) as { TTL?: unknown }
    return Number(r?.TTL ?? 0)
  }

  async leaseTimeToLive(id: string, keys: boolean): Promise<LeaseTimeToLive> {
    if (this.isLeader()) return timeToLiveOnLeader(this.leaderHost(this.p.sm), id, keys)
    const r = (await this.forward(LeaderMethods.leaseTimeToLive, { ID: id, keys })) as Omit<LeaseTimeToLive, 'keys'> & { keys: string[] }
    return { ID: String(r.ID), TTL: String(r.TTL), grantedTTL: String(r.grantedTTL), keys: (r.keys ?? []).map((k) => Buffer.from(k, 'base64')) }
  }

  async promoteMember(id: string, auth?: AuthSource): Promise<Member[]> {
    if (this.isLeader()) return memberPromote(this, id, auth)
    // Only the leader knows how far the learner has caught up: ask it.
    this.p.sm.cluster.checkPromote(id)
    const r = (await this.forward(LeaderMethods.memberPromote, { ID: id })) as { members: Member[] }
    return r.members
  }

  /** The member proposes as itself: root when auth is on (etcd's WithRoot). */
  private internalAuth(sm: StateMachine): AuthHeader {
    return sm.auth.enabled ? { username: 'root', revision: sm.auth.revision } : { username: '', revision: 0 }
  }

  // ---- what the Ready loop reports ----

  private onApplied(results: readonly EntryResult[], index: number): void {
    const p = this.p
    p.proposer.applied(results)
    for (const r of results) {
      if (!r.membership) continue
      // The one place peer links follow membership: conf changes, URL updates, snapshots.
      p.transport.syncPeers(r.membership.members)
      if (r.membership.removedSelf) this.removed()
    }
    this.appliedWaiters.applied(index)
    this.events.onState?.()
    if (this.replay && index >= this.replay.to) {
      this.log(`boot: applied the ${this.replay.to - this.replay.from} committed entries of the WAL after the snapshot in ${Math.round(performance.now() - this.replay.t0)} ms`)
      this.replay = undefined
    }
  }

  private onReadStates(rs: readonly ReadState[]): void {
    for (const r of rs) this.p.reads.onReadState(r.requestCtx, r.index)
  }

  private onSoftState(s: SoftState): void {
    const oldLead = this.lead
    this.lead = s.lead
    this.role = s.role
    this.p.duties.onLeadership(s.role === 'leader')
    if (oldLead !== s.lead) this.log(s.lead === NO_NODE ? `lost leader ${toHex(oldLead)}` : `elected leader ${toHex(s.lead)} at term ${this.p.raft.term}`)
    this.changes.changed()
    this.events.onState?.()
  }

  /** The Raft node halted on a failed write: nobody waits for an answer that cannot come. */
  private fatal(err: Error): void {
    this.parts?.proposer.stop()
    this.parts?.reads.failAll(Errors.stopped())
    this.deps.onFatal(err)
  }

  private removed(): void {
    if (this.removedNoticed) return
    this.removedNoticed = true
    this.log('the member has been permanently removed from the cluster')
    setImmediate(() => this.events.onRemoved?.())
  }

  // ---- operations for the API (ports.ts) ----

  /**
   * While `on`, the Raft core's trace events go to events.onTrace (the debug service turns this on
   * while a watcher wants them; off, the core builds none). A watcher closing after the member
   * stopped finds no Raft node: nothing to switch.
   */
  traceRaft(on: boolean): void {
    this.parts?.raft.node.raft.setTrace(on ? (ev: TraceEvent) => this.events.onTrace?.(ev) : undefined)
  }

  header(revision = this.p.sm.store.currentRev): ResponseHeader {
    return { cluster_id: this.clusterId, member_id: this.localId, revision: String(revision), raft_term: String(this.p.raft.term) }
  }

  propose(body: ProposalBody, opts?: ProposeOptions): Promise<ApplyOutcome> {
    if (this.stopped) return Promise.reject(Errors.stopped())
    return this.p.proposer.propose(body, opts)
  }

  appliedAtLeast(index: number, timeoutMs: number): Promise<boolean> {
    return this.appliedWaiters.waitUpTo(index, this.p.sm.appliedIndex, timeoutMs)
  }

  async linearizableBarrier(): Promise<void> {
    const index = await this.p.reads.read()
    await this.appliedWaiters.wait(index, this.p.sm.appliedIndex)
  }

  /** NOSPACE before a write that grows the store (etcd's quota check before proposing). */
  async checkQuota(requestBytes: number): Promise<void> {
    if (this.p.sm.quota.available(requestBytes)) return
    await this.propose({ alarm: { action: 'ACTIVATE', memberID: this.localId, alarm: 'NOSPACE' } }).catch(() => {})
    throw Errors.noSpace()
  }

  /** Next ID from etcd's generator (lease IDs). */
  nextId(): bigint {
    return this.p.ids.next()
  }

  isLeader(): boolean {
    return this.role === 'leader'
  }

  isLearner(): boolean {
    return this.p.sm.cluster.get(this.localId)?.isLearner ?? false
  }

  leaderMember(): Member | undefined {
    return this.lead === NO_NODE ? undefined : this.p.sm.cluster.get(this.lead)
  }

  get cluster() {
    return this.p.sm.cluster
  }

  raftStatus(): Status {
    return this.p.raft.status()
  }

  get snapshotIndex(): number {
    return this.p.raft.snapshotAt
  }

  connectedSince(id: string): number {
    return this.p.transport.connectedSince(id)
  }

  transferLeader(to: string): boolean {
    return this.p.raft.transferLeader(to)
  }

  untilLeader(id: string, timeoutMs: number): Promise<boolean> {
    return this.changes.until(() => this.lead === id, timeoutMs)
  }

  /** fdatasync count and total time of the WAL (debug stream). */
  walStats(): { syncs: number; syncMs: number } {
    return this.p.wal.stats
  }

  async stop(): Promise<void> {
    if (this.stopped) return
    const p = this.parts
    if (p) await this.handOverLeadership(p)
    this.stopped = true
    this.changes.cancelAll()
    if (!p) return
    p.duties.stop()
    await p.raft.stop()
    p.proposer.stop()
    p.reads.failAll(Errors.stopped())
    await p.transport.stop()
    await p.wal.close()
  }

  /**
   * A leader stopping gracefully first hands leadership to its most caught-up voter, as etcd does,
   * so the cluster does not wait out an election timeout.
   */
  private async handOverLeadership(p: Parts): Promise<void> {
    if (!this.isLeader()) return
    const st = p.raft.status()
    let best: string | undefined
    let bestMatch = -1
    for (const id of p.sm.cluster.voters()) {
      if (id === this.localId) continue
      const pr = st.progress.get(id)
      if (pr?.recentActive && pr.match > bestMatch) {
        best = id
        bestMatch = pr.match
      }
    }
    if (!best) return
    this.log(`transferring leadership to ${toHex(best)} before stopping`)
    p.raft.transferLeader(best)
    await this.untilLeader(best, this.cfg.electionMs)
  }
}

