/**
 * `raftdeck snapshot restore|status|verify` on bad files and bad flags: a flipped byte, a cut file, a
 * missing trailer and a non-bbolt file each fail with their own error code (where etcdctl's restore
 * fails too), exit 1, and leave nothing behind; bad flags are one line and exit 2. The good file's
 * status table is byte-identical to etcdctl's.
 */
import { afterAll, describe, expect, it } from 'vitest'
import fs from 'node:fs'
import path from 'node:path'
import { buildEtcdSnapshot, keyValuesAsRevisions } from '../../../src-main/bbolt/index'
import { cleanupAll, etcdctl, tempDir } from '../member/support/procs'
import { raftdeck } from './support'

const restoreFlags = (dataDir: string) => ['--name', 'n1', '--initial-cluster', 'n1=http://127.0.0.1:2380', '--initial-cluster-token', 't', '--initial-advertise-peer-urls', 'http://127.0.0.1:2380', '--data-dir', dataDir]

describe('snapshot commands on bad input', () => {
  afterAll(cleanupAll)

  it('rejects corrupt snapshots with the specific error, as etcdctl restore does, and writes nothing', async () => {
    const dir = tempDir('rd-snap-bad-')
    const good = path.join(dir, 'good.db')
    buildEtcdSnapshot(good, { revisions: keyValuesAsRevisions(Array.from({ length: 300 }, (_, i) => ({ key: `/k/${i}`, value: 'v'.repeat(100) }))), consistentIndex: 1n })
    const bytes = fs.readFileSync(good)
    const dbBytes = bytes.subarray(0, bytes.length - 32)
    const flipped = Buffer.from(bytes)
    flipped[3 * 4096 + 200] = flipped[3 * 4096 + 200]! ^ 0x01
    const cases: Array<{ name: string; data: Buffer; code: string; etcd: RegExp }> = [
      { name: 'flipped.db', data: flipped, code: 'SNAPSHOT_HASH_MISMATCH', etcd: /expected sha256/ },
      { name: 'cut.db', data: bytes.subarray(0, 5 * 4096 + 1000), code: 'SNAPSHOT_TRUNCATED', etcd: /missing hash|expected sha256/ },
      { name: 'nohash.db', data: Buffer.from(dbBytes), code: 'SNAPSHOT_MISSING_HASH', etcd: /snapshot missing hash but --skip-hash-check=false/ },
      { name: 'text.db', data: Buffer.from('this is not a bbolt database\n'.repeat(200)), code: 'SNAPSHOT_NOT_BBOLT', etcd: /missing hash|invalid database/ },
    ]
    for (const c of cases) fs.writeFileSync(path.join(dir, c.name), c.data)
    const listing = fs.readdirSync(dir).sort()

    const ours = await Promise.all(cases.map((c) => raftdeck(['snapshot', 'restore', path.join(dir, c.name), ...restoreFlags(path.join(dir, `${c.name}.etcd`))])))
    for (const [i, c] of cases.entries()) {
      const r = ours[i]!
      expect(r.code, `${c.name}: ${r.stderr}`).toBe(1)
      expect(r.stderr.split('\n')[0]).toMatch(new RegExp(`^raftdeck snapshot restore: .*\\[${c.code}\\]$`))
      expect(r.stdout).toBe('')
      // etcdctl 3.4 refuses the same file.
      const theirs = await etcdctl('127.0.0.1:1', ['snapshot', 'restore', path.join(dir, c.name), `--data-dir=${path.join(tempDir('rd-snap-etcdctl-'), 'x')}`])
      expect(theirs.code, c.name).not.toBe(0)
      expect(theirs.stderr, c.name).toMatch(c.etcd)
    }
    // Nothing written: no data dir, no temp dir, no file touched.
    expect(fs.readdirSync(dir).sort()).toEqual(listing)
    expect(fs.readFileSync(path.join(dir, 'flipped.db')).equals(flipped)).toBe(true)

    // verify says the same; status and verify accept the good file; --skip-hash-check takes a raw db.
    const verifyFlipped = await raftdeck(['snapshot', 'verify', path.join(dir, 'flipped.db')])
    expect(verifyFlipped.code).toBe(1)
    expect(verifyFlipped.stderr).toMatch(/\[SNAPSHOT_HASH_MISMATCH\]\nhint: /)
    expect((await raftdeck(['snapshot', 'verify', good])).stdout).toMatch(/^OK: .* is a valid etcd snapshot/)
    const raw = await raftdeck(['snapshot', 'restore', path.join(dir, 'nohash.db'), '--skip-hash-check', ...restoreFlags(path.join(dir, 'raw.etcd'))])
    expect(raw.code, raw.stderr).toBe(0)
    expect(fs.existsSync(path.join(dir, 'raw.etcd', 'member', 'wal'))).toBe(true)

    const table = await raftdeck(['snapshot', 'status', good])
    const etcdTable = await etcdctl('127.0.0.1:1', ['snapshot', 'status', good, '-w', 'table'])
    expect(table.stdout).toBe(etcdTable.stdout)
  })

  it('answers bad flags with one line and exit 2', async () => {
    const dir = tempDir('rd-snap-flags-')
    const good = path.join(dir, 'good.db')
    buildEtcdSnapshot(good, { revisions: keyValuesAsRevisions([{ key: 'a', value: 'b' }]), consistentIndex: 1n })
    const runs = await Promise.all([
      raftdeck(['snapshot', 'restore', good, ...restoreFlags(path.join(dir, 'x')), '--mark-compacted']),
      raftdeck(['snapshot', 'restore', good, ...restoreFlags(path.join(dir, 'y')), '--name', 'nope']),
      raftdeck(['snapshot', 'save', path.join(dir, 'z.db'), '--endpoints', 'http://127.0.0.1:1,http://127.0.0.1:2']),
      raftdeck(['snapshot', 'status', good, '-w', 'yaml']),
    ])
    expect(runs.map((r) => r.code)).toEqual([2, 2, 2, 2])
    expect(runs.map((r) => r.stderr.trim().split('\n'))).toEqual([
      ['raftdeck snapshot: --mark-compacted requires --bump-revision'],
      ['raftdeck snapshot: couldn\'t find local name "nope" in the initial cluster configuration'],
      ['raftdeck snapshot: snapshot must be requested to one selected node, not multiple [http://127.0.0.1:1 http://127.0.0.1:2]'],
      ["raftdeck snapshot: -w must be table or json, got 'yaml'"],
    ])
    expect(fs.readdirSync(dir)).toEqual(['good.db'])
  })
})
