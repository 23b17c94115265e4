// A simulated cluster: nodes driving the Raft core exactly as a member would
// (Ready → send leader messages → persist → send the rest → apply →
// advance), over the simulated network, on the virtual clock.

import type { Faults } from '../../src-main/raft/config'
import { decodeConfChange } from '../../src-main/raft/confChange'
import { contextKey } from '../../src-main/raft/readOnly'
import { RawNode, canSendBeforePersist } from '../../src-main/raft/rawNode'
import { MemoryStorage } from '../../src-main/raft/storage'
import type { TraceEvent } from '../../src-main/raft/trace'
import type { ConfChange, Message, NodeId, Role } from '../../src-main/raft/types'
import { EntryType, MessageType } from '../../src-main/raft/types'
import { EventQueue } from './eventQueue'
import { Invariants } from './invariants'
import { KvStore, decodeCommand } from './kvStore'
import type { KvResult } from './kvStore'
import { Network } from './network'
import type { NetworkOptions } from './network'
import { Rng } from './prng'

export interface ClusterOptions {
  readonly voters: number
  readonly tickMs: number
  readonly electionTick: number
  readonly heartbeatTick: number
  readonly network: NetworkOptions
  /** Take a state-machine snapshot every this many applied entries (0: never). */
  readonly snapshotEvery: number
  /** Entries kept behind a snapshot for slow followers. */
  readonly snapshotKeep: number
  readonly maxInflightMsgs: number
  readonly maxSizePerMsg: number
  readonly maxUncommittedEntriesSize: number
  /** Probability that a node crashes between sending its leader messages and persisting a Ready. */
  readonly crashMidReadyRate: number
  /** A crash also loses the messages the node sent that are still in flight (its socket buffers). */
  readonly crashLosesInFlight: boolean
  readonly preVote: boolean
  readonly checkQuorum: boolean
  readonly faults: Faults
}

export const DEFAULT_CLUSTER: ClusterOptions = {
  voters: 3,
  tickMs: 10,
  electionTick: 10,
  heartbeatTick: 1,
  network: { minDelay: 1, maxDelay: 4, dropRate: 0, dupRate: 0, reorderRate: 0, longDelayMax: 0, fifo: true },
  snapshotEvery: 0,
  snapshotKeep: 5,
  maxInflightMsgs: 8,
  maxSizePerMsg: 4096,
  maxUncommittedEntriesSize: 0,
  crashMidReadyRate: 0,
  crashLosesInFlight: false,
  preVote: true,
  checkQuorum: true,
  faults: {},
}

export interface ReadWaiter {
  readonly key: string
  index: number | null
  readonly resolve: (value: string | null) => void
}

export class SimNode {
  readonly storage = new MemoryStorage()
  rn: RawNode | null = null
  kv = new KvStore()
  up = false
  removed = false
  incarnation = 0
  applied = 0
  /** Commit index this incarnation last reported, for the commit invariant. */
  seenCommit = 0
  readonly writeWaiters = new Map<string, (r: KvResult) => void>()
  readonly readWaiters = new Map<string, ReadWaiter>()

  constructor(readonly id: NodeId) {}

  role(): Role | 'down' {
    return this.up && this.rn ? this.rn.raft.role : 'down'
  }
}

export interface ClusterStats {
  messages: number
  delivered: number
  elections: number
  crashes: number
  snapshotsSent: number
  rejections: Map<NodeId, number>
}

export class Cluster {
  readonly q = new EventQueue()
  readonly inv = new Invariants()
  readonly net: Network
  readonly nodes = new Map<NodeId, SimNode>()
  readonly stats: ClusterStats = { messages: 0, delivered: 0, elections: 0, crashes: 0, snapshotsSent: 0, rejections: new Map() }
  /** Trace lines when tracing is on (null = off, the fast path). */
  readonly trace: string[] | null
  private readonly netRng: Rng
  private readonly faultRng: Rng
  private readonly seed: number
  private nextId = 1
  /** Set for the final settling phase: no more injected crashes. */
  calm = false
  /** Trace empty appends and acks too. */
  traceVerbose = false
  private events = 0
  /** Hooks for scenarios and the workload. */
  onConfApplied: ((node: SimNode, cc: ConfChange) => void) | null = null
  onMessage: ((m: Message) => void) | null = null
  /** Called when a node has answered a client write (after applying it). */
  onWriteAcked: ((n: SimNode) => void) | null = null
  /** A scenario's targeted message filter: return the message to deliver (possibly altered) or null to lose it. */
  rewrite: ((m: Message) => Message | null) | null = null

  constructor(
    readonly opts: ClusterOptions,
    seed: number,
    trace: boolean,
  ) {
    this.seed = seed
    const root = new Rng(seed)
    this.netRng = root.fork()
    this.faultRng = root.fork()
    this.net = new Network(opts.network, this.netRng)
    this.trace = trace ? [] : null
  }

