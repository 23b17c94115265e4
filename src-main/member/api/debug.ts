/**
 * raftdeck.Debug: the playground's view into a member (Raft role, term, indexes, per-peer
 * progress and message counts, typed trace events) and its fault controls. Served only with
 * --enable-debug-service.
 */
import type * as grpc from '@grpc/grpc-js'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { busyStretchMessage, LoopMonitor } from '../server/loopMonitor'
import type { Message, Role, TraceEvent } from '../../raft/index'
import type { PeerDiagnostics } from '../peer/transport'
import type { ApiContext, RaftView, Roles, ServerEvents } from '../server/ports'
import { unary } from './handler'

/** What the debug service reads and controls. */
export type DebugHost = ApiContext &
  RaftView &
  Pick<Roles, 'isLearner'> & {
    readonly peerDiagnostics: PeerDiagnostics
    readonly events: Pick<ServerEvents, 'onState' | 'onTrace'>
    /** Whether the Raft core builds trace events (on only while a watcher wants them). */
    traceRaft(on: boolean): void
    walStats(): { syncs: number; syncMs: number }
  }

const ROLE_NAMES: Record<Role, string> = { follower: 'follower', preCandidate: 'pre-candidate', candidate: 'candidate', leader: 'leader' }

// Started once per process, only when the debug service exists.
let loopDelay: ReturnType<typeof monitorEventLoopDelay> | undefined
let loopBlocks: LoopMonitor | undefined

/**
 * Called once the member has booted and serves: from then on the longest busy stretch counts. Loading
 * the data at boot (a 300,000-key state is seconds of decoding and full collections of a growing
 * heap) happens before the member's Raft node exists, so no heartbeat can be late then; counting it
 * made `loop_block_max_ms` say more about start-up than about the running member.
 */
export function countBusyStretchesFromNow(): void {
  loopBlocks?.resetMax()
}

export function raftState(member: DebugHost) {
  const st = member.raftStatus()
  const diag = member.peerDiagnostics
  const peers = member.state.cluster
    .list()
    .filter((m) => m.ID !== member.localId)
    .map((m) => {
      const pr = st.progress.get(m.ID)
      const stats = diag.stats.get(m.ID)
      const fault = diag.faults.get(m.ID)
      return {
        id: m.ID,
        match: String(pr?.match ?? 0),
        next: String(pr?.next ?? 0),
        state: pr?.state ?? '',
        recent_active: pr?.recentActive ?? false,
        msgs_sent: String(stats?.sent ?? 0),
        msgs_received: String(stats?.received ?? 0),
        isolated_out: fault?.dropOut ?? false,
        isolated_in: fault?.dropIn ?? false,
        delay_ms: fault?.delayMs ?? 0,
      }
    })
  const wal = member.walStats()
  return {
    member_id: member.localId,
    role: member.isLearner() ? 'learner' : ROLE_NAMES[st.role],
    term: String(st.term),
    vote: st.vote,
    leader: st.lead,
    commit: String(st.commit),
    applied: String(member.state.appliedIndex),
    last_index: String(st.lastIndex),
    snapshot_index: String(member.snapshotIndex),
    revision: String(member.state.store.currentRev),
    peers,
    wal_syncs: String(wal.syncs),
    wal_sync_avg_ms: wal.syncs ? wal.syncMs / wal.syncs : 0,
    event_loop_p99_ms: loopP99(),
    loop_block_max_ms: loopBlocks?.maxBlockMs ?? 0,
    loop_block_max_own_ms: loopBlocks?.maxOwnMs ?? 0,
  }
}

function loopP99(): number {
  if (!loopDelay) return 0
  const p99 = loopDelay.percentile(99) / 1e6
  loopDelay.reset()
  return Number.isFinite(p99) ? p99 : 0
}

function messageTrace(m: Message) {
  return {
    type: m.type,
    from: m.from,
    to: m.to,
    term: String(m.term),
    log_term: String(m.logTerm),
    index: String(m.index),
    commit: String(m.commit),
    entries: m.entries.length,
    reject: m.reject,
  }
}

