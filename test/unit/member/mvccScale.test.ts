// The MVCC store's structures for large key spaces: the B-tree key index and the chunked watch log
// against simple models, physical compaction in the background, and frozen views while writes go on.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { KeyIndex } from '../../../src-main/member/mvcc/keyIndex'
import { RevisionLog } from '../../../src-main/member/mvcc/revisionLog'
import { MvccStore, type StepResult } from '../../../src-main/member/mvcc/store'
import { KeyRevision } from '../../../src-main/member/mvcc/types'
import { sortSliced } from '../../../src-main/member/mvcc/slicedSort'

const rev = (mod: number, sub = 0): KeyRevision => KeyRevision.make(`k${mod}`, Buffer.alloc(0), mod, mod, sub, 1, '0', false)

describe('KeyIndex', () => {
  it('behaves like a sorted set under random inserts and removes', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 3000 })), { maxLength: 3000 }), fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 0, max: 3000 }), (ops, a, b) => {
        const idx = new KeyIndex()
        const model = new Set<string>()
        // Zero-padded so string order is numeric order; some keys share prefixes.
        const k = (n: number) => String(n).padStart(5, '0')
        for (const [add, n] of ops) {
          if (add) {
            idx.insert(k(n))
            model.add(k(n))
          } else {
            idx.remove(k(n))
            model.delete(k(n))
          }
        }
        idx.checkInvariants()
        const sorted = [...model].sort()
        expect(idx.size).toBe(sorted.length)
        expect([...idx.all()]).toEqual(sorted)
        const [lo, hi] = a <= b ? [k(a), k(b)] : [k(b), k(a)]
        expect([...idx.range(lo, hi)]).toEqual(sorted.filter((x) => x >= lo && x < hi))
        expect([...idx.range(lo, '')]).toEqual(sorted.filter((x) => x >= lo))
        expect([...idx.range(lo, undefined)]).toEqual(model.has(lo) ? [lo] : [])
        expect(idx.keysAfter(lo, 7)).toEqual(sorted.filter((x) => x > lo).slice(0, 7))
        expect(idx.keysAfter(undefined, 5)).toEqual(sorted.slice(0, 5))
      }),
      { numRuns: 60 },
    )
  })

  it('stays a tree of bounded leaves through changes in the middle of a 200,000-key space', () => {
    const idx = KeyIndex.fromSorted(Array.from({ length: 200_000 }, (_, i) => `/registry/pods/ns/${String(i).padStart(7, '0')}`))
    idx.checkInvariants()
    for (let i = 0; i < 20_000; i++) {
      const key = `/registry/pods/ns/${String((i * 7919) % 200_000).padStart(7, '0')}x`
      idx.insert(key)
      idx.remove(key)
    }
    // Every leaf within its bound: a change moves at most one leaf's keys (a sorted array moved
    // ~100,000 per change here).
    idx.checkInvariants()
    expect(idx.size).toBe(200_000)
  })
})

describe('RevisionLog', () => {
  it('cuts from the front and answers ranges like an array', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 12_000 }), fc.array(fc.integer({ min: 0, max: 14_000 }), { maxLength: 5 }), (steps, cuts) => {
        const log = new RevisionLog()
        const model: KeyRevision[] = []
        let mod = 1
        for (const s of steps) {
          mod += s
          const r = rev(mod)
          log.push(r)
          model.push(r)
        }
        let floor = 0
        for (const c of cuts.sort((x, y) => x - y)) {
          log.dropBefore(c)
          floor = Math.max(floor, c)
        }
        const kept = model.filter((r) => r.mod >= floor)
        expect(log.length).toBe(kept.length)
        expect([...log.freeze()]).toEqual(kept)
        const from = floor + 5
        expect(log.between(from, from + 300)).toEqual(kept.filter((r) => r.mod >= from && r.mod <= from + 300))
      }),
      { numRuns: 40 },
    )
  })

  it('a frozen view keeps what it saw while the log grows and is cut', () => {
    const log = new RevisionLog()
    for (let i = 1; i <= 10_000; i++) log.push(rev(i))
    const frozen = log.freeze()
    for (let i = 10_001; i <= 12_000; i++) log.push(rev(i))
    log.dropBefore(9000)
    expect(frozen.length).toBe(10_000)
    expect([...frozen].map((r) => r.mod)).toEqual(Array.from({ length: 10_000 }, (_, i) => i + 1))
    expect(log.length).toBe(3001)
  })
})

/** A store with some history: puts, overwrites, deletes and re-creations over 40 keys. */
function history(s: MvccStore, writes: number, seed = 1): void {
  let x = seed
  const next = () => (x = (x * 1103515245 + 12345) % 2 ** 31)
  for (let i = 0; i < writes; i++) {
    const t = s.write()
    const k = `key/${next() % 40}`
    if (next() % 5 === 0) t.deleteRange(k, undefined)
    else t.put(k, Buffer.from(`v${i}`), '0')
    t.end()
  }
}

