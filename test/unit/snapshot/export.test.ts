/**
 * The member's state as an etcd snapshot: every record lands in etcd's bucket and encoding, and the
 * stream is a frozen view (writes, compaction and auth edits after the freeze do not leak in).
 */
import { describe, expect, it } from 'vitest'
import { etcdSnapshotStream, openDbBytes, readEtcdSnapshot, statusOfDb, verifySnapshot } from '../../../src-main/bbolt/index'
import { hashKV } from '../../../src-main/member/mvcc/hash'
import { KeyRevision } from '../../../src-main/member/mvcc/types'
import { StateMachine } from '../../../src-main/member/server/stateMachine'
import { freezeState } from '../../../src-main/member/snapshot/export'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

function put(sm: StateMachine, key: string, value: string, lease = '0'): void {
  const t = sm.store.write()
  t.put(key, Buffer.from(value), lease)
  t.end()
}

function del(sm: StateMachine, key: string): void {
  const t = sm.store.write()
  t.deleteRange(key, undefined)
  t.end()
}

function sample(): StateMachine {
  const sm = new StateMachine('1000', '42', 2)
  sm.cluster.add({ ID: '42', name: 'n1', peerURLs: ['http://127.0.0.1:2380'], clientURLs: ['http://127.0.0.1:2379'], isLearner: false })
  // A uint64 member id above 2^63 must survive as is.
  sm.cluster.add({ ID: '18446744073709551557', name: 'n2', peerURLs: ['http://127.0.0.1:2480'], clientURLs: [], isLearner: true })
  sm.lessor.grant('7587869128536127241', 600)
  put(sm, 'a', '1')
  put(sm, 'b', '2')
  put(sm, 'a', '3')
  del(sm, 'b')
  put(sm, 'leased', 'x', '7587869128536127241')
  sm.store.compact(3)
  put(sm, 'c', 'after')
  sm.auth.userAdd('root', '')
  sm.auth.userGrantRole('root', 'root')
  sm.auth.roleAdd('reader')
  sm.auth.roleGrantPermission('reader', { permType: 'READ', key: '/app/', rangeEnd: '/app0' })
  sm.auth.enable()
  sm.alarms.activate('42', 'NOSPACE')
  sm.clusterVersion = '3.4.0'
  sm.startAt(17, 3)
  return sm
}

function streamBytes(sm: StateMachine, mutate?: () => void): Buffer {
  const frozen = freezeState(sm)
  mutate?.()
  const s = etcdSnapshotStream(frozen.state)
  const out = Buffer.concat([...s.chunks])
  expect(out.length).toBe(s.totalBytes)
  return out
}

describe('member state → etcd snapshot', () => {
  it('writes every record in etcd’s encoding', () => {
    const sm = sample()
    const bytes = streamBytes(sm)
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rd-export-'))
    try {
      const file = path.join(dir, 's.db')
      fs.writeFileSync(file, bytes)
      expect(verifySnapshot(file).hasHash).toBe(true)
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
    const db = openDbBytes(bytes.subarray(0, bytes.length - 32))
    const snap = readEtcdSnapshot(db)
    const revs = [...snap.revisions()]
    // Compaction at 3 keeps what a read at 3 still sees (a@2, b@3), as etcd does.
    expect(revs.map((r) => `${r.main}_${r.sub}${r.tombstone ? 't' : ''}`)).toEqual(['2_0', '3_0', '4_0', '5_0t', '6_0', '7_0'])
    const tomb = revs[3]!
    expect(Buffer.from(tomb.kv!.key).toString()).toBe('b')
    expect(tomb.kv!.modRevision).toBe(0n)
    expect(revs[4]!.kv!.lease).toBe(7587869128536127241n)
    expect(snap.meta()).toEqual({ consistentIndex: 17n, term: 3n, scheduledCompactRev: { main: 3n, sub: 0n }, finishedCompactRev: { main: 3n, sub: 0n } })
    expect([...snap.leases()]).toEqual([{ id: 7587869128536127241n, ttl: 600n, remainingTtl: 0n }])
    expect([...snap.members()].map((m) => m.id)).toEqual([42n, 18446744073709551557n])
    expect([...snap.members()][1]).toMatchObject({ isLearner: true, name: 'n2' })
    expect(snap.auth()).toEqual({ enabled: true, revision: BigInt(sm.auth.revision) })
    expect([...snap.users()].map((u) => [u.name, u.roles])).toEqual([['root', ['root']]])
    expect([...snap.roles()]).toEqual([{ name: 'reader', keyPermission: [{ permType: 'read', key: Buffer.from('/app/'), rangeEnd: Buffer.from('/app0') }] }])
    expect([...snap.alarms()]).toEqual([{ memberId: 42n, alarm: 'nospace' }])
    expect(snap.clusterVersion()).toBe('3.4.0')
    expect(statusOfDb(db).revision).toBe(7)
  })

  it('streams the state as of the freeze, whatever happens after', () => {
    const sm = sample()
    const expected = streamBytes(sm)
    const again = streamBytes(sm, () => {
      put(sm, 'late', 'write')
      del(sm, 'a')
      sm.store.compact(6)
      sm.auth.userGrantRole('root', 'reader')
      sm.auth.roleGrantPermission('reader', { permType: 'WRITE', key: '/x', rangeEnd: '' })
      sm.lessor.grant('99', 60)
    })
    expect(again.equals(expected)).toBe(true)
  })

  it('keeps HashKV: the exported history hashes as the store does', () => {
    const sm = sample()
    const snap = readEtcdSnapshot(openDbBytes(streamBytes(sm).subarray(0, -32)))
    const fromFile = [...snap.revisions()].map((r) =>
      r.tombstone
        ? KeyRevision.make(Buffer.from(r.kv!.key).toString('latin1'), Buffer.alloc(0), 0, Number(r.main), Number(r.sub), 0, '0', true)
        : KeyRevision.make(Buffer.from(r.kv!.key).toString('latin1'), Buffer.from(r.kv!.value), Number(r.kv!.createRevision), Number(r.main), Number(r.sub), Number(r.kv!.version), r.kv!.lease.toString(), false),
    )
    expect(hashKV(fromFile, 7, 3)).toBe(sm.store.hashKV(0))
  })
})
