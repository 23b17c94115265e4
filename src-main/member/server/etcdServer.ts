/**
 * One etcd-compatible member (etcd's EtcdServer): boots or restarts from its data dir, runs the
 * Raft node, applies committed entries to the state machine, and offers the operations the gRPC
 * services need: propose-and-wait, linearizable reads, membership changes, leader transfer,
 * lease expiry and auto-compaction.
 */
import path from 'node:path'
import { MemoryStorage, RawNode, decodeConfChange, EntryType, NO_NODE, type ConfChange, type Entry, type Snapshot, type SoftState, type TraceEvent } from '../../raft/index'
import { internalRequestCodec } from '../../etcdpb/load'
import { quotaBytes, type MemberConfig } from '../config'
import { Errors } from '../errors'
import { IdGenerator, toHex } from '../ids'
import { PeerTransport } from '../peer/transport'
import { decodeStateInto, encodeState } from '../snap/stateCodec'
import { Snapshotter } from '../snap/snapshotter'
import type { Wal } from '../wal/wal'
import { openDataDir, StartError } from './dataDir'
import type { InternalRequest, Member, ResponseHeader } from './pb'
import { LeaderDuties } from './leaderDuties'
import { RaftNode, decodeSnapshotFile } from './raftNode'
import { ReadIndexBatcher } from './readIndex'
import { StateMachine, type ApplyOutcome } from './stateMachine'
import { AppliedWaiters, Waiters } from './waiters'

export const SERVER_VERSION = '3.4.23'
export const CLUSTER_VERSION = '3.4.0'

export { StartError }

const codec = internalRequestCodec<InternalRequest>()

type ProposalBody = Omit<InternalRequest, 'ID' | 'proposer'>

export interface ServerEvents {
  /** Raft or membership state changed (debug stream). */
  onState?: () => void
  onTrace?: (kind: string, detail: string, from?: string, to?: string) => void
  /** This member was removed from the cluster: the process should stop. */
  onRemoved?: () => void
}

export class EtcdServer {
  readonly cfg: MemberConfig
  sm!: StateMachine
  raft!: RaftNode
  transport!: PeerTransport
  private wal!: Wal
  localId = '0'
  clusterId = '0'
  lead = NO_NODE
  term = 0
  role: SoftState['role'] = 'follower'
  private idGen!: IdGenerator
  private readonly waiters = new Waiters()
  private readonly appliedWaiters = new AppliedWaiters()
  private reads!: ReadIndexBatcher
  private duties: LeaderDuties | undefined
  private leaderWaiters: Array<() => void> = []
  private stopped = false
  private removedNoticed = false
  readonly requestTimeoutMs: number
  readonly events: ServerEvents = {}
  readonly log: (line: string) => void