  log(line: string): void {
    if (this.trace) {
      this.trace.push(`${String(this.q.now).padStart(6)} ${line}`)
      if (this.trace.length > 4000) this.trace.splice(0, 1000)
    }
  }

  ids(): NodeId[] {
    return [...this.nodes.keys()]
  }

  liveIds(): NodeId[] {
    return this.ids().filter((id) => !this.nodes.get(id)!.removed)
  }

  /** Creates and boots the initial voters. */
  bootstrap(): void {
    const ids: NodeId[] = []
    for (let i = 0; i < this.opts.voters; i++) ids.push(String(this.nextId++))
    for (const id of ids) {
      const n = new SimNode(id)
      this.nodes.set(id, n)
      this.startNode(n)
      n.rn!.bootstrap(ids)
      this.drain(n)
    }
  }

  /** A new, empty node that is not in any configuration yet (etcd: started after MemberAdd). */
  createNode(): SimNode {
    const n = new SimNode(String(this.nextId++))
    this.nodes.set(n.id, n)
    this.startNode(n)
    return n
  }

  private startNode(n: SimNode): void {
    this.inv.checkDurable(n.id, n.storage)
    const snap = n.storage.snapshot()
    n.kv = KvStore.restore(snap.data)
    n.applied = snap.metadata.index
    n.seenCommit = n.storage.initialState().hardState.commit
    n.incarnation++
    const o = this.opts
    const tr = this.trace ? (e: TraceEvent) => this.traceCore(e) : undefined
    n.rn = new RawNode(
      {
        id: n.id,
        electionTick: o.electionTick,
        heartbeatTick: o.heartbeatTick,
        random: new Rng((this.seed ^ (Number(n.id) * 0x9e3779b1) ^ (n.incarnation << 20)) >>> 0).next,
        applied: n.applied,
        maxSizePerMsg: o.maxSizePerMsg,
        maxInflightMsgs: o.maxInflightMsgs,
        maxUncommittedEntriesSize: o.maxUncommittedEntriesSize,
        preVote: o.preVote,
        checkQuorum: o.checkQuorum,
        faults: o.faults,
        trace: tr,
      },
      n.storage,
    )
    this.inv.onRestart(n.id, n.applied)
    n.up = true
    this.scheduleTick(n, n.incarnation, this.faultRng.between(1, o.tickMs))
  }

  private traceCore(e: TraceEvent): void {
    switch (e.kind) {
      case 'send': {
        const m = e.message
        if (m.type === MessageType.Heartbeat || m.type === MessageType.HeartbeatResp) return
        if ((m.type === MessageType.App || m.type === MessageType.AppResp) && !m.reject && m.entries.length === 0 && !this.traceVerbose) return
        this.log(`${m.from}->${m.to} ${m.type} t${m.term} i${m.index} lt${m.logTerm} c${m.commit} n${m.entries.length}${m.reject ? ` REJECT hint ${m.rejectHint}` : ''}${m.snapshot ? ` snap@${m.snapshot.metadata.index}` : ''}`)
        return
      }
      case 'receive':
      case 'commit':
      case 'apply':
        return
      case 'progress':
        this.log(`${e.node} progress of ${e.peer}: ${e.state} match ${e.match} next ${e.next}`)
        return
      case 'role':
        this.log(`${e.node} ${e.from} -> ${e.to} term ${e.term}`)
        return
      case 'vote':
        if (e.candidate !== e.node) this.log(`${e.node} ${e.granted ? 'grants' : 'rejects'} ${e.preVote ? 'pre-vote' : 'vote'} for ${e.candidate} term ${e.term}`)
        return
      case 'term':
        this.log(`${e.node} term ${e.from} -> ${e.to}`)
        return
      case 'confChange':
        this.log(`${e.node} config voters [${e.voters.join(',')}] learners [${e.learners.join(',')}]`)
        return
      case 'dropped':
        this.log(`${e.node} dropped ${e.what}: ${e.reason}`)
        return
    }
  }

  private scheduleTick(n: SimNode, incarnation: number, delay: number): void {
    this.q.after(delay, () => {
      if (!n.up || n.incarnation !== incarnation) return
      n.rn!.tick()
      this.drain(n)
      this.scheduleTick(n, incarnation, this.opts.tickMs)
    })
  }

  // ------------------------------------------------------------------ faults

  crash(id: NodeId): void {
    const n = this.nodes.get(id)!
    if (!n.up) return
    this.log(`CRASH ${id}`)
    this.stats.crashes++
    n.up = false
    n.rn = null
    n.writeWaiters.clear()
    n.readWaiters.clear()
  }

  restart(id: NodeId): void {
    const n = this.nodes.get(id)!
    if (n.up || n.removed) return
    this.log(`RESTART ${id}`)
    this.startNode(n)
    this.drain(n)
  }