/** Runs background steps by hand. */
function manualRunner(): { run: (budget?: number) => number; pending: () => boolean; attach: (s: MvccStore) => void } {
  let step: (() => StepResult) | undefined
  return {
    attach: (s) => s.backgroundCompaction((fn) => (step = fn)),
    pending: () => step !== undefined,
    run: (budget = Infinity) => {
      let n = 0
      while (step && n < budget) {
        n++
        const r = step()
        if (r === 'done') step = undefined
        if (r === 'blocked') break
      }
      return n
    },
  }
}

const dump = (s: MvccStore, r = 0) => s.range('', '', { rev: r }).kvs.map((kv) => `${kv.key}=${kv.value.toString()}@${kv.mod}/v${kv.version}`)

describe('MvccStore compaction in the background', () => {
  it('reads, watch replay and snapshots see the same store whether physical compaction ran or not', () => {
    const sync = new MvccStore()
    const bg = new MvccStore()
    const runner = manualRunner()
    runner.attach(bg)
    history(sync, 3000)
    history(bg, 3000)
    sync.compact(2000)
    bg.compact(2000)
    expect(runner.pending()).toBe(true)
    for (const r of [0, 2000, 2500]) expect(dump(bg, r)).toEqual(dump(sync, r))
    expect(() => bg.range('', '', { rev: 1999 })).toThrow('required revision has been compacted')
    expect(bg.changesBetween(2000, 2100)).toEqual(sync.changesBetween(2000, 2100))
    expect([...bg.allRevisions()]).toEqual([...sync.allRevisions()])
    // Writes go on while it is owed; then it finishes in small steps.
    history(sync, 100, 7)
    history(bg, 100, 7)
    expect(runner.run()).toBeGreaterThan(0)
    expect(bg.compacting).toBe(false)
    expect(bg.sizeInUse()).toBe(sync.sizeInUse())
    expect(bg.keyCount()).toBe(sync.keyCount())
    expect(dump(bg)).toEqual(dump(sync))
  })

  it('waits while a frozen view is open, and the view stays consistent meanwhile', () => {
    const s = new MvccStore()
    const runner = manualRunner()
    runner.attach(s)
    history(s, 2000)
    const view = s.view()
    const before = [...view.changes].length
    s.compact(1500)
    history(s, 200, 3)
    expect(runner.run()).toBe(1)
    expect(s.compacting).toBe(true)
    // The view still holds every change it saw, and nothing newer.
    expect([...view.changes].length).toBe(before)
    expect([...view.changes].every((r) => r.mod <= view.currentRev)).toBe(true)
    view.release()
    runner.run()
    expect(s.compacting).toBe(false)
  })

  it('a newer compaction while one is under way restarts it at the newer revision', () => {
    const sync = new MvccStore()
    const bg = new MvccStore()
    const runner = manualRunner()
    runner.attach(bg)
    history(sync, 3000)
    history(bg, 3000)
    bg.compact(1000)
    runner.run(1)
    bg.compact(2500)
    sync.compact(1000)
    sync.compact(2500)
    runner.run()
    expect(dump(bg, 2500)).toEqual(dump(sync, 2500))
    expect(bg.sizeInUse()).toBe(sync.sizeInUse())
  })
})

describe('sortSliced', () => {
  it('sorts like Array.sort (stable), giving the event loop turns on a large input', async () => {
    fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.integer()), { maxLength: 9000 }), async (xs) => {
        const cmp = (a: [number, number], b: [number, number]) => a[0] - b[0]
        expect(await sortSliced(xs, cmp, 0)).toEqual([...xs].sort(cmp))
      }),
      { numRuns: 30 },
    )
    let turns = 0
    const ticker = setInterval(() => turns++, 0)
    const big = Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 300_007)
    const sorted = await sortSliced(big, (a, b) => a - b, 1)
    clearInterval(ticker)
    expect(sorted).toEqual([...big].sort((a, b) => a - b))
    expect(turns).toBeGreaterThan(0)
  })
})

describe('StoreView.survivorBatches', () => {
  it('gives the same revisions as survivors(), a batch per 1024 index keys, empty where no key has one', () => {
    const s = new MvccStore()
    const put = (key: string) => {
      const t = s.write()
      t.put(key, Buffer.from('v'), '0')
      t.end()
    }
    // 3000 keys written before the compaction revision, then 3000 keys only after it: those have no
    // revision below it, so the batches that cover only them are empty (sliced work still gets a turn).
    const written: Array<[string, number]> = []
    for (let i = 0; i < 3000; i++) {
      const key = `a${String(i).padStart(5, '0')}`
      put(key)
      written.push([key, s.currentRev])
    }
    const compactRev = s.currentRev
    s.compact(compactRev)
    for (let i = 0; i < 3000; i++) put(`b${String(i).padStart(5, '0')}`)
    const view = s.view()
    try {
      const batches = [...view.survivorBatches()]
      // What compaction keeps below its revision, worked out from the writes: each a-key's one
      // revision, except the one written at the compaction revision (that one is in `changes`).
      expect(batches.flat().map((r) => [r.key, r.mod])).toEqual(written.filter(([, mod]) => mod < compactRev))
      expect(batches.flat()).toEqual([...view.survivors()])
      // 6000 keys in 1024-key batches: the last of them sees fewer keys and ends the walk.
      expect(batches).toHaveLength(6)
      expect(batches.slice(3).every((b) => b.length === 0)).toBe(true)
    } finally {
      view.release()
    }
  })
})
