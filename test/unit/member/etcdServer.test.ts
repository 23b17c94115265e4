// EtcdServer in one process, its peers reached through memory (MemoryNetwork): start-up order,
// proposals, membership effects and the fatal-error path, without sockets or child processes.
import { rmSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { makeMessage, MessageType, type Message } from '../../../src-main/raft/index'
import { EtcdServer } from '../../../src-main/member/server/etcdServer'
import { memberRemove } from '../../../src-main/member/server/membership'
import { memberIdFor } from '../../../src-main/member/ids'
import type { PeerHandler } from '../../../src-main/member/peer/transport'
import { MemoryNetwork, memberConfig, until } from './memoryNetwork'
import { countTurns } from './turns'

const started: EtcdServer[] = []
afterEach(async () => {
  for (const s of started.splice(0)) {
    await s.stop().catch(() => {})
    rmSync(s.cfg.dataDir, { recursive: true, force: true })
  }
})

function server(name: string, names: string[], net: MemoryNetwork, onStart?: (h: PeerHandler) => void, fatal: Error[] = []): EtcdServer {
  const s = new EtcdServer(memberConfig(name, names), { log: () => {}, onFatal: (e) => fatal.push(e), transport: net.transport(onStart) })
  started.push(s)
  return s
}

const idOf = (name: string, names: string[]) => memberIdFor([`http://127.0.0.1:${20000 + names.indexOf(name)}`], 'memory')
const put = (key: string, value: string) => ({ put: { key: Buffer.from(key), value: Buffer.from(value), lease: '0', prev_kv: false, ignore_value: false, ignore_lease: false } })

async function leaderOf(servers: EtcdServer[]): Promise<EtcdServer> {
  const agreed = () => {
    const lead = servers[0]!.raftStatus().lead
    return lead !== '0' && servers.every((s) => s.raftStatus().lead === lead) ? servers.find((s) => s.localId === lead) : undefined
  }
  await until('one leader seen by every member', () => agreed() !== undefined)
  return agreed()!
}

describe('EtcdServer start-up', () => {
  it('accepts peer messages only once its Raft node is built: a message in the first possible instant is stepped', async () => {
    const names = ['n1', 'n2', 'n3']
    const net = new MemoryNetwork()
    const from = idOf('n2', names)
    let delivered = false
    // The transport delivers a leader's heartbeat the moment the member starts accepting: with the
    // old wiring this was before the Raft node existed, and the step threw inside the socket handler.
    const s = server('n1', names, net, (h) => {
      h.step(makeMessage({ type: MessageType.Heartbeat, to: idOf('n1', names), from, term: 5, commit: 0 }))
      delivered = true
    })
    await s.start()
    expect(delivered).toBe(true)
    expect(await s.untilLeader(from, 2000)).toBe(true)
    expect(s.raftStatus().term).toBe(5)
  })

  it('links to every member before it accepts, and follows membership changes in one place', async () => {
    const names = ['n1', 'n2', 'n3']
    const net = new MemoryNetwork()
    const servers = names.map((n) => server(n, names, net))
    await Promise.all(servers.map((s) => s.start()))
    const ids = names.map((n) => idOf(n, names))
    for (const s of servers) {
      const t = net.transports.get(s.localId)!
      expect(t.started).toBe(true)
      expect(t.peersAtStart!.map((p) => p.ID).sort()).toEqual(ids.filter((id) => id !== s.localId).sort())
    }
    const leader = await leaderOf(servers)
    const victim = servers.find((s) => s !== leader)!
    // One round trip with every follower, so the leader counts them as active.
    await leader.propose(put('k', 'v'))
    await until('followers to apply', () => servers.every((s) => s.state.appliedIndex === leader.state.appliedIndex))
    const removed = new Promise<void>((resolve) => (victim.events.onRemoved = resolve))
    await memberRemove(leader, victim.localId)
    expect(net.transports.get(leader.localId)!.peers.map((p) => p.ID)).not.toContain(victim.localId)
    // The removed member learns it from the conf change it applies (or a peer's notice), and says so.
    await removed
  })
})

describe('EtcdServer proposals', () => {
  it('replicates a put to every member and serves a linearizable read on a follower', async () => {
    const names = ['n1', 'n2', 'n3']
    const net = new MemoryNetwork()
    const servers = names.map((n) => server(n, names, net))
    await Promise.all(servers.map((s) => s.start()))
    // Proposed before any leader exists: dropped by Raft, tried again when its state changes.
    const early = servers[2]!.propose(put('early', '1'))
    const out = await early
    expect(out.error).toBeUndefined()
    const leader = await leaderOf(servers)
    const follower = servers.find((s) => s !== leader)!
    const w = await leader.propose(put('k', 'v'))
    await follower.linearizableBarrier()
    expect(follower.state.store.range('k', undefined).kvs[0]?.value.toString()).toBe('v')
    expect(follower.state.appliedIndex).toBeGreaterThanOrEqual(leader.state.appliedIndex - 1)
    expect(w.revision).toBe(follower.state.store.range('k', undefined).kvs[0]?.mod)
  })

  it('proposes again with the current auth revision when the entry was checked at an older one', async () => {
    const names = ['n1']
    const s = server('n1', names, new MemoryNetwork())
    await s.start()
    await s.untilLeader(s.localId, 5000)
    const auth = s.state.auth
    await s.propose({ auth_user_add: { name: 'root', password: '' } })
    await s.propose({ auth_user_grant_role: { user: 'root', role: 'root' } })
    await s.propose({ auth_enable: {} })
    const seen: number[] = []
    const stale = auth.revision - 1
    const out = await s.propose(put('/k', 'v'), {
      auth: () => {
        const revision = seen.length === 0 ? stale : auth.revision
        seen.push(revision)
        return { username: 'root', revision }
      },
    })
    expect(seen).toEqual([stale, auth.revision])
    expect(out.error).toBeUndefined()
    expect(s.state.store.range('/k', undefined).kvs).toHaveLength(1)
  })

  it("answers a Ready's batch a chunk per turn: the first puts resolve before the last ones are applied", async () => {
    const s = server('n1', ['n1'], new MemoryNetwork())
    await s.start()
    await s.untilLeader(s.localId, 5000)
    // 100 puts proposed in one turn: one Ready commits them all (a single member commits on its own write).
    const turns = countTurns()
    const resolvedIn: number[] = []
    const revisions: number[] = []
    await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        s.propose(put(`/batch/${i}`, 'v')).then((out) => {
          resolvedIn[i] = turns.turn
          revisions[i] = out.revision
        }),
      ),
    )
    turns.stop()
    // In order, and over several turns: answers for the first chunk were out while the rest waited.
    expect(revisions).toEqual([...revisions].sort((a, b) => a - b))
    expect(new Set(revisions).size).toBe(100)
    expect(resolvedIn[0]).toBeLessThan(resolvedIn[99]!)
    expect(new Set(resolvedIn).size).toBeGreaterThanOrEqual(5)
  })

  it('a CORRUPT alarm refuses writes until it is disarmed', async () => {
    const s = server('n1', ['n1'], new MemoryNetwork())
    await s.start()
    await s.untilLeader(s.localId, 5000)
    await s.propose({ alarm: { action: 'ACTIVATE', memberID: s.localId, alarm: 'CORRUPT' } })
    await expect(s.propose(put('a', '1'))).rejects.toThrow('etcdserver: corrupt cluster')
    await s.propose({ alarm: { action: 'DEACTIVATE', memberID: s.localId, alarm: 'CORRUPT' } })
    await expect(s.propose(put('a', '1'))).resolves.toMatchObject({ revision: 2 })
  })
})

describe('EtcdServer failures', () => {
  it('hands a failed WAL write to the injected handler and halts, without exiting the process', async () => {
    const fatal: Error[] = []
    const s = server('n1', ['n1'], new MemoryNetwork(), undefined, fatal)
    await s.start()
    await s.untilLeader(s.localId, 5000)
    // The WAL's file goes away under the member: the next write fails.
    const wal = (s as unknown as { parts: { wal: { save: () => Promise<void> } } }).parts.wal
    wal.save = () => Promise.reject(new Error('EIO: disk gone'))
    const failed = s.propose(put('a', '1'))
    await expect(failed).rejects.toThrow()
    expect(fatal.map((e) => e.message)).toEqual(['EIO: disk gone'])
  })

  it('does not step local message types from peers', async () => {
    const names = ['n1', 'n2', 'n3']
    const net = new MemoryNetwork()
    let handler: PeerHandler | undefined
    const s = server('n1', names, net, (h) => (handler = h))
    await s.start()
    const bad: Message = makeMessage({ type: MessageType.Hup, to: s.localId, from: idOf('n2', names), term: 0 })
    expect(() => handler!.step(bad)).not.toThrow()
  })
})
