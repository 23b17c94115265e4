// The stream the member serves for Maintenance.Snapshot: size known before the first
// chunk, chunks that concatenate to the same file writeSnapshot produces, and a digest.

import { describe, expect, it } from 'vitest'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildEtcdSnapshot, etcdSnapshotStream, keyValuesAsRevisions, planDb, buildEtcdBuckets, readEtcdSnapshot, openDb, verifySnapshot } from '../../../src-main/bbolt'

describe('etcd snapshot stream', () => {
  it('announces its size, matches the file writer byte for byte, and verifies', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bbolt-stream-'))
    try {
      const pairs = Array.from({ length: 3000 }, (_, i) => ({ key: `/s/${i}`, value: 'v'.repeat(i % 700) }))
      const state = { revisions: keyValuesAsRevisions(pairs), consistentIndex: 7n }
      const stream = etcdSnapshotStream(state)
      expect(stream.totalBytes).toBe(planDb(buildEtcdBuckets(state)).dbBytes + 32)
      const chunks = [...stream.chunks]
      const bytes = Buffer.concat(chunks)
      expect(bytes.length).toBe(stream.totalBytes)
      expect(bytes.length % 512).toBe(32) // what etcdctl snapshot save checks
      const streamed = join(dir, 'streamed.db')
      writeFileSync(streamed, bytes)
      const written = join(dir, 'written.db')
      buildEtcdSnapshot(written, state)
      expect(Buffer.compare(readFileSync(written), bytes)).toBe(0)
      const v = verifySnapshot(streamed)
      expect(v.status.revision).toBe(3001)
      const r = readEtcdSnapshot(openDb(streamed))
      try {
        expect(r.liveKeyValues().size).toBe(3000)
        expect(r.meta().consistentIndex).toBe(7n)
      } finally {
        r.close()
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('async planning for a member that must keep ticking', () => {
  it('gives the event loop turns while planning, and streams the same bytes', async () => {
    const { etcdSnapshotStreamAsync } = await import('../../../src-main/bbolt')
    const pairs = Array.from({ length: 40_000 }, (_, i) => ({ key: `/t/${String(i).padStart(6, '0')}`, value: 'x'.repeat(200) }))
    const state = { revisions: keyValuesAsRevisions(pairs), consistentIndex: 1n }
    // A timer standing in for Raft ticks: it must fire while the plan is being made.
    let ticks = 0
    const timer = setInterval(() => ticks++, 1)
    let stream
    try {
      stream = await etcdSnapshotStreamAsync(state, { sliceMs: 2 })
    } finally {
      clearInterval(timer)
    }
    expect(ticks).toBeGreaterThan(0)
    const sync = etcdSnapshotStream(state)
    expect(stream.totalBytes).toBe(sync.totalBytes)
    expect(Buffer.compare(Buffer.concat([...stream.chunks]), Buffer.concat([...sync.chunks]))).toBe(0)
  })
})
