import { readdirSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { MvccStore, SPILL_BATCH_BYTES, SPILL_MIN_BYTES } from '../../../src-main/member/mvcc/store'
import { KeyRevision } from '../../../src-main/member/mvcc/types'
import { ValueSpill } from '../../../src-main/member/mvcc/valueSpill'
import { tempDirs } from './tempDirs'

const tempDir = tempDirs('raftdeck-spill-')

const rev = (value: Buffer, mod: number) => KeyRevision.make(`/k${mod}`, value, mod, mod, 0, 1, '0', false)
/** A value of `n` bytes that differs with `seed`. */
const valueOf = (seed: number, n = 100) => Buffer.from(`${seed}:`.padEnd(n, String.fromCharCode(97 + (seed % 26))))

describe('ValueSpill', () => {
  it('moves values to a file and reads the same bytes back, leaving no file behind in the folder', () => {
    const lines: string[] = []
    const dir = tempDir()
    const spill = new ValueSpill(dir, (l) => lines.push(l))
    const revs = [rev(valueOf(1), 1), rev(valueOf(2, 300), 2), rev(Buffer.alloc(0), 3), rev(valueOf(4, 5000), 4)]
    const before = revs.map((r) => Buffer.from(r.value))
    spill.spill(revs)
    expect(revs.map((r) => r.spilled)).toEqual([true, true, false, true])
    revs.forEach((r, i) => expect(r.value.equals(before[i]!)).toBe(true))
    expect(spill.stats).toEqual({ values: 3, bytes: 100 + 300 + 5000, segments: 1 })
    // Already moved: not written twice.
    spill.spill(revs)
    expect(spill.stats.values).toBe(3)
    // The file was unlinked at once: its space goes back when no revision refers to it.
    expect(readdirSync(dir)).toEqual([])
    expect(lines).toEqual([])
  })

  it('starts a new file when a batch would not fit in the current one', () => {
    const spill = new ValueSpill(tempDir(), () => {}, 1000)
    const a = [rev(valueOf(1, 600), 1)]
    const b = [rev(valueOf(2, 600), 2), rev(valueOf(3, 300), 3)]
    spill.spill(a)
    spill.spill(b)
    expect(spill.stats.segments).toBe(2)
    expect(a[0]!.value.equals(valueOf(1, 600))).toBe(true)
    expect(b[0]!.value.equals(valueOf(2, 600))).toBe(true)
    expect(b[1]!.value.equals(valueOf(3, 300))).toBe(true)
  })

  it('a failed write keeps every value in memory, says so once, and stops spilling', () => {
    const lines: string[] = []
    const spill = new ValueSpill(path.join(tempDir(), 'missing', 'dir'), (l) => lines.push(l))
    const revs = [rev(valueOf(1), 1), rev(valueOf(2), 2)]
    spill.spill(revs)
    spill.spill([rev(valueOf(3), 3)])
    expect(revs.every((r) => !r.spilled)).toBe(true)
    expect(revs[1]!.value.equals(valueOf(2))).toBe(true)
    expect(spill.active).toBe(false)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/value spill: .*ENOENT.*old values stay in memory from now on \(nothing was lost\)/)
  })
})

