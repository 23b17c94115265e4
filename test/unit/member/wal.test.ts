import { afterEach, describe, expect, it } from 'vitest'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Wal } from '../../../src-main/member/wal/wal'
import { encodeRecord, RecordType } from '../../../src-main/member/wal/record'
import { encodeEntry } from '../../../src-main/member/wal/payloads'

const dirs: string[] = []
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'rd-wal-'))
  dirs.push(d)
  return d
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true })
})

const meta = { memberId: '123', clusterId: '456' }
const entry = (index: number, term = 1, text = `e${index}`) => ({ term, index, type: 0, data: Buffer.from(text) })

describe('wal', () => {
  it('replays entries and hard state after reopen', async () => {
    const dir = tempDir()
    const wal = await Wal.create(dir, meta)
    await Promise.all([wal.save(null, [entry(1), entry(2)]), wal.save({ term: 2, vote: '9', commit: 2 }, [entry(3, 2)])])
    await wal.close()
    const { replay } = await Wal.open(dir)
    expect(replay.metadata).toEqual(meta)
    expect(replay.entries.map((e) => [e.index, e.term, Buffer.from(e.data).toString()])).toEqual([
      [1, 1, 'e1'],
      [2, 1, 'e2'],
      [3, 2, 'e3'],
    ])
    expect(replay.hardState).toEqual({ term: 2, vote: '9', commit: 2 })
    expect(replay.tornTail).toBeUndefined()
  })

  it('groups concurrent saves into one fdatasync', async () => {
    const wal = await Wal.create(tempDir(), meta)
    const saves = []
    for (let i = 1; i <= 50; i++) saves.push(wal.save(null, [entry(i)]))
    await Promise.all(saves)
    expect(wal.stats.syncs).toBeLessThanOrEqual(2)
    await wal.close()
  })

  it('a later write of an index replaces the conflicting suffix', async () => {
    const dir = tempDir()
    const wal = await Wal.create(dir, meta)
    await wal.save(null, [entry(1), entry(2), entry(3)])
    await wal.save(null, [entry(2, 2, 'new2')])
    await wal.close()
    const { replay } = await Wal.open(dir)
    expect(replay.entries.map((e) => Buffer.from(e.data).toString())).toEqual(['e1', 'new2'])
  })

  it('stops at a torn tail, says so, and keeps appending after the last good record', async () => {
    const dir = tempDir()
    const wal = await Wal.create(dir, meta)
    await wal.save(null, [entry(1), entry(2)])
    const end = wal.endOffset
    await wal.close()
    const file = wal.segmentFiles()[0]!
    const buf = fs.readFileSync(file)
    // Simulate a crash mid-write: a third record of 2 kB whose first sectors reached the disk and
    // the rest did not (the preallocated zeros are still there).
    const third = encodeRecord(RecordType.Entry, encodeEntry(entry(3, 1, 'x'.repeat(2000))))
    const written = (Math.floor(end / 512) + 2) * 512 - end
    third.copy(buf, end, 0, written)
    fs.writeFileSync(file, buf)
    const { wal: reopened, replay } = await Wal.open(dir)
    expect(replay.entries.map((e) => e.index)).toEqual([1, 2])
    expect(replay.tornTail).toMatch(/torn record at .* offset/)
    await reopened.save(null, [entry(3)])
    await reopened.close()
    const again = await Wal.open(dir)
    expect(again.replay.entries.map((e) => e.index)).toEqual([1, 2, 3])
    expect(again.replay.tornTail).toBeUndefined()
    await again.wal.close()
  })

  it('treats preallocated zeros after the last record as the clean end', async () => {
    const dir = tempDir()
    const wal = await Wal.create(dir, meta)
    await wal.save(null, [entry(1)])
    await wal.close()
    expect(fs.statSync(wal.segmentFiles()[0]!).size).toBeGreaterThan(wal.endOffset)
    const { wal: w, replay } = await Wal.open(dir)
    expect(replay.tornTail).toBeUndefined()
    expect(w.endOffset).toBe(wal.endOffset)
    await w.save(null, [entry(2)])
    await w.close()
    expect((await Wal.open(dir)).replay.entries.map((e) => e.index)).toEqual([1, 2])
  })

  it('refuses to start on a corrupt record (bit flip) in the last segment, with a recovery hint, and cuts nothing', async () => {
    for (const which of ['middle', 'last'] as const) {
      const dir = tempDir()
      const wal = await Wal.create(dir, meta)
      await wal.save(null, [entry(1), entry(2)])
      const endOfSecond = wal.endOffset
      await wal.save(null, [entry(3)])
      const endOfThird = wal.endOffset
      await wal.close()
      const file = wal.segmentFiles()[0]!
      const buf = fs.readFileSync(file)
      // A flipped bit in the second record (records follow it) or in the very last one (only
      // preallocated zeros follow it): damage either way, not a crash.
      buf[(which === 'middle' ? endOfSecond : endOfThird) - 2]! ^= 0xff
      fs.writeFileSync(file, buf)
      await expect(Wal.open(dir)).rejects.toThrow(/wal: corrupt record at 0+-0+1\.wal offset \d+ \(CRC mismatch.*refusing to start\. To recover, remove this member from the cluster/)
      expect(Buffer.compare(fs.readFileSync(file), buf)).toBe(0)
    }
  })

  it('drops old segments after a snapshot and replays only what follows it', async () => {
    const dir = tempDir()
    const wal = await Wal.create(dir, meta)
    await wal.save({ term: 1, vote: '1', commit: 3 }, [entry(1), entry(2), entry(3)])
    await wal.saveSnapshot({ index: 3, term: 1 })
    await wal.save(null, [entry(4)])
    expect(wal.segmentFiles()).toHaveLength(1)
    await wal.close()
    const { wal: w, replay } = await Wal.open(dir)
    expect(replay.snapshot).toEqual({ index: 3, term: 1 })
    expect(replay.entries.map((e) => e.index)).toEqual([4])
    expect(replay.hardState.commit).toBe(3)
    await w.close()
  })
})

describe('wal segments', () => {
  it('cuts full segments, replays across them, and drops the ones a snapshot covers', async () => {
    const dir = tempDir()
    const wal = await Wal.create(dir, meta)
    wal.segmentBytes = 300
    for (let i = 1; i <= 40; i++) await wal.save({ term: 1, vote: '1', commit: i }, [entry(i, 1, `value-${i}`)])
    const segs = wal.segmentFiles()
    expect(segs.length).toBeGreaterThan(3)
    await wal.close()
    const { wal: w, replay } = await Wal.open(dir)
    expect(replay.entries.map((e) => e.index)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1))
    expect(replay.hardState.commit).toBe(40)
    w.segmentBytes = 300
    await w.saveSnapshot({ index: 30, term: 1 })
    expect(w.segmentFiles().length).toBeLessThan(segs.length)
    await w.save(null, [entry(41)])
    await w.close()
    const again = await Wal.open(dir)
    expect(again.replay.snapshot).toEqual({ index: 30, term: 1 })
    expect(again.replay.entries.map((e) => e.index)).toEqual([31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41])
    expect(again.replay.hardState.commit).toBe(40)
    await again.wal.close()
  })
})
