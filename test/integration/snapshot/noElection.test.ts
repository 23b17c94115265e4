/**
 * Streaming a large snapshot must not stall the leader's Raft loop. The state here is 300,000
 * small revisions (about 39 MB as a file): encoding it in one go takes seconds of CPU on these
 * machines, well past the 1 s election timeout, so an unsliced stream would let a follower start
 * an election. The cluster is made by restoreCluster (the playground's path) from a file our writer
 * builds, so no slow load phase is needed.
 */
import { afterAll, describe, expect, it } from 'vitest'
import path from 'node:path'
import { buildEtcdSnapshot, keyValuesAsRevisions, snapshotStatus } from '../../../src-main/bbolt/index'
import { restoreCluster } from '../../../src-main/member/restore/restore'
import { cleanupAll, freePort, tempDir, type MemberSpec } from '../member/support/procs'
import { ctl, endpointStatus, getJson, startRestored, waitHealthy } from './support'

const REVISIONS = 300_000

describe('Maintenance.Snapshot under Raft', () => {
  afterAll(cleanupAll)

  it('keeps the leader and term while ~39 MB of small records stream out of it', async () => {
    const dir = tempDir('rd-snap-e-')
    const source = path.join(dir, 'source.db')
    buildEtcdSnapshot(source, {
      revisions: keyValuesAsRevisions(Array.from({ length: REVISIONS }, (_, i) => ({ key: `/load/${String(i).padStart(7, '0')}`, value: `value-${i}-${'x'.repeat(48)}` }))),
      consistentIndex: 1n,
    })
    const specs: MemberSpec[] = []
    for (const name of ['e1', 'e2', 'e3']) specs.push({ name, clientPort: await freePort(), peerPort: await freePort(), dataDir: path.join(dir, name) })
    const token = 'no-election'
    await restoreCluster(source, {
      initialCluster: new Map(specs.map((s) => [s.name, [`http://127.0.0.1:${s.peerPort}`]])),
      initialClusterToken: token,
      dataDirs: new Map(specs.map((s) => [s.name, s.dataDir])),
    })
    const ic = specs.map((s) => `${s.name}=http://127.0.0.1:${s.peerPort}`).join(',')
    const members = await Promise.all(specs.map((s) => startRestored('raftdeck', s, ic, token)))
    await Promise.all(members.map((m) => waitHealthy(m, 90_000)))
    expect((await getJson(members[2]!.endpoint, ['/load/0299999'])).kvs[0]).toMatchObject({ mod: REVISIONS + 1, value: `value-299999-${'x'.repeat(48)}` })

    const before = await Promise.all(members.map((m) => endpointStatus(m.endpoint)))
    expect(new Set(before.map((s) => `${s.leader}/${s.term}`)).size).toBe(1)
    const leader = members[before.findIndex((s) => s.member === s.leader)]!
    const file = path.join(dir, 'from-leader.db')
    const t0 = Date.now()
    expect(await ctl(leader.endpoint, ['snapshot', 'save', file])).toMatch(/Snapshot saved at/)
    const ms = Date.now() - t0
    const after = await Promise.all(members.map((m) => endpointStatus(m.endpoint)))
    expect(after.map((s) => `${s.leader}/${s.term}`), `snapshot took ${ms} ms`).toEqual(before.map((s) => `${s.leader}/${s.term}`))
    expect(leader.log.join('')).not.toMatch(/lost leader|elected leader .* at term (?!2\b)/)

    const st = JSON.parse(await ctl(leader.endpoint, ['snapshot', 'status', file, '-w', 'json'])) as { revision: number; totalKey: number }
    expect(st).toEqual({ ...snapshotStatus(file) })
    expect(st.revision).toBe(REVISIONS + 1)
  })
})
