// Property tests: any sorted bucket contents go through writer → reader → consistency
// check and come back unchanged, at every page size, with and without a freelist.

import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import {
  Crc32c,
  bucketAt,
  checkConsistency,
  childBucket,
  encodeDbBytes,
  entries,
  get,
  openDbBytes,
  statusOfDb,
  topLevelBuckets,
} from '../../../src-main/bbolt'
import type { BoltDb, BucketContents, BucketRef, NestedBucket, WriterEntry } from '../../../src-main/bbolt'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const cmp = (a: Uint8Array, b: Uint8Array): number => Buffer.compare(Buffer.from(a), Buffer.from(b))

type Model = Map<string, Uint8Array | ModelBucket>
interface ModelBucket {
  kind: 'bucket'
  entries: Model
}

// Keys are short (so many share pages) or long; values are empty, small, or bigger than
// a page so overflow pages appear.
const keyArb = fc.oneof(
  { weight: 4, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 12 }) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 600 }) },
)
const valueArb = fc.oneof(
  { weight: 6, arbitrary: fc.uint8Array({ maxLength: 64 }) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 900 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 20000 }).map((n) => new Uint8Array(n).map((_, i) => (i * 31) & 0xff)) },
)

const modelArb: fc.Arbitrary<Model> = fc.letrec<{ bucket: Model }>((tie) => ({
  bucket: fc
    .array(
      fc.tuple(
        keyArb,
        fc.oneof(
          { weight: 8, arbitrary: valueArb as fc.Arbitrary<Uint8Array | Model> },
          { weight: 1, arbitrary: tie('bucket') as fc.Arbitrary<Uint8Array | Model> },
        ),
      ),
      { maxLength: 120, depthIdentifier: 'bucket' },
    )
    .map((pairs) => {
      const m: Model = new Map()
      for (const [k, v] of pairs) m.set(hex(k), v instanceof Uint8Array ? v : { kind: 'bucket', entries: v })
      return m
    }),
})).bucket

function toWriter(m: Model): NestedBucket {
  const keys = [...m.keys()].sort((a, b) => cmp(Buffer.from(a, 'hex'), Buffer.from(b, 'hex')))
  const list: WriterEntry[] = keys.map((k) => {
    const v = m.get(k)!
    const key = new Uint8Array(Buffer.from(k, 'hex'))
    return v instanceof Uint8Array ? ([key, v] as const) : { key, bucket: toWriter(v.entries) }
  })
  return { entries: list }
}

function readBack(db: BoltDb, ref: BucketRef): Model {
  const m: Model = new Map()
  for (const e of entries(db, ref)) {
    m.set(hex(e.key), e.isBucket ? { kind: 'bucket', entries: readBack(db, childBucket(e)) } : e.value.slice())
  }
  return m
}

function same(a: Model, b: Model): boolean {
  if (a.size !== b.size) return false
  for (const [k, v] of a) {
    const w = b.get(k)
    if (w === undefined) return false
    if (v instanceof Uint8Array) {
      if (!(w instanceof Uint8Array) || hex(v) !== hex(w)) return false
    } else if (w instanceof Uint8Array || !same(v.entries, w.entries)) return false
  }
  return true
}

const topArb = fc.uniqueArray(fc.tuple(fc.string({ minLength: 1, maxLength: 10 }), modelArb), {
  maxLength: 6,
  selector: ([name]) => name,
})

describe('writer → reader round trip', () => {
  it('preserves every bucket, key and value, and passes the consistency check', () => {
    fc.assert(
      fc.property(topArb, fc.constantFrom(1024, 4096, 8192), fc.constantFrom('none' as const, 'page' as const), (top, pageSize, freelist) => {
        const buckets: BucketContents[] = top.map(([name, m]) => ({ name, ...toWriter(m) }))
        const bytes = encodeDbBytes(buckets, { pageSize, freelist })
        const db = openDbBytes(bytes)
        expect(db.pageSize).toBe(pageSize)
        expect(bytes.length).toBe(db.size)
        const report = checkConsistency(db)
        expect(report.problems).toEqual([])
        expect(report.pagesFree).toBe(0)
        const names = [...topLevelBuckets(db)].map((b) => Buffer.from(b.name).toString())
        expect(names).toEqual(top.map(([n]) => n).sort((a, b) => cmp(Buffer.from(a), Buffer.from(b))))
        for (const [name, m] of top) {
          const ref = bucketAt(db, name)!
          expect(same(readBack(db, ref), m)).toBe(true)
          // Point lookups find every plain key.
          for (const [k, v] of m) {
            if (!(v instanceof Uint8Array)) continue
            const hit = get(db, ref, new Uint8Array(Buffer.from(k, 'hex')))
            expect(hit && hex(hit.value)).toBe(hex(v))
          }
        }
      }),
      { numRuns: 150 },
    )
  })

  it('status hashes bucket names, then keys and values, in order', () => {
    fc.assert(
      fc.property(topArb, (top) => {
        const flat = top.map(([name, m]) => {
          const values = new Map([...m].filter(([, v]) => v instanceof Uint8Array) as Array<[string, Uint8Array]>)
          return [name, values] as const
        })
        const db = openDbBytes(encodeDbBytes(flat.map(([name, m]) => ({ name, ...toWriter(m) }))))
        const crc = new Crc32c()
        let total = 0
        for (const [name, m] of [...flat].sort((a, b) => cmp(Buffer.from(a[0]), Buffer.from(b[0])))) {
          crc.update(Buffer.from(name))
          for (const k of [...m.keys()].sort((a, b) => cmp(Buffer.from(a, 'hex'), Buffer.from(b, 'hex')))) {
            crc.update(Buffer.from(k, 'hex')).update(m.get(k)!)
            total++
          }
        }
        const st = statusOfDb(db)
        expect(st.hash).toBe(crc.value)
        expect(st.totalKey).toBe(total)
      }),
      { numRuns: 100 },
    )
  })

  it('large buckets get branch levels, overflow pages and stay consistent', () => {
    let sawBranch = 0
    let sawOverflow = 0
    fc.assert(
      fc.property(
        fc.integer({ min: 300, max: 6000 }),
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 0, max: 400 }),
        fc.constantFrom(1024, 4096),
        (count, keyPad, valueLen, pageSize) => {
          const list: WriterEntry[] = []
          for (let i = 0; i < count; i++) {
            const key = new Uint8Array(Buffer.from(String(i).padStart(8, '0') + 'k'.repeat(i % keyPad)))
            const len = i % 97 === 0 ? pageSize * 3 + i : (i * 7) % (valueLen + 1)
            list.push([key, new Uint8Array(len).fill(i & 0xff)] as const)
          }
          const db = openDbBytes(encodeDbBytes([{ name: 'big', entries: list }], { pageSize }))
          expect(checkConsistency(db).problems).toEqual([])
          const root = db.page(bucketAt(db, 'big')!.root)
          if (root.flags === 0x01) sawBranch++
          for (let id = 2; id < db.meta.pgid; id++) {
            const p = db.page(id)
            if (p.overflow > 0) {
              sawOverflow++
              break
            }
          }
          let n = 0
          for (const e of entries(db, bucketAt(db, 'big')!)) {
            const [k, v] = list[n++] as readonly [Uint8Array, Uint8Array]
            if (hex(e.key) !== hex(k) || hex(e.value) !== hex(v)) return false
          }
          return n === count
        },
      ),
      { numRuns: 25 },
    )
    expect(sawBranch).toBeGreaterThan(20)
    expect(sawOverflow).toBeGreaterThan(20)
  })
})
