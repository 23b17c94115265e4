/**
 * Durability and safety under crashes: kill -9 of the leader and of a follower during a write
 * load, restart, and check that every acknowledged write is present on every member and that
 * revisions never went backwards; then a leader paused (SIGSTOP) past the election timeout must
 * not serve a stale linearizable read after it resumes.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { cleanupAll, etcdctl, launch, startCluster, stopProc, waitFor, waitHealthy, type Cluster, type Proc } from './support/procs'
import { KV } from './support/kvClient'

async function leaderIndex(c: Cluster): Promise<number> {
  return waitFor('a leader', async () => {
    const r = await etcdctl(c.members.filter((m) => m.proc.exitCode === null && m.proc.signalCode === null).map((m) => m.endpoint), ['endpoint', 'status', '-w', 'json'])
    if (r.code !== 0 && !r.stdout) return undefined
    const leaders = [...r.stdout.matchAll(/"leader":(\d+)/g)].map((m) => m[1])
    const ids = [...r.stdout.matchAll(/"member_id":(\d+)/g)].map((m) => m[1])
    const eps = [...r.stdout.matchAll(/"Endpoint":"([^"]+)"/g)].map((m) => m[1])
    const lead = leaders.find((l) => l !== '0')
    const i = lead === undefined ? -1 : ids.indexOf(lead)
    if (i < 0) return undefined
    const idx = c.members.findIndex((m) => m.endpoint === eps[i])
    return idx >= 0 ? idx : undefined
  }, 30_000, 200)
}

function restart(c: Cluster, i: number): Proc {
  const old = c.members[i]!
  const p = launch('raftdeck', c.specs[i]!, old.args)
  c.members[i] = p
  return p
}

interface Ack {
  key: string
  value: string
  rev: number
}

describe('crashes', () => {
  afterAll(cleanupAll)

  it('kill -9 of the leader and of a follower during writes loses no acknowledged write', async () => {
    const c = await startCluster('raftdeck', 3, ['--snapshot-count', '300'])
    const acked: Ack[] = []
    let stop = false
    let backwards = 0
    const writer = async (w: number): Promise<void> => {
      let lastRev = 0
      let n = 0
      while (!stop) {
        const ep = c.members[(w + n) % c.members.length]!.endpoint
        const kv = new KV(ep)
        const key = `load/${w}/${n++}`
        try {
          const rev = await kv.put(key, `v${n}`, 3000)
          if (rev <= lastRev) backwards++
          lastRev = rev
          acked.push({ key, value: `v${n}`, rev })
        } catch {
          // Unacknowledged: may or may not be applied; not checked.
          await new Promise((r) => setTimeout(r, 50))
        } finally {
          kv.close()
        }
      }
    }
    const writers = [0, 1, 2, 3].map((w) => writer(w))
    try {
      await waitFor('some writes', async () => acked.length >= 100, 30_000)
      const lead = await leaderIndex(c)
      c.members[lead]!.proc.kill('SIGKILL')
      await c.members[lead]!.exited
      const before = acked.length
      await waitFor('writes after leader crash', async () => acked.length >= before + 100, 60_000)
      restart(c, lead)
      await waitHealthy(c.members[lead]!, 60_000)
      const newLead = await leaderIndex(c)
      const follower = [0, 1, 2].find((i) => i !== newLead)!
      c.members[follower]!.proc.kill('SIGKILL')
      await c.members[follower]!.exited
      const mid = acked.length
      await waitFor('writes after follower crash', async () => acked.length >= mid + 100, 60_000)
      restart(c, follower)
      await waitHealthy(c.members[follower]!, 60_000)
      const end = acked.length
      await waitFor('writes after restarts', async () => acked.length >= end + 50, 60_000)
    } finally {
      stop = true
      await Promise.all(writers)
    }
    expect(backwards).toBe(0)
    expect(acked.length).toBeGreaterThan(350)
    const maxRev = Math.max(...acked.map((a) => a.rev))
    for (const m of c.members) {
      const kv = new KV(m.endpoint)
      try {
        // Linearizable: waits until this member has applied everything committed.
        const res = await kv.get('load/', { prefix: true, timeoutMs: 20_000 })
        expect(res.revision).toBeGreaterThanOrEqual(maxRev)
        const have = new Map(res.kvs.map((x) => [x.key, x]))
        const missing = acked.filter((a) => have.get(a.key)?.value !== a.value)
        expect(missing.slice(0, 5), `${m.name} is missing acknowledged writes`).toEqual([])
        for (const a of acked) expect(have.get(a.key)!.mod).toBe(a.rev)
      } finally {
        kv.close()
      }
    }
    const hashes = await etcdctl(c.endpoints, ['endpoint', 'hashkv', '-w', 'json'])
    const values = [...hashes.stdout.matchAll(/"hash":(\d+)/g)].map((x) => x[1])
    expect(new Set(values).size, hashes.stdout).toBe(1)
  })

  it('a follower that fell behind the compacted log catches up from a snapshot', async () => {
    const c = await startCluster('raftdeck', 3, ['--snapshot-count', '40', '--experimental-snapshot-catchup-entries', '10'])
    const lead = await leaderIndex(c)
    const lagger = [0, 1, 2].find((i) => i !== lead)!
    c.members[lagger]!.proc.kill('SIGKILL')
    await c.members[lagger]!.exited
    const live = c.members.filter((_, i) => i !== lagger).map((m) => m.endpoint)
    const kv = new KV(live[0]!)
    try {
      for (let i = 0; i < 150; i++) await kv.put(`snap/${i}`, `v${i}`)
    } finally {
      kv.close()
    }
    const p = restart(c, lagger)
    await waitHealthy(p, 60_000)
    const got = await etcdctl(p.endpoint, ['get', 'snap/149', '--consistency=s'])
    expect(got.stdout).toBe('snap/149\nv149\n')
    expect(p.log.join('')).toMatch(/applied snapshot at index \d+ from the leader/)
    const hashes = await etcdctl(c.endpoints, ['endpoint', 'hashkv', '-w', 'json'])
    expect(new Set([...hashes.stdout.matchAll(/"hash":(\d+)/g)].map((x) => x[1])).size, hashes.stdout).toBe(1)
    // And it restarts from the installed snapshot.
    await stopProc(p)
    const again = restart(c, lagger)
    await waitHealthy(again, 60_000)
    expect((await etcdctl(again.endpoint, ['get', 'snap/0', '--consistency=s'])).stdout).toBe('snap/0\nv0\n')
  })

  it('a leader stopped with SIGTERM hands leadership over first', async () => {
    const c = await startCluster('raftdeck', 3)
    const lead = await leaderIndex(c)
    const old = c.members[lead]!
    expect(await stopProc(old)).toBe(0)
    expect(old.log.join('')).toMatch(/transferring leadership to [0-9a-f]+ before stopping/)
    const others = c.members.filter((_, i) => i !== lead).map((m) => m.endpoint)
    expect((await etcdctl(others, ['put', 'after-stop', '1', '--command-timeout=3s'])).code).toBe(0)
  })

  it('a leader paused past the election timeout serves no stale linearizable read', async () => {
    const c = await startCluster('raftdeck', 3)
    await etcdctl(c.endpoints, ['put', 'reg', 'old'])
    const lead = await leaderIndex(c)
    const old = c.members[lead]!
    old.proc.kill('SIGSTOP')
    try {
      const others = c.members.filter((_, i) => i !== lead).map((m) => m.endpoint)
      await waitFor('write through the new leader', async () => (await etcdctl(others, ['put', 'reg', 'new', '--command-timeout=2s'])).code === 0, 30_000, 200)
    } finally {
      old.proc.kill('SIGCONT')
    }
    const kv = new KV(old.endpoint)
    try {
      const r = await kv.get('reg', { timeoutMs: 15_000 })
      expect(r.kvs[0]?.value).toBe('new')
    } finally {
      kv.close()
    }
    await stopProc(old)
  })
})
