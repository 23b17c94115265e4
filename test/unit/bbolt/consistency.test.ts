// The consistency check must catch each kind of damage bbolt's tx.Check catches, and
// opening must pick the right meta page.

import { describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  MetaCorruptError,
  NotBboltFileError,
  WriterInputError,
  bucketAt,
  checkConsistency,
  encodeDbBytes,
  entries,
  openDb,
  openDbBytes,
  FileSource,
} from '../../../src-main/bbolt'
import type { WriterEntry } from '../../../src-main/bbolt'
import { encodeMetaPage } from '../../../src-main/bbolt/meta'
import { encodeFreelistPage } from '../../../src-main/bbolt/freelist'

const PS = 4096
const te = new TextEncoder()

function bigDb(count = 2000, freelist: 'none' | 'page' = 'none'): Uint8Array {
  const list: WriterEntry[] = []
  for (let i = 0; i < count; i++) list.push([te.encode(`key-${String(i).padStart(6, '0')}`), te.encode(`value-${i}`)] as const)
  return encodeDbBytes([{ name: 'b', entries: list }, { name: 'small', entries: [[te.encode('a'), te.encode('1')]] }], { freelist })
}

const u64 = (b: Uint8Array, off: number): number => Number(new DataView(b.buffer, b.byteOffset).getBigUint64(off, true))
const setU64 = (b: Uint8Array, off: number, v: number): void => new DataView(b.buffer, b.byteOffset).setBigUint64(off, BigInt(v), true)

/** Page id of the bucket root (a branch page for bigDb). */
function branchRoot(bytes: Uint8Array): number {
  const db = openDbBytes(bytes)
  const root = bucketAt(db, 'b')!.root
  expect(db.page(root).flags).toBe(0x01)
  return root
}

const problems = (bytes: Uint8Array): string[] => checkConsistency(openDbBytes(bytes)).problems

describe('consistency check', () => {
  it('a fresh db is clean', () => {
    expect(problems(bigDb())).toEqual([])
    expect(problems(bigDb(2000, 'page'))).toEqual([])
  })

  it('a page referenced twice', () => {
    const b = bigDb()
    const root = branchRoot(b)
    // Point the second branch element at the first element's child.
    const e0 = root * PS + 16
    setU64(b, e0 + 16 + 8, u64(b, e0 + 8))
    const p = problems(b)
    expect(p.some((m) => m.includes('multiple references'))).toBe(true)
  })

  it('a page id beyond the high-water mark', () => {
    const b = bigDb()
    const root = branchRoot(b)
    setU64(b, root * PS + 16 + 8, 1_000_000)
    expect(problems(b).some((m) => m.includes('out of bounds') || m.includes('outside the database'))).toBe(true)
  })

  it('keys out of order inside a leaf', () => {
    const b = bigDb()
    const root = branchRoot(b)
    const firstLeaf = u64(b, root * PS + 16 + 8)
    // Overwrite the first key's first byte so it sorts after its neighbour.
    const el = firstLeaf * PS + 16
    const pos = new DataView(b.buffer).getUint32(el + 4, true)
    b[el + pos] = 0x7a
    const p = problems(b)
    expect(p.some((m) => m.includes('is not after') || m.includes('not below the parent'))).toBe(true)
  })

  it('a key outside the bounds its parent branch gives it', () => {
    const b = bigDb()
    const root = branchRoot(b)
    const secondLeaf = u64(b, root * PS + 16 + 16 + 8)
    const el = secondLeaf * PS + 16
    const pos = new DataView(b.buffer).getUint32(el + 4, true)
    b[el + pos] = 0x00 // now sorts before the branch key that leads here
    expect(problems(b).some((m) => m.includes("below the parent's lower bound"))).toBe(true)
  })

  it('an invalid page type', () => {
    const b = bigDb()
    const root = branchRoot(b)
    const leaf = u64(b, root * PS + 16 + 8)
    b[leaf * PS + 8] = 0x20
    expect(problems(b).some((m) => m.includes('invalid type'))).toBe(true)
  })

  it('an unreachable page that is not free, when the freelist is persisted', () => {
    const b = bigDb(2000, 'page')
    const root = branchRoot(b)
    // Drop the last child of the root branch: its leaf becomes unreachable.
    const count = new DataView(b.buffer).getUint16(root * PS + 10, true)
    new DataView(b.buffer).setUint16(root * PS + 10, count - 1, true)
    expect(problems(b).some((m) => m.includes('unreachable and not free'))).toBe(true)
  })

  it('with NoFreelistSync, unreachable pages simply count as free (as bbolt rebuilds them)', () => {
    const b = bigDb(2000, 'none')
    const root = branchRoot(b)
    const count = new DataView(b.buffer).getUint16(root * PS + 10, true)
    new DataView(b.buffer).setUint16(root * PS + 10, count - 1, true)
    const report = checkConsistency(openDbBytes(b))
    expect(report.ok).toBe(true)
    expect(report.pagesFree).toBeGreaterThan(0)
  })

  it('a page both reachable and listed in the freelist', () => {
    const b = bigDb(2000, 'page')
    const root = branchRoot(b)
    b.set(encodeFreelistPage(2, PS, [root]), 2 * PS)
    expect(problems(b).some((m) => m.includes('listed as free'))).toBe(true)
  })
})