/** A core trace event as the wire's TraceEvent (debug.proto); events the playground does not show are dropped. */
export function traceToWire(ev: TraceEvent, atUnixMs: number): object | undefined {
  const at_unix_ms = String(atUnixMs)
  switch (ev.kind) {
    case 'send':
      return { at_unix_ms, send: messageTrace(ev.message) }
    case 'receive':
      return { at_unix_ms, receive: messageTrace(ev.message) }
    case 'role':
      return { at_unix_ms, role: { from: ROLE_NAMES[ev.from], to: ROLE_NAMES[ev.to], term: String(ev.term), leader: ev.lead } }
    case 'vote':
      return { at_unix_ms, vote: { voter: ev.voter, candidate: ev.candidate, term: String(ev.term), pre_vote: ev.preVote, granted: ev.granted } }
    case 'commit':
      return { at_unix_ms, commit: { from: String(ev.from), to: String(ev.to), term: String(ev.term) } }
    default:
      return undefined
  }
}

/** The part of a server stream the trace gate uses. */
export interface TraceSink {
  write(msg: object): boolean
  once(event: 'drain', listener: () => void): unknown
}

/**
 * Trace events for one Watch stream, with backpressure: while the stream's buffer is full, trace
 * events are dropped (and counted) instead of queued. A Raft round of one put makes dozens of
 * events; a watcher that reads slower than the member writes (the playground's process under
 * load) would otherwise have them pile up in the member's memory and keep its thread busy writing
 * them long after. States are not dropped: they are rate-limited by the stream's interval already.
 */
export function traceGate(sink: TraceSink): { trace(wire: object): void; readonly dropped: number } {
  let blocked = false
  let dropped = 0
  return {
    trace(wire) {
      if (blocked) {
        dropped++
        return
      }
      if (!sink.write({ trace: wire })) {
        blocked = true
        sink.once('drain', () => {
          blocked = false
        })
      }
    },
    get dropped() {
      return dropped
    },
  }
}

export function debugService(member: DebugHost): grpc.UntypedServiceImplementation {
  if (!loopDelay) {
    loopDelay = monitorEventLoopDelay({ resolution: 10 })
    loopDelay.enable()
    loopBlocks = new LoopMonitor((ms, gc) => member.log(busyStretchMessage(ms, gc)))
    loopBlocks.start()
  }
  const subscribers = new Set<{ state: () => void; trace: ((wire: object) => void) | null }>()
  // Streams that want trace events; while there are none, the Raft core does not even build them.
  let tracing = 0
  member.events.onState = () => {
    for (const s of subscribers) s.state()
  }
  member.events.onTrace = (ev) => {
    const wire = traceToWire(ev, Date.now())
    if (wire) for (const s of subscribers) s.trace?.(wire)
  }
  return {
    Watch: (call: grpc.ServerWritableStream<{ interval_ms: number; no_traces: boolean }, unknown>) => {
      const interval = call.request.interval_ms
      const wantsTraces = !call.request.no_traces
      let last = 0
      let pending: NodeJS.Timeout | undefined
      const sendState = (): void => {
        last = Date.now()
        call.write({ state: raftState(member) })
      }
      const sub = {
        state: () => {
          if (!interval) return sendState()
          if (pending) return
          const wait = Math.max(0, last + interval - Date.now())
          pending = setTimeout(() => {
            pending = undefined
            sendState()
          }, wait)
        },
        trace: wantsTraces ? traceGate(call).trace : null,
      }
      subscribers.add(sub)
      if (wantsTraces && tracing++ === 0) member.traceRaft(true)
      sendState()
      const heartbeat = setInterval(sendState, Math.max(interval, 1000))
      const stop = (): void => {
        if (!subscribers.delete(sub)) return
        if (wantsTraces && --tracing === 0) member.traceRaft(false)
        clearInterval(heartbeat)
        if (pending) clearTimeout(pending)
      }
      call.on('cancelled', stop)
      call.on('close', stop)
      call.on('error', stop)
    },
    SetFault: unary(member, async (req: { peer_id: string; isolate_out: boolean; isolate_in: boolean; delay_ms: number }) => {
      member.peerDiagnostics.faults.set(req.peer_id, { dropOut: req.isolate_out, dropIn: req.isolate_in, delayMs: req.delay_ms })
      member.events.onState?.()
      return { peers: raftState(member).peers }
    }),
    ClearFaults: unary(member, async () => {
      member.peerDiagnostics.faults.clear()
      member.events.onState?.()
      return { peers: raftState(member).peers }
    }),
  }
}
