/**
 * Restore into member data dirs, checked by reading back what a restarting member reads: the WAL
 * (identity, hard state, snapshot mark) and the state machine snapshot at index N, term 1.
 */
import { afterEach, describe, expect, it } from 'vitest'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { buildEtcdSnapshot, HashMismatchError, keyValuesAsRevisions, TruncatedSnapshotError, withRevisionMarker, type RevisionInput } from '../../../src-main/bbolt/index'
import { clusterIdFor, memberIdFor } from '../../../src-main/member/ids'
import { restoreCluster, restoreSnapshot, RestoreInputError } from '../../../src-main/member/restore/restore'
import { readSnapshotFile } from '../../../src-main/member/server/snapshotFile'
import { StateMachine } from '../../../src-main/member/server/stateMachine'
import { Snapshotter } from '../../../src-main/member/snap/snapshotter'
import { Wal } from '../../../src-main/member/wal/wal'

const dirs: string[] = []
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'rd-restore-'))
  dirs.push(d)
  return d
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true })
})

const enc = (s: string) => Buffer.from(s)

/** a@2, b@3, a@4, b deleted @5, leased@6; compacted at 3; a lease, a user, a role, an alarm. */
function writeSnapshot(file: string, extra: { bumpTo?: bigint } = {}): void {
  const puts = keyValuesAsRevisions([
    { key: 'a', value: '1' },
    { key: 'b', value: '2' },
  ])
  const history: RevisionInput[] = [
    ...puts,
    { main: 4n, sub: 0n, kv: { key: enc('a'), value: enc('3'), createRevision: 2n, modRevision: 4n, version: 2n, lease: 0n } },
    { main: 5n, sub: 0n, tombstone: true, kv: { key: enc('b'), value: new Uint8Array(0), createRevision: 0n, modRevision: 0n, version: 0n, lease: 0n } },
    { main: 6n, sub: 0n, kv: { key: enc('leased'), value: enc('x'), createRevision: 6n, modRevision: 6n, version: 1n, lease: 77n } },
  ]
  buildEtcdSnapshot(file, {
    revisions: extra.bumpTo ? withRevisionMarker(history, extra.bumpTo) : history,
    consistentIndex: 99n,
    scheduledCompactRev: { main: 3n, sub: 0n },
    finishedCompactRev: { main: 3n, sub: 0n },
    leases: [{ id: 77n, ttl: 300n, remainingTtl: 0n }],
    members: [{ id: 1n, name: 'old', peerURLs: ['http://10.0.0.1:2380'] }],
    auth: { enabled: false, revision: 5n },
    users: [{ name: 'u', password: enc('$2a$10$abcdefghijklmnopqrstuv'), roles: ['r'], options: { noPassword: false } }],
    roles: [{ name: 'r', keyPermission: [{ permType: 'readwrite', key: enc('/k'), rangeEnd: enc('/l') }] }],
    alarms: [{ memberId: 1n, alarm: 'nospace' }],
  })
}

const cluster = new Map([
  ['n1', ['http://127.0.0.1:12380']],
  ['n2', ['http://127.0.0.1:22380']],
  ['n3', ['http://127.0.0.1:32380']],
])

async function readBack(dataDir: string) {
  const { wal, replay } = await Wal.open(path.join(dataDir, 'member', 'wal'))
  await wal.close()
  const sm = new StateMachine('0', '0', 2)
  const loaded = await new Snapshotter(path.join(dataDir, 'member', 'snap')).loadNewest(replay.snapshot.index, async (chunks) => {
    const restore = sm.beginRestore()
    const conf = await readSnapshotFile(chunks, restore)
    restore.finish()
    return conf
  })
  return { replay, snap: loaded!.ref, confState: loaded!.value, sm }
}