  /** Role of the live leader with the highest term, if any. */
  leader(): SimNode | null {
    let best: SimNode | null = null
    for (const n of this.nodes.values()) {
      if (n.up && n.rn!.raft.role === 'leader' && (!best || n.rn!.raft.term > best.rn!.raft.term)) best = n
    }
    return best
  }

  proposeConfChange(cc: ConfChange): boolean {
    const l = this.leader()
    if (!l) return false
    this.log(`PROPOSE ${cc.type} ${cc.nodeId} via ${l.id}`)
    const ok = l.rn!.proposeConfChange(cc)
    this.drain(l)
    return ok
  }

  transferLeader(to: NodeId): boolean {
    const l = this.leader()
    if (!l) return false
    this.log(`TRANSFER ${l.id} -> ${to}`)
    const ok = l.rn!.transferLeader(to)
    this.drain(l)
    return ok
  }

  // ------------------------------------------------------------------ messages

  private send(from: SimNode, original: Message): void {
    let m = original
    this.stats.messages++
    if (m.type === MessageType.VoteResp && !m.reject) this.inv.onVoteGranted(m.from, m.term, m.to)
    if (this.onMessage) this.onMessage(m)
    const to = this.nodes.get(m.to)
    if (!to || to.removed || from.removed) return
    if (this.net.isCut(m.from, m.to)) {
      this.lost(m, true)
      return
    }
    if (this.rewrite) {
      const r = this.rewrite(m)
      if (r === null) {
        this.lost(m, false)
        return
      }
      m = r
    }
    const delays = this.net.delays(m.from, m.to, this.q.now)
    if (delays.length === 0) this.lost(m, false)
    const sent = from.incarnation
    for (const d of delays) {
      this.q.after(d, () => {
        if (this.opts.crashLosesInFlight && (!from.up || from.incarnation !== sent)) return
        this.deliver(m)
      })
    }
  }

  /** A lost snapshot or a cut link is reported to the sender, as etcd's transport does. */
  lost(m: Message, unreachable: boolean): void {
    if (m.type !== MessageType.Snap && !unreachable) return
    this.q.after(1, () => {
      const s = this.nodes.get(m.from)
      if (!s || !s.up) return
      if (m.type === MessageType.Snap) s.rn!.reportSnapshot(m.to, false)
      else if (m.type === MessageType.App) s.rn!.reportUnreachable(m.to)
      this.drain(s)
    })
  }

  private deliver(m: Message): void {
    const n = this.nodes.get(m.to)
    if (!n || !n.up || n.removed || this.net.isCut(m.from, m.to)) {
      // A connection to a dead or fenced peer fails visibly, as TCP would.
      this.lost(m, true)
      return
    }
    this.stats.delivered++
    const rn = n.rn!
    if (m.type === MessageType.Vote || m.type === MessageType.PreVote) {
      const log = rn.raft.log
      const li = log.lastIndex()
      const lt = log.lastTerm()
      rn.step(m)
      const resp = m.type === MessageType.Vote ? MessageType.VoteResp : MessageType.PreVoteResp
      for (const out of rn.raft.msgs) {
        if (out.type === resp && out.to === m.from && !out.reject && out.term === m.term) this.inv.onGrant(n.id, li, lt, m)
      }
    } else {
      if (m.type === MessageType.AppResp && m.reject) {
        this.stats.rejections.set(m.from, (this.stats.rejections.get(m.from) ?? 0) + 1)
      }
      rn.step(m)
    }
    if (m.type === MessageType.Snap) {
      this.stats.snapshotsSent++
      const s = this.nodes.get(m.from)
      if (s && s.up) {
        s.rn!.reportSnapshot(m.to, true)
        this.drain(s)
      }
    }
    this.drain(n)
  }

  // ------------------------------------------------------------------ the Ready loop

  drain(n: SimNode): void {
    let rounds = 0
    while (n.up && n.rn!.hasReady()) {
      if (++rounds > 10_000) throw new Error(`ready loop on ${n.id} does not converge`)
      this.handleReady(n)
    }
    if (++this.events % 256 === 0) this.checkLogs()
  }

  checkLogs(): void {
    const logs = new Map<NodeId, MemoryStorage>()
    for (const [id, n] of this.nodes) logs.set(id, n.storage)
    this.inv.checkLogMatching(logs)
  }

  /** End-of-run checks over every node's disk. */
  checkFinal(): void {
    this.checkLogs()
    for (const [id, n] of this.nodes) this.inv.checkDurable(id, n.storage)
  }

