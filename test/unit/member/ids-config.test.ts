import { describe, expect, it } from 'vitest'
import { clusterIdFor, IdGenerator, memberIdFor, toHex } from '../../../src-main/member/ids'
import { FlagError, parseMemberFlags } from '../../../src-main/member/config'

describe('ids as etcd derives them', () => {
  it('matches IDs real etcd 3.4 printed for the same URLs and token', () => {
    // Read back from `etcd --name n1 --initial-advertise-peer-urls http://127.0.0.1:23800 …`.
    const m = memberIdFor(['http://127.0.0.1:23800'], 'etcd-cluster')
    expect(toHex(m)).toBe('2e1259d415f2a040')
    expect(toHex(clusterIdFor([m]))).toBe('48276a8f75b6a87')
  })

  it('sorts peer URLs and member IDs first', () => {
    expect(memberIdFor(['http://b:2', 'http://a:1'], 't')).toBe(memberIdFor(['http://a:1', 'http://b:2'], 't'))
    expect(clusterIdFor(['5', '3'])).toBe(clusterIdFor(['3', '5']))
  })

  it('lease/request IDs carry the member ID low bits and count up', () => {
    const g = new IdGenerator('3319814642761637952', 0)
    const a = g.next()
    expect(a >> 48n).toBe(0xa040n)
    expect(g.next()).toBe(a + 1n)
  })
})

describe('member flags', () => {
  const base = ['--name', 'n1', '--initial-advertise-peer-urls', 'http://127.0.0.1:2380', '--initial-cluster', 'n1=http://127.0.0.1:2380']

  it("uses etcd's defaults", () => {
    const c = parseMemberFlags(['--name', 'x'])
    expect(c.dataDir).toBe('x.etcd')
    expect(c.heartbeatMs).toBe(100)
    expect(c.electionMs).toBe(1000)
    expect(c.snapshotCount).toBe(100000)
    expect(c.maxRequestBytes).toBe(1572864)
    expect(c.initialClusterToken).toBe('etcd-cluster')
    expect(c.initialCluster.get('x')).toEqual(['http://localhost:2380'])
  })

  it('accepts --flag=value and single-dash flags', () => {
    const c = parseMemberFlags([...base, '-heartbeat-interval=50', '--election-timeout', '500', '--enable-debug-service'])
    expect(c.heartbeatMs).toBe(50)
    expect(c.electionMs).toBe(500)
    expect(c.enableDebugService).toBe(true)
  })

  it.each([
    [['--bogus', '1'], 'flag provided but not defined: -bogus'],
    [['--heartbeat-interval', 'x'], 'invalid value "x" for flag -heartbeat-interval'],
    [['--election-timeout', '200'], 'should be at least as 5 times'],
    [['--initial-cluster-state', 'maybe'], 'valid values are "new", "existing"'],
    [['--listen-client-urls', 'localhost'], 'invalid value "localhost" for flag -listen-client-urls'],
    [['--name', 'n9'], `couldn't find local name "n9" in the initial cluster configuration`],
    [['--auto-compaction-mode', 'hourly'], 'unknown auto-compaction-mode'],
  ])('rejects %j with one clear line', (extra, message) => {
    expect(() => parseMemberFlags([...base, ...extra])).toThrow(FlagError)
    expect(() => parseMemberFlags([...base, ...extra])).toThrow(message)
  })
})
