// What the snapshot stream's receiving side does with the bytes, for any way etcd (or a proxy) cuts
// the snapshot into messages: the batched writer puts every byte in place, the trailer hash finds
// the last 32 bytes wherever they start, and the streaming verifier reaches the full verifier's
// verdict. Messages of 0 bytes, of 1 byte, splitting the trailer, larger than a batch.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { etcdSnapshotStream, keyValuesAsRevisions, StreamingVerifier, verifySnapshot } from '../../../src-main/bbolt'
import { SnapshotWriter } from '../../../src-main/services/backup/snapshotWriter'
import { TrailerHash } from '../../../src-main/services/backup/streamToFile'

let dir: string
let snapshot: Buffer

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'snapshot-writer-'))
  // More than the writer's three batches of 1 MiB (checked below), so that backpressure happens.
  const pairs = Array.from({ length: 4000 }, (_, i) => ({ key: `/registry/pods/p-${i}`, value: 'v'.repeat(300 + (i % 700)) }))
  snapshot = Buffer.concat([...etcdSnapshotStream({ revisions: keyValuesAsRevisions(pairs), consistentIndex: 1n }).chunks])
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Cuts `bytes` into pieces of the given sizes, repeated until the end. */
function cut(bytes: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = []
  for (let off = 0, i = 0; off < bytes.length; i++) {
    const n = sizes[i % sizes.length]!
    // A copy, as each gRPC message is its own buffer (and reused buffers would hide a kept reference).
    out.push(Buffer.from(bytes.subarray(off, off + n)))
    off += n
  }
  return out
}

let n = 0
async function receive(chunks: Buffer[], opts: { waitForPromises: boolean }) {
  const file = path.join(dir, `${n++}.part`)
  const writer = await SnapshotWriter.create(file)
  const digest = new TrailerHash()
  const verifier = new StreamingVerifier()
  let paused = 0
  for (const c of chunks) {
    digest.push(c)
    verifier.push(c)
    const p = writer.write(c)
    if (p) {
      paused++
      if (opts.waitForPromises) await p
    }
  }
  const bytes = chunks.reduce((a, c) => a + c.length, 0)
  await writer.finish(bytes)
  return { file, paused, digest: digest.finish(), verifier, bytes }
}

describe('receiving a snapshot in pieces of any size', () => {
  it('writes every byte in place, finds the trailer and verifies (fast-check over cut points)', async () => {
    const expected = verifySnapshot(path.join(dir, writeOnce()))
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1, max: 70_000 }), fc.constant(32 * 1024), fc.integer({ min: 1024 * 1024, max: 3 * 1024 * 1024 })), { minLength: 1, maxLength: 12 }).filter((s) => s.some((x) => x > 0)),
        async (sizes) => {
          const r = await receive(cut(snapshot, sizes), { waitForPromises: true })
          try {
            expect(r.bytes).toBe(snapshot.length)
            expect(readFileSync(r.file).equals(snapshot)).toBe(true)
            expect(r.digest.sha256.equals(snapshot.subarray(snapshot.length - 32))).toBe(true)
            expect(r.digest.trailer.equals(snapshot.subarray(snapshot.length - 32))).toBe(true)
            const v = r.verifier.finish(r.file, r.bytes - 32)
            expect({ revision: v.revision, totalKey: v.totalKey }).toEqual({ revision: expected.status.revision, totalKey: expected.status.totalKey })
          } finally {
            rmSync(r.file, { force: true })
          }
        },
      ),
      { numRuns: 25 },
    )
  })

  it('asks the caller to wait when every batch is on its way to the disk, and loses nothing if it does not', async () => {
    expect(snapshot.length).toBeGreaterThan(3 * 1024 * 1024)
    const chunks = cut(snapshot, [32 * 1024])
    const waited = await receive(chunks, { waitForPromises: true })
    const ignored = await receive(chunks, { waitForPromises: false })
    try {
      expect(waited.paused).toBeGreaterThan(0)
      expect(readFileSync(waited.file).equals(snapshot)).toBe(true)
      expect(readFileSync(ignored.file).equals(snapshot)).toBe(true)
      expect(statSync(waited.file).mode & 0o777).toBe(0o600)
    } finally {
      rmSync(waited.file, { force: true })
      rmSync(ignored.file, { force: true })
    }
  })

  it('finds a trailer that does not match the data', () => {
    const damaged = Buffer.from(snapshot)
    damaged[100]! ^= 1
    const digest = new TrailerHash()
    for (const c of cut(damaged, [7, 32 * 1024, 1])) digest.push(c)
    const { sha256, trailer } = digest.finish()
    expect(sha256.equals(trailer)).toBe(false)
    expect(sha256.equals(createHash('sha256').update(damaged.subarray(0, damaged.length - 32)).digest())).toBe(true)
  })

  it('refuses a file that exists, refuses a short finish, and removes its file on abort', async () => {
    const existing = path.join(dir, 'existing.part')
    writeFileSync(existing, 'keep me')
    await expect(SnapshotWriter.create(existing)).rejects.toThrow(/EEXIST/)
    expect(readFileSync(existing, 'utf8')).toBe('keep me')

    const short = path.join(dir, 'short.part')
    const w = await SnapshotWriter.create(short)
    w.write(snapshot.subarray(0, 5000))
    await expect(w.finish(5001)).rejects.toThrow(/5000 bytes written, expected 5001/)
    await w.abort()
    expect(existsSync(short)).toBe(false)

    // What runs while the fsync is in flight sees every byte in the file, and its result comes back;
    // when it throws, finish() passes the error on and abort() still removes the file.
    const checked = path.join(dir, 'checked.part')
    const c = await SnapshotWriter.create(checked)
    for (const piece of cut(snapshot, [32 * 1024])) await c.write(piece)
    const seen = await c.finish(snapshot.length, () => readFileSync(checked))
    expect(seen?.equals(snapshot)).toBe(true)
    const failing = path.join(dir, 'failing.part')
    const f = await SnapshotWriter.create(failing)
    for (const piece of cut(snapshot, [32 * 1024])) await f.write(piece)
    await expect(
      f.finish(snapshot.length, () => {
        throw new Error('the check failed')
      }),
    ).rejects.toThrow('the check failed')
    await f.abort()
    expect(existsSync(failing)).toBe(false)

    const aborted = path.join(dir, 'aborted.part')
    const a = await SnapshotWriter.create(aborted)
    for (const c of cut(snapshot, [32 * 1024])) a.write(c)
    await a.abort()
    expect(existsSync(aborted)).toBe(false)
  })
})

function writeOnce(): string {
  writeFileSync(path.join(dir, 'whole.db'), snapshot)
  return 'whole.db'
}
