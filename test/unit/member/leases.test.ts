// Leases on a monotonic clock: the wall clock of the leader jumps a day ahead and nothing expires
// early; an expired lease is not revived by a keep-alive (etcd answers TTL 0 once it is revoked);
// keep-alives and TimeToLive sent to a follower are answered through the leader.
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { EtcdServer } from '../../../src-main/member/server/etcdServer'
import { MemoryCluster, until } from './memoryNetwork'

let running: MemoryCluster | undefined
afterEach(async () => {
  vi.useRealTimers()
  await running?.stop()
  running = undefined
})

async function cluster(n = 3): Promise<{ servers: EtcdServer[]; leader: EtcdServer; follower: EtcdServer }> {
  running = new MemoryCluster(Array.from({ length: n }, (_, i) => `n${i + 1}`))
  const leader = await running.start()
  return { servers: running.servers, leader, follower: running.servers.find((s) => s !== leader)! }
}

const grant = (s: EtcdServer, id: string, ttl: number) => s.propose({ lease_grant: { ID: id, TTL: String(ttl) } })

describe('leases', () => {
  it('a wall-clock jump on the leader expires nothing early (deadlines are monotonic)', async () => {
    const { servers, leader } = await cluster()
    await grant(leader, '100', 30)
    // The wall clock of the whole process (the leader's included) jumps a day ahead.
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 24 * 3600_000)
    // A lease granted now with the minimum TTL (1 s here) does expire and get revoked: the
    // leader's expiry loop ran, and still the 30 s lease is there on every member.
    await grant(leader, '101', 1)
    await until('the 1 s lease to be revoked everywhere', () => servers.every((s) => !s.state.lessor.leases.has('101')), 10_000)
    for (const s of servers) expect(s.state.lessor.leases.has('100')).toBe(true)
    expect(await leader.renewLease('100')).toBe(30)
  })

  it('a keep-alive for an expired lease waits for its revoke and answers TTL 0, as etcd', async () => {
    const { servers, leader, follower } = await cluster()
    await grant(leader, '200', 1)
    await until('the lease to pass its deadline on the leader', () => leader.state.lessor.remaining('200') === 0, 5000)
    // Past its deadline (its revoke may still be on the way): no keep-alive brings it back.
    expect(await leader.renewLease('200')).toBe(0)
    // The answer came once the revoke was applied on the leader.
    expect(leader.state.lessor.leases.has('200')).toBe(false)
    await until('the revoke on every member', () => servers.every((s) => !s.state.lessor.leases.has('200')))
    expect(await follower.renewLease('200')).toBe(0)
    expect(await follower.renewLease('999')).toBe(0)
  })

  it('a follower answers keep-alives and TimeToLive through the leader', async () => {
    const { leader, follower } = await cluster()
    await grant(leader, '300', 60)
    await leader.propose({ put: { key: Buffer.from('k'), value: Buffer.from('v'), lease: '300', prev_kv: false, ignore_value: false, ignore_lease: false } })
    await follower.linearizableBarrier()
    expect(await follower.renewLease('300')).toBe(60)
    const ttl = await follower.leaseTimeToLive('300', true)
    expect(ttl).toMatchObject({ ID: '300', grantedTTL: '60' })
    expect(Number(ttl.TTL)).toBeGreaterThan(55)
    expect(ttl.keys.map((k) => k.toString())).toEqual(['k'])
    expect(await follower.leaseTimeToLive('404', false)).toMatchObject({ TTL: '-1' })
  })
})
