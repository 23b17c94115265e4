// A long queue of committed entries (a restart replaying its log, the entries that arrive behind a
// snapshot install) is applied in slices, with turns of the event loop between them, so heartbeats
// and clients are not held up for the whole queue. Before 2026-12-03 the slicing loop only advanced
// its bound and then applied everything in one call: a learner held its thread for 129 ms after an
// install (test/integration/snapshot/noElection.test.ts).
import { describe, expect, it } from 'vitest'
import { applyInSlices } from '../../../src-main/member/server/raftNode'
import type { Entry } from '../../../src-main/raft'
import { countTurns } from './turns'

const entries = (n: number): Entry[] => Array.from({ length: n }, (_, i) => ({ index: String(i + 1), term: '1', type: 'EntryNormal', data: new Uint8Array(0) }) as unknown as Entry)

/** Work that takes `ms` of the thread, as applying an entry does. */
function busy(ms: number): void {
  const t = performance.now()
  while (performance.now() - t < ms) {
    // spinning on purpose: applying is CPU work, not waiting
  }
}

describe('applyInSlices', () => {
  it('applies every entry once, in order, in small chunks, and yields between slices', async () => {
    const all = entries(400)
    const seen: Entry[] = []
    const chunks: number[] = []
    const turns = countTurns()
    await applyInSlices(
      all,
      (chunk) => {
        chunks.push(chunk.length)
        seen.push(...chunk)
        busy(chunk.length * 0.1)
      },
      () => false,
      5,
    )
    turns.stop()
    expect(seen).toEqual(all)
    expect(Math.max(...chunks)).toBeLessThanOrEqual(16)
    // 40 ms of work in 5 ms slices: the loop had turns in between.
    expect(turns.turn).toBeGreaterThanOrEqual(4)
  })

  it('with no slice time, gives the event loop a turn after every chunk', async () => {
    const all = entries(100)
    const turns = countTurns()
    // The turn in which each chunk was applied.
    const appliedIn: number[] = []
    const seen: Entry[] = []
    await applyInSlices(
      all,
      (chunk) => {
        appliedIn.push(turns.turn)
        seen.push(...chunk)
      },
      () => false,
      0,
    )
    turns.stop()
    expect(seen).toEqual(all)
    expect(appliedIn).toHaveLength(7)
    // Seven chunks, each in a turn of its own.
    expect(new Set(appliedIn).size).toBe(7)
  })

  it('hands a short queue over whole, in one call', async () => {
    const all = entries(12)
    const calls: (readonly Entry[])[] = []
    await applyInSlices(all, (chunk) => calls.push(chunk), () => false)
    expect(calls).toHaveLength(1)
    expect(calls[0]).toBe(all)
  })

  it('stops between slices once the member stops', async () => {
    const all = entries(400)
    let applied = 0
    let stop = false
    await applyInSlices(
      all,
      (chunk) => {
        applied += chunk.length
        busy(chunk.length * 0.1)
        stop = true
      },
      () => stop,
      5,
    )
    expect(applied).toBeGreaterThan(0)
    expect(applied).toBeLessThan(all.length)
  })
})