  constructor(cfg: MemberConfig, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)) {
    this.cfg = cfg
    this.log = log
    // etcd: 5 s plus two election timeouts.
    this.requestTimeoutMs = 5000 + 2 * cfg.electionMs
  }

  get memberDir(): string {
    return path.join(this.cfg.dataDir, 'member')
  }

  async start(): Promise<void> {
    const cfg = this.cfg
    const walDir = cfg.walDir || path.join(this.memberDir, 'wal')
    const snapshotter = new Snapshotter(path.join(this.memberDir, 'snap'))
    const boot = await openDataDir(cfg, walDir, this.log)
    this.wal = boot.wal
    this.localId = boot.localId
    this.clusterId = boot.clusterId
    const { initialMembers, fresh, replay } = boot
    for (const m of initialMembers) if (m.ID === this.localId) m.name = cfg.name

    const minLeaseTTL = Math.ceil((1.5 * cfg.electionMs) / 1000)
    this.sm = new StateMachine(this.clusterId, this.localId, minLeaseTTL)
    for (const m of initialMembers) this.sm.cluster.add(m)
    this.idGen = new IdGenerator(this.localId)

    const storage = new MemoryStorage()
    let snapshotIndex = 0
    const snap = await snapshotter.loadNewest(replay ? replay.snapshot.index : 0)
    const marked = replay?.snapshot.index ?? 0
    if (marked > 0 && (!snap || snap.index < marked)) {
      // The WAL dropped the entries before its snapshot mark; without that snapshot the state
      // would silently miss them.
      await this.wal.close()
      throw new StartError(`snapshot at index ${marked} is missing or corrupt in ${path.join(this.memberDir, 'snap')}; the WAL no longer holds the entries before it`)
    }
    if (snap) {
      const { confState, state } = decodeSnapshotFile(snap.data)
      decodeStateInto(this.sm, state)
      storage.applySnapshot({ data: state, metadata: { index: snap.index, term: snap.term, confState } })
      snapshotIndex = snap.index
    }
    if (replay) {
      storage.setHardState(replay.hardState)
      storage.append(replay.entries.filter((e) => e.index > snapshotIndex).map((e) => ({ term: e.term, index: e.index, type: e.type as Entry['type'], data: e.data })))
    }
    const node = new RawNode(
      {
        id: this.localId,
        electionTick: Math.max(2, Math.round(cfg.electionMs / cfg.heartbeatMs)),
        heartbeatTick: 1,
        random: Math.random,
        applied: snapshotIndex,
        preVote: true,
        checkQuorum: true,
        // Tracing costs an event object per message: only when the debug service can stream it.
        ...(cfg.enableDebugService ? { trace: (ev: TraceEvent) => this.onRaftTrace(ev) } : {}),
      },
      storage,
    )
    if (fresh && cfg.initialClusterState === 'new') node.bootstrap(initialMembers.map((m) => m.ID))

    this.transport = new PeerTransport({
      localId: this.localId,
      clusterId: this.clusterId,
      onMessage: (m) => this.raft.step(m),
      onUnreachable: (id) => this.raft.reportUnreachable(id),
      onSnapshotSent: (id, ok) => this.raft.reportSnapshot(id, ok),
      log: this.log,
      clusterInfo: () => ({ clusterId: this.clusterId, members: this.sm.cluster.list() }),
      isRemoved: (id) => this.sm.cluster.removed.has(id),
      onRemovedNotice: () => {
        if (this.removedNoticed) return
        this.removedNoticed = true
        this.log('the member has been permanently removed from the cluster')
        setImmediate(() => this.events.onRemoved?.())
      },
    })
    for (const url of cfg.listenPeerUrls) {
      try {
        await this.transport.listen(url)
      } catch (err) {
        await this.wal.close()
        throw new StartError((err as Error).message)
      }
    }
    for (const m of this.sm.cluster.list()) this.transport.setPeer(m.ID, m.peerURLs)

    this.raft = new RaftNode({
      node,
      storage,
      wal: this.wal,
      snapshotter,
      heartbeatMs: cfg.heartbeatMs,
      snapshotCount: cfg.snapshotCount,
      snapshotIndex,
      catchUpEntries: cfg.snapshotCatchUpEntries,
      hooks: {
        applyEntry: (e) => this.applyEntry(e),
        applySnapshot: (s) => this.applySnapshot(s),
        snapshotState: () => encodeState(this.sm),
        onSoftState: (s) => this.onSoftState(s),
        onReadStates: (rs) => {
          for (const r of rs) this.reads.onReadState(r.requestCtx, r.index)
        },
        onApplied: (index) => {
          this.appliedWaiters.applied(index)
          this.events.onState?.()
        },
        send: (msgs) => this.transport.send(msgs),
        log: this.log,
      },
    })
    this.reads = new ReadIndexBatcher((ctx) => this.raft.readIndex(ctx), this.requestTimeoutMs, Math.max(100, cfg.heartbeatMs * 2))
    this.raft.start()
    this.duties = new LeaderDuties(this)
    this.duties.start()
    void this.publish()
  }

  /** Publish our name and client URLs through the log so MemberList shows them (etcd's publish). */
  private async publish(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.propose({ member_attributes: { memberID: this.localId, name: this.cfg.name, clientURLs: this.cfg.advertiseClientUrls } })
        return
      } catch {
        await new Promise((r) => setTimeout(r, 500))
      }
    }
  }

  // ---- apply ----

  private applyEntry(e: Entry): void {
    if (e.type === EntryType.ConfChange) {
      const cc = decodeConfChange(e.data)
      let outcome: ApplyOutcome | undefined
      let req: InternalRequest | undefined
      if (cc.context.byteLength > 0) {
        req = codec.decode(Buffer.from(cc.context))
        // Checked again when applied, as etcd does: two racing changes may both have passed the
        // check at proposal time. A change that is no longer valid changes nothing, in Raft either.
        const invalid = this.sm.checkMemberChange(req)
        if (invalid) {
          this.sm.appliedIndex = e.index
          this.sm.appliedTerm = e.term
          if (req.proposer === this.localId) this.waiters.trigger(req.ID, { result: undefined, error: invalid, revision: this.sm.store.currentRev })
          return
        }
        this.raft.applyConfChange(cc)
        outcome = this.sm.apply(e.index, e.term, req)
      } else {
        this.raft.applyConfChange(cc)
        this.sm.appliedIndex = e.index
        this.sm.appliedTerm = e.term
      }
      if (cc.type === 'removeNode') {
        this.transport.removePeer(cc.nodeId)
        if (cc.nodeId === this.localId) {
          this.log('the member has been permanently removed from the cluster')
          setImmediate(() => this.events.onRemoved?.())
        }
      } else {
        const m = this.sm.cluster.get(cc.nodeId)
        if (m) this.transport.setPeer(m.ID, m.peerURLs)
      }
      if (req && outcome && req.proposer === this.localId) this.waiters.trigger(req.ID, outcome)
      this.events.onState?.()
      return
    }
    if (e.data.byteLength === 0) {
      // The empty entry a new leader appends.
      this.sm.appliedIndex = e.index
      this.sm.appliedTerm = e.term
      return
    }
    const req = codec.decode(Buffer.from(e.data))
    const outcome = this.sm.apply(e.index, e.term, req)
    if (req.member_change) {
      const m = this.sm.cluster.get(req.member_change.member.ID)
      if (m) this.transport.setPeer(m.ID, m.peerURLs)
    }
    if (req.proposer === this.localId) this.waiters.trigger(req.ID, outcome)
  }

  private applySnapshot(s: Snapshot): void {
    decodeStateInto(this.sm, Buffer.from(s.data))
    for (const m of this.sm.cluster.list()) this.transport.setPeer(m.ID, m.peerURLs)
    for (const id of this.transport.peers()) if (!this.sm.cluster.get(id)) this.transport.removePeer(id)
    if (this.role === 'leader') this.sm.lessor.promote()
    this.log(`applied snapshot at index ${s.metadata.index} from the leader`)
  }

  private onSoftState(s: SoftState): void {
    const wasLeader = this.role === 'leader'
    const oldLead = this.lead
    this.lead = s.lead
    this.role = s.role
    this.term = this.raft?.status().term ?? this.term
    if (s.role === 'leader' && !wasLeader) {
      // Like etcd: a new leader gives every lease a fresh TTL, plus one election timeout of grace.
      this.sm.lessor.promote(this.cfg.electionMs)
      if (!this.sm.clusterVersion) this.propose({ cluster_version: { ver: CLUSTER_VERSION } }).catch(() => {})
    } else if (wasLeader && s.role !== 'leader') {
      this.sm.lessor.demote()
    }
    if (oldLead !== s.lead) {
      this.log(s.lead === NO_NODE ? `lost leader ${toHex(oldLead)}` : `elected leader ${toHex(s.lead)} at term ${this.term}`)
      if (s.lead !== NO_NODE) for (const w of this.leaderWaiters.splice(0)) w()
    }
    this.events.onState?.()
  }

  private onRaftTrace(ev: TraceEvent): void {
    if (!this.events.onTrace) return
    if (ev.kind === 'send' || ev.kind === 'receive') {
      this.events.onTrace(ev.kind, ev.message.type, ev.message.from, ev.message.to)
    } else if (ev.kind === 'role') {
      this.events.onTrace('role', `${ev.from} -> ${ev.to} term ${ev.term}`)
    } else if (ev.kind === 'commit') {
      this.events.onTrace('commit', `${ev.from} -> ${ev.to}`)
    } else if (ev.kind === 'vote') {
      this.events.onTrace('vote', `${ev.preVote ? 'pre-vote' : 'vote'} for ${toHex(ev.candidate)} ${ev.granted ? 'granted' : 'rejected'} term ${ev.term}`)
    }
  }

  // ---- operations for the API ----

  header(revision = this.sm.store.currentRev): ResponseHeader {
    return { cluster_id: this.clusterId, member_id: this.localId, revision: String(revision), raft_term: String(this.raft.status().term) }
  }

  private waitForLeader(deadline: number): Promise<boolean> {
    if (this.lead !== NO_NODE) return Promise.resolve(true)
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()))
      this.leaderWaiters.push(() => {
        clearTimeout(t)
        resolve(true)
      })
    })
  }

  /** Propose a request through Raft and wait for it to be applied here. */
  async propose(body: ProposalBody, confChange?: Omit<ConfChange, 'context'>): Promise<ApplyOutcome> {
    if (this.stopped) throw Errors.stopped()
    const id = this.idGen.next().toString()
    const req = { ...body, ID: id, proposer: this.localId } as InternalRequest
    const data = codec.encode(req)
    if (data.length > this.cfg.maxRequestBytes) throw Errors.requestTooLarge()
    const deadline = Date.now() + this.requestTimeoutMs
    const done = this.waiters.register(id, this.requestTimeoutMs, () => (this.lead === NO_NODE ? Errors.timeoutDueToLeaderFail() : Errors.timeout()))
    done.catch(() => {})
    for (;;) {
      const ok = confChange ? this.raft.proposeConfChange({ ...confChange, context: data }) : this.raft.propose(data)
      if (ok) break
      // Dropped (no leader known yet): wait for one, then try again.
      if (!(await this.waitForLeader(deadline)) || Date.now() >= deadline) {
        this.waiters.fail(id, Errors.timeout())
        break
      }
      if (this.lead !== NO_NODE) await new Promise((r) => setTimeout(r, 20))
    }
    const outcome = await done
    if (outcome.error) throw outcome.error
    return outcome
  }

  /** Wait until this member has applied everything committed before the call (ReadIndex). */
  async linearizableBarrier(): Promise<void> {
    const index = await this.reads.read()
    await this.appliedWaiters.wait(index, this.raft.applied)
  }

  /** fdatasync count and total time of the WAL (debug stream). */
  walStats(): { syncs: number; syncMs: number } {
    return this.wal.stats
  }

  /** Next ID from etcd's generator (lease IDs). */
  nextId(): bigint {
    return this.idGen.next()
  }

  isLeader(): boolean {
    return this.role === 'leader'
  }

  leaderMember(): Member | undefined {
    return this.lead === NO_NODE ? undefined : this.sm.cluster.get(this.lead)
  }

  /** NOSPACE handling before a write that grows the store (etcd's quota check). */
  async checkQuota(requestBytes: number): Promise<void> {
    if (this.sm.hasAlarm('NOSPACE')) throw Errors.noSpace()
    if (this.sm.store.sizeInUse() + requestBytes > quotaBytes(this.cfg)) {
      await this.propose({ alarm: { action: 'ACTIVATE', memberID: this.localId, alarm: 'NOSPACE' } }).catch(() => {})
      throw Errors.noSpace()
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return
    await this.handOverLeadership()
    this.stopped = true
    this.duties?.stop()
    await this.raft?.stop()
    this.waiters.failAll(Errors.stopped())
    this.reads?.failAll(Errors.stopped())
    await this.transport?.close()
    await this.wal?.close()
  }

  /**
   * A leader stopping gracefully first hands leadership to its most caught-up voter, as etcd does,
   * so the cluster does not wait out an election timeout.
   */
  private async handOverLeadership(): Promise<void> {
    if (!this.raft || !this.isLeader()) return
    const st = this.raft.status()
    let best: string | undefined
    let bestMatch = -1
    for (const id of this.sm.cluster.voters()) {
      if (id === this.localId) continue
      const pr = st.progress.get(id)
      if (pr?.recentActive && pr.match > bestMatch) {
        best = id
        bestMatch = pr.match
      }
    }
    if (!best) return
    this.log(`transferring leadership to ${toHex(best)} before stopping`)
    this.raft.transferLeader(best)
    const deadline = Date.now() + this.cfg.electionMs
    while (this.lead !== best && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
  }

}