  private handleReady(n: SimNode): void {
    const rn = n.rn!
    const raft = rn.raft
    const rd = rn.ready()
    if (rd.softState) {
      if (rd.softState.role === 'leader') {
        this.stats.elections++
        this.inv.onLeader(n.id, raft.term, raft.log)
      }
    }
    if (rd.hardState && rd.hardState.commit !== n.seenCommit) {
      this.inv.onCommit(n.id, rd.hardState.term, raft.log, n.seenCommit, rd.hardState.commit)
      n.seenCommit = rd.hardState.commit
    }
    // 1. A leader's appends and heartbeats go out before its own write.
    for (const m of rd.messages) if (canSendBeforePersist(m)) this.send(n, m)
    // 2. A crash here loses this Ready's entries and hard state, but the
    //    messages above are already on the wire.
    if (!this.calm && this.opts.crashMidReadyRate > 0 && this.faultRng.chance(this.opts.crashMidReadyRate)) {
      this.log(`CRASH-MID-READY ${n.id} (lost ${rd.entries.length} entries)`)
      this.crash(n.id)
      return
    }
    // 3. Persist.
    const st = n.storage
    if (rd.snapshot) st.applySnapshot(rd.snapshot)
    st.append(rd.entries)
    if (rd.hardState) {
      const prev = st.initialState().hardState
      if (rd.hardState.commit < prev.commit) throw new Error(`${n.id} persisted commit went back ${prev.commit} -> ${rd.hardState.commit}`)
      st.setHardState(rd.hardState)
    }
    // 4. Everything else only now that it is durable.
    for (const m of rd.messages) if (!canSendBeforePersist(m)) this.send(n, m)
    // 5. Apply.
    if (rd.snapshot) {
      n.kv = KvStore.restore(rd.snapshot.data)
      n.applied = rd.snapshot.metadata.index
      this.inv.onSnapshot(n.id, rd.snapshot.metadata.index, rd.snapshot.metadata.term)
      this.log(`${n.id} installed snapshot at ${n.applied}`)
    }
    for (const e of rd.committedEntries) {
      this.inv.onApply(n.id, e)
      n.applied = e.index
      if (e.type === EntryType.ConfChange) {
        const cc = decodeConfChange(e.data)
        rn.applyConfChange(cc)
        this.log(`${n.id} applied ${cc.type} ${cc.nodeId} at ${e.index}`)
        if (this.onConfApplied) this.onConfApplied(n, cc)
        if (!n.up) return
      } else if (e.data.byteLength > 0) {
        const cmd = decodeCommand(e.data)
        const res = n.kv.apply(cmd)
        if (res) {
          const w = n.writeWaiters.get(`${cmd.c}:${cmd.s}`)
          if (w) {
            n.writeWaiters.delete(`${cmd.c}:${cmd.s}`)
            w(res)
            if (this.onWriteAcked) this.onWriteAcked(n)
          }
        }
      }
    }
    for (const rs of rd.readStates) {
      const w = n.readWaiters.get(contextKey(rs.requestCtx))
      if (w) w.index = rs.index
    }
    if (n.readWaiters.size > 0) this.serveReads(n)
    rn.advance()
    this.maybeSnapshot(n)
  }

  private serveReads(n: SimNode): void {
    for (const [k, w] of n.readWaiters) {
      if (w.index !== null && w.index <= n.applied) {
        n.readWaiters.delete(k)
        w.resolve(n.kv.get(w.key))
      }
    }
  }

  private maybeSnapshot(n: SimNode): void {
    const every = this.opts.snapshotEvery
    if (every <= 0 || !n.up) return
    const st = n.storage
    if (n.applied - st.snapshot().metadata.index < every) return
    st.createSnapshot(n.applied, n.rn!.raft.tracker.confState(), n.kv.snapshot())
    const compactTo = n.applied - this.opts.snapshotKeep
    if (compactTo >= st.firstIndex()) st.compact(compactTo)
  }

  /** Stops a removed member for good (etcd members exit once removed) and fences it off the network. */
  retire(id: NodeId): void {
    const n = this.nodes.get(id)
    if (!n || n.removed) return
    this.log(`RETIRE ${id}`)
    this.crash(id)
    n.removed = true
  }

  /** The current leader's configuration (voters and learners), or null without a leader. */
  config(): { voters: Set<NodeId>; learners: Set<NodeId> } | null {
    const l = this.leader()
    if (!l) return null
    const t = l.rn!.raft.tracker
    return { voters: new Set(t.voters), learners: new Set(t.learners) }
  }

  /**
   * True when every member of the leader's configuration is up, has applied
   * the leader's commit index and holds the same data.
   */
  converged(): boolean {
    const l = this.leader()
    if (!l) return false
    const t = l.rn!.raft.tracker
    const commit = l.rn!.raft.log.committed
    const digest = l.kv.digest()
    for (const id of t.progress.keys()) {
      const n = this.nodes.get(id)
      if (!n || !n.up || n.applied !== commit || n.kv.digest() !== digest) return false
    }
    return l.applied === commit
  }
}
