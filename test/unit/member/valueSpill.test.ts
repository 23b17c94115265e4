import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { MvccStore, SPILL_AFTER, SPILL_BATCH, SPILL_MIN_BYTES } from '../../../src-main/member/mvcc/store'
import { KeyRevision } from '../../../src-main/member/mvcc/types'
import { ValueSpill } from '../../../src-main/member/mvcc/valueSpill'

const dirs: string[] = []
const tempDir = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'raftdeck-spill-'))
  dirs.push(d)
  return d
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

const rev = (value: Buffer, mod: number) => new KeyRevision(`/k${mod}`, value, mod, mod, 0, 1, '0', false)
/** A value of `n` bytes that differs with `seed`. */
const valueOf = (seed: number, n = 100) => Buffer.from(`${seed}:`.padEnd(n, String.fromCharCode(97 + (seed % 26))))

describe('ValueSpill', () => {
  it('moves values to a file and reads the same bytes back, leaving no file behind in the folder', () => {
    const lines: string[] = []
    const spill = new ValueSpill(tempDir(), (l) => lines.push(l))
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
    expect(readdirSync(dirs[0]!)).toEqual([])
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
  function twins(writes: number, keys: number): { plain: MvccStore; spilling: MvccStore; spill: ValueSpill } {
    const plain = new MvccStore()
    const spilling = new MvccStore()
    const spill = new ValueSpill(tempDir(), () => {})
    spilling.spillValuesTo(spill)
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
    // About four writes in five supersede a value worth spilling (deletes and short values do not).
    const writes = 2 * (SPILL_AFTER + 3 * SPILL_BATCH)
    const { plain, spilling, spill } = twins(writes, 1000)
    expect(spill.stats.values).toBeGreaterThan(2 * SPILL_BATCH)
    // The newest superseded values stay in memory, and so do live ones.
    const live = spilling.range('/reg/', '/reg0', {}).kvs
    expect(live.some((r) => r.spilled)).toBe(false)
    const everything = [...spilling.allRevisions()]
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

  it('after a compaction reads and hashes still agree, and spilling goes on', () => {
    const { plain, spilling, spill } = twins(SPILL_AFTER + 2 * SPILL_BATCH + 10, 500)
    const compactAt = Math.floor(spilling.currentRev / 2)
    plain.compact(compactAt)
    spilling.compact(compactAt)
    const spilledBefore = spill.stats.values
    for (let i = 0; i < 2 * SPILL_BATCH; i++) {
      for (const s of [plain, spilling]) {
        const t = s.write()
        t.put(`/reg/${i % 500}`, valueOf(i + 1_000_000, 120), '0')
        t.end()
      }
    }
    expect(spill.stats.values).toBeGreaterThan(spilledBefore)
    expect(spilling.hashKV(0)).toBe(plain.hashKV(0))
    expect(spilling.range('/reg/', '/reg0', { rev: compactAt }).kvs.map((r) => r.value.toString('hex'))).toEqual(
      plain.range('/reg/', '/reg0', { rev: compactAt }).kvs.map((r) => r.value.toString('hex')),
    )
  })

  it('forgets what was waiting to be spilled when a snapshot replaces the store', () => {
    const { spilling, spill } = twins(SPILL_AFTER + SPILL_BATCH - 10, 100)
    expect(spill.stats.values).toBe(0)
    spilling.restore([], 1, 0)
    // Without the queue's old revisions, the next writes do not reach the threshold.
    for (let i = 0; i < 20; i++) {
      const t = spilling.write()
      t.put(`/x/${i % 5}`, valueOf(i), '0')
      t.end()
    }
    expect(spill.stats.values).toBe(0)
  })
})
