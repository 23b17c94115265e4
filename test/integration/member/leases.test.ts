/**
 * Leases across members and leader changes: keep-alives through a follower, the lease outliving
 * a leader transfer and a leader crash, and expiry (with its keys deleted) decided by the new
 * leader once keep-alives stop.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import { cleanupAll, ETCDCTL, etcdctl, startCluster, waitFor } from './support/procs'

function rawIds(json: string, field: string): string[] {
  return [...json.matchAll(new RegExp(`"${field}":(\\d+)`, 'g'))].map((m) => BigInt(m[1]!).toString(16))
}

describe('leases in a cluster', () => {
  afterAll(cleanupAll)

  it('survive leader changes while kept alive and expire on the new leader afterwards', async () => {
    const c = await startCluster('raftdeck', 3)
    const status = async () => {
      const r = await etcdctl(c.members.filter((m) => m.proc.exitCode === null && m.proc.signalCode === null).map((m) => m.endpoint), ['endpoint', 'status', '-w', 'json'])
      return { leader: rawIds(r.stdout, 'leader')[0], ids: rawIds(r.stdout, 'member_id'), eps: [...r.stdout.matchAll(/"Endpoint":"([^"]+)"/g)].map((m) => m[1]!) }
    }
    const s0 = await status()
    const leaderEp = s0.eps[s0.ids.indexOf(s0.leader!)]!
    const followers = s0.eps.filter((e) => e !== leaderEp)
    const grant = await etcdctl(followers[0]!, ['lease', 'grant', '3'])
    const id = grant.stdout.split(' ')[1]!
    expect((await etcdctl(followers[1]!, ['put', 'owned', 'x', `--lease=${id}`])).code).toBe(0)

    const ka = spawn(ETCDCTL, [`--endpoints=${followers[1]}`, 'lease', 'keep-alive', id], { env: { ...process.env, ETCDCTL_API: '3' } })
    let kaOut = ''
    ka.stdout.on('data', (d: Buffer) => (kaOut += d.toString()))
    try {
      await waitFor('keep-alives', async () => (kaOut.match(/keepalived/g)?.length ?? 0) >= 2, 15_000)
      // Hand leadership to the follower the keep-alives go through, then wait past the TTL.
      const target = s0.ids[s0.eps.indexOf(followers[1]!)]!
      expect((await etcdctl(s0.eps, ['move-leader', target])).stdout).toMatch(/Leadership transferred/)
      const seen = kaOut.match(/keepalived/g)?.length ?? 0
      await waitFor('keep-alives after the transfer', async () => (kaOut.match(/keepalived/g)?.length ?? 0) >= seen + 4, 20_000)
      expect((await etcdctl(followers[0]!, ['get', 'owned'])).stdout).toBe('owned\nx\n')
    } finally {
      ka.kill('SIGKILL')
    }
    const ttl = await etcdctl(followers[0]!, ['lease', 'timetolive', id, '--keys'])
    expect(ttl.stdout).toMatch(/granted with TTL\(3s\), remaining\(\ds\), attached keys\(\[owned\]\)/)
    // Without keep-alives the new leader expires it (TTL + an election timeout of grace at most).
    await waitFor('lease expiry', async () => (await etcdctl(followers[0]!, ['get', 'owned'])).stdout === '', 20_000, 250)
    expect((await etcdctl(leaderEp, ['lease', 'timetolive', id])).stdout).toBe(`lease ${id} already expired\n`)
  })
})
