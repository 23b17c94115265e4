// Files written by our writer must be accepted by real etcd 3.4: `etcdctl snapshot
// status` (which runs bbolt's tx.Check), `etcdctl snapshot restore`, and an etcd started
// on the restored dir serving exactly the keys, values and revision we wrote.

import { afterAll, describe, expect, it } from 'vitest'
import { statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { EtcdProcess, ETCDCTL, etcdctlStatus, freePort, removeTempDirs, run, stopAll, tempDir } from './etcdHarness'
import {
  buildEtcdSnapshot,
  etcdSnapshotStream,
  withRevisionMarker,
  keyValuesAsRevisions,
  openDb,
  readEtcdSnapshot,
  snapshotStatus,
  topLevelBuckets,
  entries,
  verifySnapshot,
  writeSnapshot,
} from '../../../src-main/bbolt'
import type { BucketContents, EtcdState, RevisionInput } from '../../../src-main/bbolt'

afterAll(async () => {
  await stopAll()
  removeTempDirs()
})

const te = new TextEncoder()

/** A history with many keys, big values, a leased key, overwrites and a delete. */
function sampleState(): { state: EtcdState; live: Map<string, string>; lastRevision: bigint; leaseId: bigint } {
  const pairs: Array<{ key: string; value: string; lease?: bigint }> = []
  for (let i = 0; i < 2500; i++) pairs.push({ key: `/app/config/${String(i).padStart(5, '0')}`, value: `v${i}:${'p'.repeat(i % 300)}` })
  pairs.push({ key: '/big/one', value: 'B'.repeat(9000) })
  pairs.push({ key: '/big/two', value: 'C'.repeat(150_000) })
  const leaseId = 0x694d7c8a1b2c3d4en
  pairs.push({ key: '/leased', value: 'with lease', lease: leaseId })
  const revisions: RevisionInput[] = keyValuesAsRevisions(pairs)
  let rev = revisions[revisions.length - 1]!.main
  // An overwrite (version 2) and a delete (tombstone) on top.
  const k0 = te.encode('/app/config/00000')
  rev++
  revisions.push({ main: rev, sub: 0n, kv: { key: k0, value: te.encode('rewritten'), createRevision: 2n, modRevision: rev, version: 2n, lease: 0n } })
  rev++
  const k1 = te.encode('/app/config/00001')
  revisions.push({ main: rev, sub: 0n, tombstone: true, kv: { key: k1, value: new Uint8Array(0), createRevision: 0n, modRevision: rev, version: 0n, lease: 0n } })
  const live = new Map<string, string>()
  for (const p of pairs) live.set(p.key, p.value)
  live.set('/app/config/00000', 'rewritten')
  live.delete('/app/config/00001')
  return {
    state: {
      revisions,
      consistentIndex: 42n,
      leases: [{ id: leaseId, ttl: 3600n, remainingTtl: 0n }],
      members: [{ id: 0xfedcba9876543210n, name: 'old', peerURLs: ['http://127.0.0.1:1'], clientURLs: ['http://127.0.0.1:2'] }],
      clusterVersion: '3.4.0',
      auth: { enabled: false, revision: 1n },
      users: [{ name: 'alice', password: te.encode('$2a$10$abcdefghijklmnopqrstuv'), roles: ['reader'] }],
      roles: [{ name: 'reader', keyPermission: [{ permType: 'read', key: te.encode('/app/'), rangeEnd: te.encode('/app0') }] }],
    },
    live,
    lastRevision: rev,
    leaseId,
  }
}

async function restoreAndServe(file: string): Promise<EtcdProcess> {
  const peerPort = await freePort()
  const peer = `http://127.0.0.1:${peerPort}`
  const dataDir = join(tempDir(), 'restored')
  const r = await run(ETCDCTL, [
    'snapshot', 'restore', file,
    '--name', 'restored',
    '--data-dir', dataDir,
    '--initial-cluster', `restored=${peer}`,
    '--initial-cluster-token', 'raftdeck-test',
    '--initial-advertise-peer-urls', peer,
  ])
  expect(r.code, r.stderr).toBe(0)
  return EtcdProcess.start({ dataDir, name: 'restored', peerPort, initialClusterToken: 'raftdeck-test' })
}

async function served(etcd: EtcdProcess): Promise<{ kvs: Map<string, string>; revision: bigint }> {
  const out = await etcd.ctlOk(['get', '', '--from-key', '-w', 'json'])
  // Revisions fit in 2^53 here; parse the header revision from text to be safe anyway.
  const revision = BigInt(/"revision":(\d+)/.exec(out)![1]!)
  const json = JSON.parse(out) as { kvs?: Array<{ key: string; value?: string }> }
  const kvs = new Map<string, string>()
  for (const kv of json.kvs ?? []) {
    kvs.set(Buffer.from(kv.key, 'base64').toString('utf8'), Buffer.from(kv.value ?? '', 'base64').toString('utf8'))
  }
  return { kvs, revision }
}

describe('our writer, judged by real etcd 3.4', () => {
  const variants = [
    { freelist: 'none', pageSize: 4096 },
    { freelist: 'page', pageSize: 4096 },
    // bbolt takes the page size from the file, so a db made elsewhere (e.g. 16K-page arm64) still opens.
    { freelist: 'none', pageSize: 16384 },
  ] as const
  for (const { freelist, pageSize } of variants) {
    it(`etcdctl status and restore accept it, and etcd serves what we wrote (freelist: ${freelist}, page size ${pageSize})`, async () => {
      const { state, live, lastRevision, leaseId } = sampleState()
      const file = join(tempDir(), `ours-${freelist}-${pageSize}.db`)
      buildEtcdSnapshot(file, state, { freelist, pageSize })

      expect(snapshotStatus(file)).toEqual(await etcdctlStatus(file))
      expect(verifySnapshot(file).status.revision).toBe(Number(lastRevision))

      const etcd = await restoreAndServe(file)
      try {
        const { kvs, revision } = await served(etcd)
        expect(revision).toBe(lastRevision)
        expect(kvs.size).toBe(live.size)
        for (const [k, v] of live) expect(kvs.get(k), k).toBe(v)
        // The lease came through the lease bucket and still owns its key.
        const ttl = await etcd.ctlOk(['lease', 'timetolive', leaseId.toString(16), '--keys'])
        expect(ttl).toContain('/leased')
        // The next write gets the next revision: etcd rebuilt its index from our key bucket.
        await etcd.ctlOk(['put', '/after', 'x'])
        expect((await served(etcd)).revision).toBe(lastRevision + 1n)
        expect(await etcd.ctlOk(['role', 'get', 'reader'])).toContain('/app/')
      } finally {
        await etcd.stop()
      }
    })
  }

  it('a snapshot assembled from etcdSnapshotStream chunks passes etcdctl status and restore', async () => {
    const { state, live } = sampleState()
    const stream = etcdSnapshotStream(state)
    const file = join(tempDir(), 'streamed.db')
    writeFileSync(file, Buffer.concat([...stream.chunks]))
    expect(statSync(file).size).toBe(stream.totalBytes)
    expect(snapshotStatus(file)).toEqual(await etcdctlStatus(file))
    const etcd = await restoreAndServe(file)
    try {
      expect((await served(etcd)).kvs.size).toBe(live.size)
    } finally {
      await etcd.stop()
    }
  })

  it('re-writing a real etcd snapshot bucket by bucket keeps its status hash', async () => {
    const etcd = await EtcdProcess.start()
    const src = join(tempDir(), 'real.db')
    try {
      for (let i = 0; i < 300; i++) await etcd.ctlOk(['put', `/k/${i}`, 'x'.repeat(i * 7)])
      await etcd.ctlOk(['del', '/k/5'])
      await etcd.ctlOk(['lease', 'grant', '100'])
      await etcd.ctlOk(['snapshot', 'save', src])
    } finally {
      await etcd.stop()
    }
    const db = openDb(src)
    const copy = join(tempDir(), 'copy.db')
    try {
      const buckets: BucketContents[] = []
      for (const { name, bucket } of topLevelBuckets(db)) {
        buckets.push({ name: name.slice(), sequence: bucket.sequence, entries: [...entries(db, bucket)].map((e) => [e.key.slice(), e.value.slice()] as const) })
      }
      writeSnapshot(copy, buckets)
    } finally {
      db.close()
    }
    const before = await etcdctlStatus(src)
    const after = await etcdctlStatus(copy)
    expect(after.hash).toBe(before.hash)
    expect(after.revision).toBe(before.revision)
    expect(after.totalKey).toBe(before.totalKey)
    // Compact: ours is never larger than etcd's own file.
    expect(after.totalSize).toBeLessThanOrEqual(before.totalSize)

    // The typed path (reader → EtcdState → etcd writer) re-encodes every record the way
    // etcd does, so even it keeps etcdctl's hash.
    const typed = join(tempDir(), 'typed.db')
    const srcReader = readEtcdSnapshot(openDb(src))
    try {
      buildEtcdSnapshot(typed, srcReader.toState())
    } finally {
      srcReader.close()
    }
    expect(await etcdctlStatus(typed)).toEqual({ ...before, totalSize: (await etcdctlStatus(typed)).totalSize })

    // And the typed reader sees the same history in both.
    const a = readEtcdSnapshot(openDb(src))
    const b = readEtcdSnapshot(openDb(copy))
    try {
      expect([...b.revisions()].length).toBe([...a.revisions()].length)
      expect(b.liveKeyValues().size).toBe(299)
    } finally {
      a.close()
      b.close()
    }
  })

  it('a revision bump marker with scheduledCompactRev is accepted (what --bump-revision writes)', async () => {
    const { state, lastRevision } = sampleState()
    const bumped = lastRevision + 1000n
    const file = join(tempDir(), 'bumped.db')
    buildEtcdSnapshot(file, {
      ...state,
      revisions: withRevisionMarker(state.revisions, bumped),
      scheduledCompactRev: { main: bumped, sub: 0n },
    })
    expect(snapshotStatus(file)).toEqual(await etcdctlStatus(file))
    const etcd = await restoreAndServe(file)
    try {
      await etcd.ctlOk(['put', '/next', 'y'])
      const out = await etcd.ctlOk(['get', '/next', '-w', 'json'])
      expect(BigInt(/"mod_revision":(\d+)/.exec(out)![1]!)).toBe(bumped + 1n)
      const old = await etcd.ctl(['get', '/big/one', '--rev', String(lastRevision)])
      expect(old.code).not.toBe(0)
      expect(old.stderr).toContain('compacted')
    } finally {
      await etcd.stop()
    }
  })
})