describe('a store that spills superseded values', () => {
  /** The same writes into two stores: puts over `keys` keys, every 7th write a delete, a few short values. */
  /** What the tests keep in memory instead of SPILL_KEEP_BYTES (32 MiB). */
  const KEEP = 256 * 1024
  function twins(writes: number, keys: number): { plain: MvccStore; spilling: MvccStore; spill: ValueSpill } {
    const plain = new MvccStore()
    const spilling = new MvccStore()
    const spill = new ValueSpill(tempDir(), () => {})
    spilling.spillValuesTo(spill, KEEP)
    for (let i = 0; i < writes; i++) {
      for (const s of [plain, spilling]) {
        const t = s.write()
        const key = `/reg/${i % keys}`
        if (i % 7 === 6) t.deleteRange(key, undefined)
        else t.put(key, i % 11 === 0 ? Buffer.from(`short${i}`) : valueOf(i, 80 + (i % 200)), '0')
        t.end()
      }
    }
    return { plain, spilling, spill }
  }

  it('moves the oldest superseded values to disk and answers every read as before', () => {
    const writes = 30_000
    const { plain, spilling, spill } = twins(writes, 1000)
    expect(spill.stats.bytes).toBeGreaterThan(4 * SPILL_BATCH_BYTES)
    // Live values stay in memory, and so do the newest superseded ones, at least KEEP bytes of them.
    const live = spilling.range('/reg/', '/reg0', {}).kvs
    expect(live.some((r) => r.spilled)).toBe(false)
    const everything = [...spilling.allRevisions()]
    const liveSet = new Set(live)
    const kept = everything.filter((r) => !r.spilled && !liveSet.has(r) && r.valueLength >= SPILL_MIN_BYTES)
    expect(kept.reduce((n, r) => n + r.valueLength, 0)).toBeGreaterThanOrEqual(KEEP)
    // The spilled ones are the oldest: none is newer than a superseded one kept in memory.
    const newestSpilled = Math.max(...everything.filter((r) => r.spilled).map((r) => r.mod))
    expect(newestSpilled).toBeLessThan(Math.max(...kept.map((r) => r.mod)))
    expect(everything.filter((r) => r.spilled).length).toBe(spill.stats.values)
    // Short values are not worth a file read.
    expect(everything.some((r) => r.spilled && r.valueLength < SPILL_MIN_BYTES)).toBe(false)
    // Reads at old revisions, watch catch-up, HashKV and a snapshot's records see the same bytes.
    const cur = spilling.currentRev
    expect(cur).toBe(plain.currentRev)
    for (const at of [2, 500, 5000, Math.floor(cur / 2), cur]) {
      const a = plain.range('/reg/', '/reg0', { rev: at }).kvs.map((r) => `${r.key}@${r.mod}=${r.value.toString('hex')}`)
      const b = spilling.range('/reg/', '/reg0', { rev: at }).kvs.map((r) => `${r.key}@${r.mod}=${r.value.toString('hex')}`)
      expect(b).toEqual(a)
    }
    const changes = (s: MvccStore) => s.changesBetween(1, 3000).map((r) => r.value.toString('hex'))
    expect(changes(spilling)).toEqual(changes(plain))
    expect(spilling.hashKV(0)).toBe(plain.hashKV(0))
    expect(everything.map((r) => r.value.toString('hex'))).toEqual([...plain.allRevisions()].map((r) => r.value.toString('hex')))
  })

  it('after a compaction reads and hashes still agree, spilling goes on, and what it dropped is not spilled', () => {
    const { plain, spilling, spill } = twins(20_000, 500)
    // Near the head: the compaction drops superseded revisions still waiting in memory to be spilled.
    const compactAt = spilling.currentRev - 50
    const before = [...spilling.allRevisions()]
    const queuedBefore = spilling.spillQueuedBytes
    expect(queuedBefore).toBeGreaterThanOrEqual(KEEP)
    plain.compact(compactAt)
    spilling.compact(compactAt)
    // What the compaction dropped no longer waits in the queue (nothing else keeps it alive).
    expect(spilling.spillQueuedBytes).toBeLessThan(queuedBefore / 2)
    const after = new Set(spilling.allRevisions())
    const droppedInMemory = before.filter((r) => !after.has(r) && !r.spilled && r.valueLength >= SPILL_MIN_BYTES)
    expect(droppedInMemory.length).toBeGreaterThan(100)
    const spilledBefore = spill.stats.values
    for (let i = 0; i < 10_000; i++) {
      for (const s of [plain, spilling]) {
        const t = s.write()
        t.put(`/reg/${i % 500}`, valueOf(i + 1_000_000, 120), '0')
        t.end()
      }
    }
    expect(spill.stats.values).toBeGreaterThan(spilledBefore)
    // What the compaction dropped is not written out when its turn comes.
    expect(droppedInMemory.filter((r) => r.spilled)).toEqual([])
    expect(spilling.hashKV(0)).toBe(plain.hashKV(0))
    expect(spilling.range('/reg/', '/reg0', { rev: compactAt }).kvs.map((r) => r.value.toString('hex'))).toEqual(
      plain.range('/reg/', '/reg0', { rev: compactAt }).kvs.map((r) => r.value.toString('hex')),
    )
  })

  it('forgets what was waiting to be spilled when a snapshot replaces the store', () => {
    const store = new MvccStore()
    const spill = new ValueSpill(tempDir(), () => {})
    // Nothing kept beyond one batch: the first write that brings the queue to SPILL_BATCH_BYTES spills.
    store.spillValuesTo(spill, 0)
    const put = (k: string, i: number) => {
      const t = store.write()
      t.put(k, valueOf(i, 100), '0')
      t.end()
    }
    const justBelow = Math.floor((SPILL_BATCH_BYTES - 1) / 100)
    for (let i = 0; i < 100 + justBelow; i++) put(`/a/${i % 100}`, i)
    expect(spill.stats.values).toBe(0)
    store.restore([], 1, 0)
    // With the old queue gone these stay below the threshold too; with it they would cross it.
    for (let i = 0; i < 120; i++) put(`/b/${i % 100}`, i)
    expect(spill.stats.values).toBe(0)
    for (let i = 0; i < justBelow; i++) put(`/b/${i % 100}`, i)
    expect(spill.stats.values).toBeGreaterThan(0)
  })
})