describe('restore into member data dirs', () => {
  it('writes N data dirs with etcd’s IDs, the log at index N term 1, and the snapshot’s state', async () => {
    const d = tmp()
    const file = path.join(d, 's.db')
    writeSnapshot(file)
    const dataDirs = new Map([...cluster.keys()].map((n) => [n, path.join(d, `${n}.etcd`)]))
    const results = await restoreCluster(file, { initialCluster: cluster, initialClusterToken: 'tok', dataDirs })
    const ids = [...cluster.values()].map((urls) => memberIdFor(urls, 'tok'))
    const clusterId = clusterIdFor(ids)
    expect(results.map((r) => r.memberId)).toEqual(ids)
    expect(results[0]).toMatchObject({ clusterId, index: 3, term: 1, revision: 6, compactRevision: 3, keys: 2, revisions: 5, leases: 1 })
    for (const [i, name] of [...cluster.keys()].entries()) {
      const { replay, snap, confState, sm } = await readBack(dataDirs.get(name)!)
      expect(replay.metadata).toMatchObject({ memberId: ids[i], clusterId })
      expect(replay.metadata.initialMembers!.map((m) => m.name)).toEqual(['n1', 'n2', 'n3'])
      expect(replay.hardState).toEqual({ term: 1, vote: '0', commit: 3 })
      expect(replay.snapshot).toEqual({ index: 3, term: 1 })
      expect(replay.entries).toEqual([])
      expect({ index: snap.index, term: snap.term }).toEqual({ index: 3, term: 1 })
      expect(confState).toEqual({ voters: ids, learners: [] })
      expect(sm.appliedIndex).toBe(3)
      expect(sm.cluster.clusterId).toBe(clusterId)
      // The old cluster's members are gone, the new ones are there.
      expect(sm.cluster.list().map((m) => m.ID).sort()).toEqual([...ids].sort())
      expect(sm.store.currentRev).toBe(6)
      expect(sm.store.compactRev).toBe(3)
      expect(sm.store.range('a', undefined).kvs.map((r) => [r.value.toString(), r.create, r.mod, r.version])).toEqual([['3', 2, 4, 2]])
      expect(sm.store.range('a', undefined, { rev: 3 }).kvs[0]!.value.toString()).toBe('1')
      expect(sm.store.range('b', undefined).count).toBe(0)
      expect(sm.store.range('leased', undefined).kvs[0]!.lease).toBe('77')
      expect(sm.store.keysOfLease('77')).toEqual(['leased'])
      expect([...sm.lessor.leases.values()].map((l) => [l.id, l.ttl])).toEqual([['77', 300]])
      expect(sm.auth.toJSON()).toMatchObject({ enabled: false, revision: 5, users: [{ name: 'u', roles: ['r'] }], roles: [{ name: 'r', perms: [{ permType: 'READWRITE', key: '/k', rangeEnd: '/l' }] }] })
      expect(sm.alarmList()).toEqual([{ memberID: '1', alarm: 'NOSPACE' }])
    }
  })

  it('bumps the revision and marks it compacted like etcd’s --bump-revision --mark-compacted', async () => {
    const d = tmp()
    const file = path.join(d, 's.db')
    writeSnapshot(file)
    const cfg = { name: 'n1', dataDir: path.join(d, 'n1'), walDir: '', initialCluster: new Map([['n1', ['http://127.0.0.1:12380']]]), initialClusterToken: 't', initialAdvertisePeerUrls: ['http://127.0.0.1:12380'] }
    const r = await restoreSnapshot(file, cfg, { bumpRevision: 1000, markCompacted: true })
    expect(r).toMatchObject({ revision: 1006, compactRevision: 1006, index: 1 })
    const { sm } = await readBack(cfg.dataDir)
    expect(sm.store.currentRev).toBe(1006)
    expect(() => sm.store.range('a', undefined, { rev: 1005 })).toThrow(/compacted/)
    // Compacted for real: only what a read at 1006 sees is left (a@4, leased@6).
    expect([...sm.store.allRevisions()].map((x) => `${x.key}@${x.mod}`)).toEqual(['a@4', 'leased@6'])
    const t = sm.store.write()
    expect(t.put('next', Buffer.from('v'), '0').mod).toBe(1007)
  })

  it('reads a file that already carries a bump marker, with the revision moved past it', async () => {
    const d = tmp()
    const file = path.join(d, 's.db')
    writeSnapshot(file, { bumpTo: 500n })
    const r = await restoreSnapshot(file, { name: 'n1', dataDir: path.join(d, 'n1'), walDir: path.join(d, 'wal'), initialCluster: new Map([['n1', ['http://127.0.0.1:1']]]), initialClusterToken: 't', initialAdvertisePeerUrls: ['http://127.0.0.1:1'] })
    expect(r).toMatchObject({ revision: 500, keys: 2, walDir: path.join(d, 'wal') })
    expect(fs.readdirSync(path.join(d, 'wal')).some((f) => f.endsWith('.wal'))).toBe(true)
    expect(fs.existsSync(path.join(d, 'n1', 'member', 'wal'))).toBe(false)
  })

  it('refuses bad input and bad snapshots without writing anything', async () => {
    const d = tmp()
    const file = path.join(d, 's.db')
    writeSnapshot(file)
    const base = { name: 'n1', dataDir: path.join(d, 'out'), walDir: '', initialCluster: new Map([['n1', ['http://127.0.0.1:1']]]), initialClusterToken: 't', initialAdvertisePeerUrls: ['http://127.0.0.1:1'] }
    await expect(restoreSnapshot(file, base, { markCompacted: true })).rejects.toThrow(RestoreInputError)
    await expect(restoreSnapshot(file, { ...base, initialAdvertisePeerUrls: ['http://127.0.0.1:2'] })).rejects.toThrow(/couldn't find local name "n1"/)
    fs.mkdirSync(path.join(d, 'exists'))
    await expect(restoreSnapshot(file, { ...base, dataDir: path.join(d, 'exists') })).rejects.toThrow(/data-dir ".*exists" exists/)

    const bytes = fs.readFileSync(file)
    const flipped = Buffer.from(bytes)
    flipped[5000] = flipped[5000]! ^ 0xff
    fs.writeFileSync(path.join(d, 'flipped.db'), flipped)
    await expect(restoreSnapshot(path.join(d, 'flipped.db'), base)).rejects.toThrow(HashMismatchError)
    fs.writeFileSync(path.join(d, 'cut.db'), bytes.subarray(0, 4096 * 2 + 100))
    await expect(restoreSnapshot(path.join(d, 'cut.db'), base)).rejects.toThrow(TruncatedSnapshotError)
    await expect(restoreCluster(path.join(d, 'flipped.db'), { initialCluster: cluster, initialClusterToken: 'x', dataDirs: new Map([...cluster.keys()].map((n) => [n, path.join(d, n)])) })).rejects.toThrow(HashMismatchError)
    expect(fs.readdirSync(d).sort()).toEqual(['cut.db', 'exists', 'flipped.db', 's.db'])
    expect(fs.readdirSync(path.join(d, 'exists'))).toEqual([])
  })
})
