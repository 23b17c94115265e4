// The streaming verifier must reach verifySnapshot's verdict on every file: the same status numbers
// on valid snapshots (branch pages, overflow pages, tombstones, leases, users, with and without a
// freelist, other page sizes), and a failure exactly when verifySnapshot fails on damaged ones. The
// damage is seeded and replayable; the SHA-256 trailer is recomputed so the damage reaches the
// structural checks instead of stopping at the hash.
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { buildEtcdSnapshot, StreamingVerifier, verifySnapshot, type RevisionInput, type WriteOptions } from '../../../src-main/bbolt'

const dir = mkdtempSync(path.join(tmpdir(), 'raftdeck-streamverify-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const te = new TextEncoder()

function mulberry32(seed: number) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function history(n: number, bigEvery = 0): RevisionInput[] {
  const out: RevisionInput[] = []
  for (let i = 0; i < n; i++) {
    const main = BigInt(i + 2)
    const key = te.encode(`/registry/things/item-${String(i % Math.max(1, n - 7)).padStart(6, '0')}`)
    if (i % 13 === 12) out.push({ main, sub: 0n, tombstone: true, kv: { key, value: new Uint8Array(0), createRevision: 0n, modRevision: main, version: 0n, lease: 0n } })
    else {
      const value = bigEvery && i % bigEvery === 0 ? new Uint8Array(9000).fill(i & 0xff) : te.encode(`value ${i} `.repeat(1 + (i % 5)))
      out.push({ main, sub: 0n, kv: { key, value, createRevision: main, modRevision: main, version: 1n, lease: i % 17 === 0 ? 7n : 0n } })
    }
  }
  return out
}

function build(name: string, n: number, opts: WriteOptions & { bigEvery?: number } = {}): string {
  const file = path.join(dir, name)
  const { bigEvery, ...w } = opts
  buildEtcdSnapshot(
    file,
    {
      revisions: history(n, bigEvery),
      consistentIndex: BigInt(n),
      leases: [{ id: 7n, ttl: 60n, remainingTtl: 0n }],
      users: [{ name: 'root', password: te.encode('$2a$10$abcdefghijklmnopqrstuv'), roles: ['root'], options: null }],
      roles: [{ name: 'root', keyPermission: [] }],
    } as never,
    w,
  )
  return file
}

type Verdict = { ok: true; revision: number; totalKey: number } | { ok: false; code: string; message: string }

function full(file: string): Verdict {
  try {
    const v = verifySnapshot(file)
    return { ok: true, revision: v.status.revision, totalKey: v.status.totalKey }
  } catch (e) {
    return { ok: false, code: (e as { code: string }).code, message: (e as Error).message }
  }
}

function streamed(file: string, rnd: () => number): Verdict {
  const bytes = readFileSync(file)
  const v = new StreamingVerifier()
  // Chunks of random sizes, as gRPC delivers them.
  for (let pos = 0; pos < bytes.length; ) {
    const n = Math.min(bytes.length - pos, 1 + Math.floor(rnd() * 40_000))
    v.push(bytes.subarray(pos, pos + n))
    pos += n
  }
  try {
    const r = v.finish(file, bytes.length - 32)
    return { ok: true, revision: r.revision, totalKey: r.totalKey }
  } catch (e) {
    return { ok: false, code: (e as { code: string }).code, message: (e as Error).message }
  }
}

describe('StreamingVerifier', () => {
  it('gives verifySnapshot’s status on valid snapshots of every shape', () => {
    const rnd = mulberry32(1)
    const files = [
      build('empty.db', 0),
      build('small.db', 20),
      build('branches.db', 6000),
      build('overflow.db', 800, { bigEvery: 9 }),
      build('freelist-page.db', 3000, { freelist: 'page' }),
      build('pagesize-8k.db', 3000, { pageSize: 8192, bigEvery: 50 }),
    ]
    for (const f of files) {
      const a = full(f)
      expect(a.ok, `${f}: ${JSON.stringify(a)}`).toBe(true)
      expect(streamed(f, rnd)).toEqual(a)
    }
  })

  it('fails exactly when verifySnapshot fails, on 300 seeded damages', () => {
    const base = readFileSync(build('mutate.db', 2500, { bigEvery: 40 }))
    const db = base.length - 32
    const pages = db / 4096
    let failures = 0
    for (let seed = 1; seed <= 300; seed++) {
      const rnd = mulberry32(seed)
      const b = Buffer.from(base)
      // Aim at what matters: page headers, element tables, keys and values, meta pages.
      const page = Math.floor(rnd() * pages)
      const kind = rnd()
      const offset = page * 4096 + (kind < 0.3 ? Math.floor(rnd() * 16) : kind < 0.6 ? 16 + Math.floor(rnd() * 256) : Math.floor(rnd() * 4096))
      const flips = 1 + Math.floor(rnd() * 3)
      for (let i = 0; i < flips; i++) b[Math.min(db - 1, offset + i * 7)] ^= 1 << Math.floor(rnd() * 8)
      createHash('sha256').update(b.subarray(0, db)).digest().copy(b, db)
      const f = path.join(dir, `m-${seed}.db`)
      writeFileSync(f, b)
      const a = full(f)
      const s = streamed(f, rnd)
      expect(s.ok, `seed ${seed} (page ${page}, offset ${offset}): full says ${JSON.stringify(a)}, streamed says ${JSON.stringify(s)}`).toBe(a.ok)
      if (a.ok) expect(s).toEqual(a)
      else failures++
      rmSync(f)
    }
    // The damage must actually be found most of the time, or this test proves little.
    expect(failures).toBeGreaterThan(60)
  })

  it.each([
    ['first', -300, "below the parent's lower bound"],
    ['last', 300, "not below the parent's next key"],
  ] as const)('finds a leaf whose keys are in order but outside its parent\'s bounds (its %s record moved)', (which, shift, complaint) => {
    // Such a page is well formed on its own, so the walk checks it from the summary table alone (the
    // fast path for almost every page); the bounds its parent gives must still apply.
    const b = Buffer.from(readFileSync(build(`bounds-${which}.db`, 6000)))
    const db = b.length - 32
    const varintAt = (o: number) => {
      let v = 0
      let n = 0
      while (b[o + n]! & 0x80) v += (b[o + n]! & 0x7f) * 2 ** (7 * n++)
      return { value: v + b[o + n]! * 2 ** (7 * n), length: n + 1 }
    }
    let target: { page: number; key: number; modAt: number; rev: number } | null = null
    for (let p = 2; p < db / 4096 - 10 && !target; p++) {
      const o = p * 4096
      // A leaf of etcd's key bucket (17-byte revision keys) whose record's revision has a 2-byte varint.
      if (b.readUInt16LE(o + 8) !== 0x02 || b.readUInt16LE(o + 10) < 2 || b.readUInt32LE(o + 16 + 8) !== 17) continue
      const e = o + 16 + (which === 'first' ? 0 : b.readUInt16LE(o + 10) - 1) * 16
      const key = e + b.readUInt32LE(e + 4)
      const rev = Number(b.readBigUInt64BE(key))
      if (rev < 400 || rev >= 15_000) continue
      // The record's mod_revision (field 3), which must keep naming the key's revision.
      let q = key + 17
      const end = q + b.readUInt32LE(e + 12)
      while (q < end) {
        const tag = varintAt(q)
        q += tag.length
        if (tag.value === 3 << 3) {
          target = { page: p, key, modAt: q, rev }
          break
        }
        if ((tag.value & 7) === 0) q += varintAt(q).length
        else q += varintAt(q).length + varintAt(q).value
      }
    }
    expect(target).not.toBeNull()
    // The record moves 300 revisions: still in order within its page and a valid record, but outside
    // the range the parent gives this page.
    const { key, modAt, rev } = target!
    const moved = rev + shift
    b.writeBigUInt64BE(BigInt(moved), key)
    b[modAt] = (moved & 0x7f) | 0x80
    b[modAt + 1] = moved >> 7
    createHash('sha256').update(b.subarray(0, db)).digest().copy(b, db)
    const f = path.join(dir, `bounds-${which}-damaged.db`)
    writeFileSync(f, b)
    const a = full(f)
    const s = streamed(f, mulberry32(7))
    expect(a.ok).toBe(false)
    expect(s.ok).toBe(false)
    expect(s.ok ? '' : s.message).toContain(`page ${target!.page}: key`)
    expect(s.ok ? '' : s.message).toContain(complaint)
  })

  it('keeps only a small summary per page', () => {
    const f = build('memory.db', 20000)
    const bytes = readFileSync(f)
    const v = new StreamingVerifier()
    for (let pos = 0; pos < bytes.length; pos += 32 * 1024) v.push(bytes.subarray(pos, pos + 32 * 1024))
    v.finish(f, bytes.length - 32)
    // Typed arrays grown by doubling plus first/last keys: a small fraction of the database.
    expect(v.retainedBytes()).toBeLessThan(bytes.length * 0.1)
    // Past its budget it stops keeping summaries and says so, so the caller reads the file instead.
    const small = new StreamingVerifier(64 * 1024)
    for (let pos = 0; pos < bytes.length; pos += 32 * 1024) small.push(bytes.subarray(pos, pos + 32 * 1024))
    expect(small.overBudget).toBe(true)
    expect(small.retainedBytes()).toBeLessThan(256 * 1024)
    expect(() => small.finish(f, bytes.length - 32)).toThrow(/outgrew the memory budget/)
  })
})
