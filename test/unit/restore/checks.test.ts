// The cluster checks on the answers endpoints give: a healthy cluster, the three copies of one restored
// data dir, members restored alone, a stale data dir, and the plan's expectations.
import { describe, expect, it } from 'vitest'
import { diagnoseSplit, evaluate, type Expectations, type Measurements } from '../../../src-main/services/cluster/checks'
import type { EndpointFacts } from '../../../src-main/shared/api/restore'

const dec = (hex: string) => BigInt(`0x${hex}`).toString()
const DEFAULT = dec('8e9e05c52164694d')
const CLUSTER = dec('cdf818194e3a8c32')
const ids = ['1111', '2222', '3333'].map(dec)
const list = ids.map((id, i) => ({ id, name: `n${i + 1}`, peerURLs: [`http://10.0.0.${i + 1}:2380`], clientURLs: [`http://10.0.0.${i + 1}:2379`] }))

function healthy(): EndpointFacts[] {
  return ids.map((id, i) => ({ endpoint: `http://10.0.0.${i + 1}:2379`, member: `n${i + 1}`, ok: true, memberId: id, clusterId: dec('abcd'), leader: ids[0]!, term: '2', revision: '1000000100', version: '3.4.23', memberList: list }))
}

const measured = (counts: number[], hashes: number[]): Measurements => ({
  counts: new Map(counts.map((c, i) => [`http://10.0.0.${i + 1}:2379`, { count: c, revision: 1_000_000_100 }])),
  hash: { revision: '1000000100', byEndpoint: new Map(hashes.map((h, i) => [`http://10.0.0.${i + 1}:2379`, { hash: h, compactRevision: '1000000100' }])) },
  alarms: [],
})

const expect3: Expectations = { planId: 'p', clusterId: dec('abcd'), members: list, snapshotRevision: 100, bump: 1_000_000_000, liveKeys: 50 }
const status = (checks: ReturnType<typeof evaluate>) => Object.fromEntries(checks.map((c) => [c.id, c.status]))

describe('cluster checks', () => {
  it('a healthy restored cluster passes every check of the plan', () => {
    const checks = evaluate(healthy(), measured([50, 50, 50], [7, 7, 7]), expect3)
    expect(status(checks)).toEqual({ reachable: 'pass', 'one-leader': 'pass', 'cluster-id': 'pass', 'member-ids': 'pass', 'member-list': 'pass', revision: 'pass', 'key-count': 'pass', hashkv: 'pass', alarms: 'pass' })
    expect(checks.find((c) => c.id === 'one-leader')!.summary).toMatch(/^n1 \(http:\/\/10\.0\.0\.1:2379\) leads/)
    expect(diagnoseSplit(healthy())).toBeNull()
  })

  it('three copies of one default restore: three leaders, one member ID, with the cause and the fix', () => {
    const copies: EndpointFacts[] = [1, 2, 3].map((i) => ({
      endpoint: `http://10.0.0.${i}:2379`,
      ok: true,
      memberId: DEFAULT,
      clusterId: CLUSTER,
      leader: DEFAULT,
      term: '2',
      revision: '100',
      memberList: [{ id: DEFAULT, name: 'default', peerURLs: ['http://localhost:2380'], clientURLs: ['http://localhost:2379'] }],
    }))
    const checks = evaluate(copies, null)
    const leader = checks.find((c) => c.id === 'one-leader')!
    expect(leader.status).toBe('fail')
    expect(leader.summary).toMatch(/^3 members each lead a cluster of their own:/)
    expect(leader.cause).toMatch(/share member ID 8e9e05c52164694d: one restored data dir was copied/)
    expect(leader.fix).toMatch(/^Stop all members, move their data dirs aside, and run the restore plan/)
    expect(checks.find((c) => c.id === 'member-ids')!.summary).toBe('Member ID 8e9e05c52164694d answers at 3 endpoints: http://10.0.0.1:2379, http://10.0.0.2:2379, http://10.0.0.3:2379.')
    const split = diagnoseSplit(copies)!
    expect(split.symptoms).toEqual(['several-leaders', 'repeated-member-id'])
    expect(split.facts[0]).toBe('http://10.0.0.1:2379: member 8e9e05c52164694d, leader of itself, cluster cdf818194e3a8c32, term 2, 1 member in its list')
  })

  it('members restored alone: each leads its own cluster with its own cluster ID', () => {
    const alone = healthy().map((f, i) => ({ ...f, clusterId: dec(`c${i}c${i}`), leader: f.memberId!, memberList: [list[i]!] }))
    const checks = evaluate(alone, null)
    const leader = checks.find((c) => c.id === 'one-leader')!
    expect(leader.summary).toMatch(/^3 members each lead a cluster of their own with different cluster IDs/)
    expect(leader.cause).toMatch(/each was restored alone/)
    expect(checks.find((c) => c.id === 'cluster-id')!.status).toBe('fail')
    expect(checks.find((c) => c.id === 'member-list')!.status).toBe('fail')
    expect(diagnoseSplit(alone)!.symptoms).toEqual(['several-leaders', 'cluster-ids', 'member-lists'])
  })

  it('a stale data dir: wrong cluster ID, revision below the bump, keys unexplained', () => {
    const stale = healthy().map((f) => ({ ...f, clusterId: dec('dead'), revision: '90' }))
    const m: Measurements = { ...measured([40, 40, 40], [1, 1, 1]), counts: new Map(stale.map((f) => [f.endpoint, { count: 40, revision: 90 }])) }
    const checks = evaluate(stale, m, expect3)
    expect(status(checks)).toMatchObject({ 'cluster-id': 'fail', revision: 'fail', 'key-count': 'fail' })
    expect(checks.find((c) => c.id === 'cluster-id')!.summary).toBe('Every member reports cluster dead; the plan predicts abcd.')
    expect(checks.find((c) => c.id === 'revision')!.cause).toMatch(/older than the snapshot/)
  })

  it('writes since the restore explain a different key count; diverged data fails HashKV', () => {
    const m = measured([53, 53, 53], [7, 7, 9])
    m.counts.forEach((_, k) => m.counts.set(k, { count: 53, revision: 1_000_000_104 }))
    const checks = evaluate(healthy(), m, expect3)
    expect(checks.find((c) => c.id === 'key-count')!.status).toBe('pass')
    expect(checks.find((c) => c.id === 'key-count')!.details![0]).toMatch(/the 4 revisions written since the restore explain the difference/)
    expect(checks.find((c) => c.id === 'hashkv')!.status).toBe('fail')
  })

  it('names each member it cannot reach', () => {
    const f = healthy()
    f[2] = { endpoint: f[2]!.endpoint, member: 'n3', ok: false, error: 'connection refused' }
    const c = evaluate(f, null, expect3).find((x) => x.id === 'reachable')!
    expect(c.status).toBe('fail')
    expect(c.details).toEqual(['n3 (http://10.0.0.3:2379): connection refused'])
  })
})
