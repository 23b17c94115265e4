/**
 * raftdeck.Debug: the playground's view into a member (Raft role, term, indexes, per-peer
 * progress and message counts, trace events) and its fault controls. Served only with
 * --enable-debug-service.
 */
import type * as grpc from '@grpc/grpc-js'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import type { EtcdServer } from '../server/etcdServer'
import { unary } from './handler'

const ROLE_NAMES: Record<string, string> = { follower: 'follower', preCandidate: 'pre-candidate', candidate: 'candidate', leader: 'leader' }

// Started once per process, only when the debug service exists.
let loopDelay: ReturnType<typeof monitorEventLoopDelay> | undefined

export function raftState(server: EtcdServer) {
  const st = server.raft.status()
  const isLearner = server.sm.cluster.get(server.localId)?.isLearner ?? false
  const peers = server.sm.cluster
    .list()
    .filter((m) => m.ID !== server.localId)
    .map((m) => {
      const pr = st.progress.get(m.ID)
      const stats = server.transport.stats.get(m.ID)
      const fault = server.transport.faults.get(m.ID)
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
  return {
    member_id: server.localId,
    role: isLearner ? 'learner' : (ROLE_NAMES[st.role] ?? st.role),
    term: String(st.term),
    vote: st.vote,
    leader: st.lead,
    commit: String(st.commit),
    applied: String(server.raft.applied),
    last_index: String(st.lastIndex),
    snapshot_index: String(server.raft.snapshotAt),
    revision: String(server.sm.store.currentRev),
    peers,
    wal_syncs: String(server.walStats().syncs),
    wal_sync_avg_ms: server.walStats().syncs ? server.walStats().syncMs / server.walStats().syncs : 0,
    event_loop_p99_ms: loopP99(),
  }
}

function loopP99(): number {
  if (!loopDelay) return 0
  const p99 = loopDelay.percentile(99) / 1e6
  loopDelay.reset()
  return Number.isFinite(p99) ? p99 : 0
}

export function debugService(server: EtcdServer): grpc.UntypedServiceImplementation {
  if (!loopDelay) {
    loopDelay = monitorEventLoopDelay({ resolution: 10 })
    loopDelay.enable()
  }
  const subscribers = new Set<{ state: () => void; trace: (kind: string, detail: string, from?: string, to?: string) => void }>()
  server.events.onState = () => {
    for (const s of subscribers) s.state()
  }
  server.events.onTrace = (kind, detail, from, to) => {
    for (const s of subscribers) s.trace(kind, detail, from, to)
  }
  return {
    Watch: (call: grpc.ServerWritableStream<{ interval_ms: number }, unknown>) => {
      const interval = call.request.interval_ms
      let last = 0
      let pending: NodeJS.Timeout | undefined
      const sendState = (): void => {
        last = Date.now()
        call.write({ state: raftState(server) })
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
        trace: (kind: string, detail: string, from?: string, to?: string) =>
          call.write({ trace: { kind, at_unix_ms: String(Date.now()), from: from ?? '0', to: to ?? '0', detail } }),
      }
      subscribers.add(sub)
      sendState()
      const heartbeat = setInterval(sendState, Math.max(interval, 1000))
      const stop = (): void => {
        subscribers.delete(sub)
        clearInterval(heartbeat)
        if (pending) clearTimeout(pending)
      }
      call.on('cancelled', stop)
      call.on('close', stop)
      call.on('error', stop)
    },
    SetFault: unary(server, async (req: { peer_id: string; isolate_out: boolean; isolate_in: boolean; delay_ms: number }) => {
      server.transport.faults.set(req.peer_id, { dropOut: req.isolate_out, dropIn: req.isolate_in, delayMs: req.delay_ms })
      server.events.onState?.()
      return { peers: raftState(server).peers }
    }),
    ClearFaults: unary(server, async () => {
      server.transport.faults.clear()
      server.events.onState?.()
      return { peers: raftState(server).peers }
    }),
  }
}
