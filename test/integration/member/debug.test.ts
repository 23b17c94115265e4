/**
 * raftdeck.Debug on a 3-member cluster: the state stream shows every member's role and peers,
 * trace events flow, and the fault controls cut a leader off (both ways) so the others elect a new
 * leader, then heal it back into the cluster as a follower.
 */
import { afterAll, describe, expect, it } from 'vitest'
import * as grpc from '@grpc/grpc-js'
import { etcdGrpcObject } from '../../../src-main/etcdpb/load'
import { cleanupAll, etcdctl, startCluster, waitFor } from './support/procs'

interface RaftState {
  member_id: string
  role: string
  term: string
  leader: string
  peers: Array<{ id: string; isolated_out: boolean; isolated_in: boolean; msgs_sent: string }>
  wal_syncs: string
  event_loop_p99_ms: number
}

/** debug.proto's typed TraceEvent, as proto-loader hands it over. */
interface WireTrace {
  event: 'send' | 'receive' | 'role' | 'vote' | 'commit'
  send?: { type: string; from: string; to: string; entries: number }
  receive?: { type: string; from: string; to: string; entries: number }
}

type DebugClient = grpc.Client & {
  Watch(req: object): grpc.ClientReadableStream<{ state?: RaftState; trace?: WireTrace }>
  SetFault(req: object, cb: (e: grpc.ServiceError | null, r: { peers: RaftState['peers'] }) => void): void
  ClearFaults(req: object, cb: (e: grpc.ServiceError | null, r: object) => void): void
}

function debugClient(ep: string): DebugClient {
  const pkg = etcdGrpcObject().raftdeck as grpc.GrpcObject
  const Ctor = pkg.Debug as unknown as new (a: string, c: grpc.ChannelCredentials) => DebugClient
  return new Ctor(ep, grpc.credentials.createInsecure())
}

describe('raftdeck.Debug', () => {
  afterAll(cleanupAll)

  it('streams raft state and trace events, and isolates and heals a member', async () => {
    const c = await startCluster('raftdeck', 3, ['--enable-debug-service'])
    const clients = c.endpoints.map(debugClient)
    const latest = new Map<number, RaftState>()
    const traces: WireTrace[] = []
    const streams = clients.map((cl, i) => {
      const s = cl.Watch({ interval_ms: 50 })
      s.on('data', (ev: { state?: RaftState; trace?: WireTrace }) => {
        if (ev.state) latest.set(i, ev.state)
        if (ev.trace) traces.push(ev.trace)
      })
      s.on('error', () => {})
      return s
    })
    try {
      const leaderIdx = await waitFor('all members to report one leader', async () => {
        if (latest.size < 3) return undefined
        const leaders = new Set([...latest.values()].map((s) => s.leader))
        if (leaders.size !== 1 || [...leaders][0] === '0') return undefined
        const i = [...latest.entries()].find(([, s]) => s.role === 'leader')?.[0]
        return i
      })
      const leader = latest.get(leaderIdx)!
      expect(leader.peers).toHaveLength(2)
      expect(Number(leader.wal_syncs)).toBeGreaterThan(0)
      expect(leader.event_loop_p99_ms).toBeGreaterThanOrEqual(0)
      await etcdctl(c.endpoints, ['put', 'traced', '1'])
      // Typed trace events: the leader's append carrying the put, and a follower receiving one.
      await waitFor('trace events', async () =>
        traces.some((t) => t.event === 'send' && t.send?.type === 'MsgApp' && t.send.from === leader.member_id && t.send.entries > 0) &&
        traces.some((t) => t.event === 'receive' && t.receive?.type === 'MsgApp' && t.receive.from === leader.member_id),
      )

      // Cut the leader off from both peers, both ways.
      for (const p of leader.peers) {
        await new Promise<void>((resolve, reject) =>
          clients[leaderIdx]!.SetFault({ peer_id: p.id, isolate_out: true, isolate_in: true, delay_ms: 0 }, (e) => (e ? reject(e) : resolve())),
        )
      }
      const others = [0, 1, 2].filter((i) => i !== leaderIdx)
      const newLeader = await waitFor(
        'a new leader among the others',
        async () => {
          const states = others.map((i) => latest.get(i)!)
          const l = states[0]!.leader
          return l !== '0' && l !== leader.member_id && states.every((s) => s.leader === l) ? l : undefined
        },
        30_000,
      )
      expect((await etcdctl(others.map((i) => c.endpoints[i]!), ['put', 'during', 'partition'])).code).toBe(0)

      await new Promise<void>((resolve, reject) => clients[leaderIdx]!.ClearFaults({}, (e) => (e ? reject(e) : resolve())))
      await waitFor(
        'the old leader to follow the new one',
        async () => {
          const s = latest.get(leaderIdx)!
          return s.role === 'follower' && s.leader === newLeader
        },
        30_000,
      )
      expect((await etcdctl(c.endpoints[leaderIdx]!, ['get', 'during'])).stdout).toBe('during\npartition\n')

      // A states-only watch (no_traces: what the playground opens while no view shows traces) gets
      // states and no trace event, while a watch beside it on the same member still gets them.
      const quiet: { states: number; traces: number } = { states: 0, traces: 0 }
      const q = clients[leaderIdx]!.Watch({ interval_ms: 0, no_traces: true })
      q.on('data', (ev: { state?: RaftState; trace?: WireTrace }) => {
        if (ev.state) quiet.states++
        if (ev.trace) quiet.traces++
      })
      q.on('error', () => {})
      streams.push(q)
      await waitFor('the states-only watch to get its first state', async () => quiet.states > 0)
      const tracedBefore = traces.length
      for (let i = 0; i < 5; i++) expect((await etcdctl(c.endpoints, ['put', `quiet-${i}`, 'x'])).code).toBe(0)
      await waitFor('trace events on the other watches', async () => traces.length > tracedBefore)
      await waitFor('states on the states-only watch after the puts', async () => quiet.states > 5)
      expect(quiet.traces).toBe(0)

      // The Raft core builds trace events only while a watch wants them: with that member's traced
      // watch gone it stops, and a new traced watch switches it on again. (The member may no
      // longer lead after the partition above: its put traffic is an append sent or received.)
      streams[leaderIdx]!.cancel()
      const statesBefore = quiet.states
      for (let i = 0; i < 3; i++) expect((await etcdctl(c.endpoints, ['put', `untraced-${i}`, 'x'])).code).toBe(0)
      await waitFor('states on the states-only watch with no traced watch left', async () => quiet.states > statesBefore)
      const again: WireTrace[] = []
      let againStates = 0
      const t = clients[leaderIdx]!.Watch({ interval_ms: 50 })
      t.on('data', (ev: { state?: RaftState; trace?: WireTrace }) => {
        if (ev.state) againStates++
        if (ev.trace) again.push(ev.trace)
      })
      t.on('error', () => {})
      streams.push(t)
      // Its first state says the member has it (and has switched tracing on) before the put.
      await waitFor('the new traced watch to get its first state', async () => againStates > 0)
      expect((await etcdctl(c.endpoints, ['put', 'traced-again', '1'])).code).toBe(0)
      await waitFor('trace events on the new traced watch', async () =>
        again.some((e) => (e.event === 'send' && e.send?.type === 'MsgApp' && e.send.entries > 0) || (e.event === 'receive' && e.receive?.type === 'MsgApp' && e.receive.entries > 0)),
      )
      expect(quiet.traces).toBe(0)
    } finally {
      for (const s of streams) s.cancel()
      for (const cl of clients) cl.close()
    }
  })
})