describe('meta pages', () => {
  it('uses the valid meta with the highest txid, and falls back when one is damaged', () => {
    const b = bigDb(10)
    const db = openDbBytes(b)
    expect(db.metaReport.active).toBe(1) // txid 1 lives on page 1
    const damaged = b.slice()
    damaged[PS + 40] ^= 1 // inside meta 1
    const db2 = openDbBytes(damaged)
    expect(db2.metaReport.active).toBe(0)
    expect(db2.metaReport.problems[1]).toMatch(/checksum/)
    expect([...entries(db2, bucketAt(db2, 'small')!)].length).toBe(1)
  })

  it('finds meta 1 at a non-default page size when meta 0 is damaged', () => {
    const b = encodeDbBytes([{ name: 'x', entries: [] }], { pageSize: 8192 })
    b[16] ^= 0xff // meta 0 magic
    const db = openDbBytes(b)
    expect(db.pageSize).toBe(8192)
    expect(db.metaReport.active).toBe(1)
  })

  it('a newer meta on page 0 wins', () => {
    const b = bigDb(10)
    const db = openDbBytes(b)
    const m = db.meta
    b.set(encodeMetaPage(0, PS, { root: m.root, freelist: m.freelist, pgid: m.pgid, txid: 9n }), 0)
    expect(openDbBytes(b).metaReport.active).toBe(0)
  })

  it('both metas damaged: MetaCorruptError; no magic at all: NotBboltFileError', () => {
    const b = bigDb(10)
    b[16 + 40] ^= 1
    b[PS + 16 + 40] ^= 1
    expect(() => openDbBytes(b)).toThrow(MetaCorruptError)
    expect(() => openDbBytes(new Uint8Array(3 * PS).fill(7))).toThrow(NotBboltFileError)
    expect(() => openDbBytes(new Uint8Array(0))).toThrow(NotBboltFileError)
  })
})

describe('writer input checks', () => {
  it('rejects unsorted, duplicate and empty keys, and single-pass iterables', () => {
    const mk = (keys: string[]) => [{ name: 'b', entries: keys.map((k) => [te.encode(k), te.encode('v')] as const) }]
    expect(() => encodeDbBytes(mk(['b', 'a']))).toThrow(WriterInputError)
    expect(() => encodeDbBytes(mk(['a', 'a']))).toThrow(WriterInputError)
    expect(() => encodeDbBytes(mk(['']))).toThrow(WriterInputError)
    function* once(): Generator<WriterEntry> {
      for (let i = 0; i < 500; i++) yield [te.encode(`k${String(i).padStart(4, '0')}`), new Uint8Array(100)] as const
    }
    expect(() => encodeDbBytes([{ name: 'b', entries: once() }])).toThrow(/re-iterable|changed/)
  })

  it('stores small buckets inline and large ones in pages', () => {
    const db = openDbBytes(bigDb(2000))
    expect(bucketAt(db, 'small')!.root).toBe(0)
    expect(bucketAt(db, 'b')!.root).toBeGreaterThan(1)
  })
})

describe('file source', () => {
  it('reads a db through a tiny cache and gets the same answers as in memory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bbolt-unit-'))
    try {
      const bytes = bigDb(3000)
      const file = join(dir, 'db')
      writeFileSync(file, bytes)
      const db = openDb(file, { blockSize: 4096, maxBlocks: 2 })
      try {
        expect(checkConsistency(db).ok).toBe(true)
        expect([...entries(db, bucketAt(db, 'b')!)].length).toBe(3000)
        // The whole file went through a cache that never held more than two 4 KiB blocks.
        const source = db.source as FileSource
        expect(source.cachedBytes).toBeLessThanOrEqual(2 * 4096)
        expect(source.bytesRead).toBeGreaterThanOrEqual(bytes.length)
      } finally {
        db.close()
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('damaged trees do not hang or blow the stack', () => {
  it('a branch that points at itself is reported by the check and by iteration', () => {
    const b = bigDb()
    const root = branchRoot(b)
    setU64(b, root * PS + 16 + 8, root)
    const db = openDbBytes(b)
    expect(checkConsistency(db).problems.some((m) => m.includes('multiple references'))).toBe(true)
    expect(() => [...entries(db, bucketAt(db, 'b')!)]).toThrow(/nest deeper|cycle|not after|expected/)
  })
})

describe('bucket lookup', () => {
  it('requireBucket names the missing bucket', async () => {
    const { requireBucket, BucketNotFoundError } = await import('../../../src-main/bbolt')
    const db = openDbBytes(bigDb(10))
    expect(requireBucket(db, 'small').root).toBe(0)
    expect(() => requireBucket(db, 'nope')).toThrow(BucketNotFoundError)
    expect(() => requireBucket(db, 'nope')).toThrow(/"nope"/)
  })
})
