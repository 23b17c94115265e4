/**
 * Linearizable reads share ReadIndex rounds (src-main/member/server/readIndex.ts): the reads that
 * arrive in one turn of the event loop go out as one round, and reads arriving while a round is
 * under way wait for the next one, which starts as soon as the answer comes. A round's readers are
 * released a chunk per turn.
 */
import { describe, expect, it } from 'vitest'
import { ANSWERS_PER_TURN } from '../../../src-main/member/server/answersPerTurn'
import { ReadIndexBatcher } from '../../../src-main/member/server/readIndex'
import { countTurns } from './turns'

function harness() {
  const rounds: Uint8Array[] = []
  const b = new ReadIndexBatcher((ctx) => {
    rounds.push(ctx)
    return true
  }, 5_000, 1_000)
  const nextRound = async (n: number) => {
    for (let i = 0; i < 100 && rounds.length < n; i++) await new Promise((r) => setImmediate(r))
    expect(rounds.length).toBe(n)
    return rounds[n - 1]!
  }
  return { b, rounds, nextRound }
}

describe('ReadIndex rounds', () => {
  it('sends one round for the reads of one turn, and the next for those that came during it', async () => {
    const { b, rounds, nextRound } = harness()
    const first = Array.from({ length: 50 }, () => b.read())
    // Nothing is asked of Raft inside the turn the reads arrived in.
    expect(rounds.length).toBe(0)
    const ctx1 = await nextRound(1)
    const second = Array.from({ length: 20 }, () => b.read())
    expect(b.waiting).toBe(20)
    b.onReadState(ctx1, 7)
    expect(await Promise.all(first)).toEqual(Array(50).fill(7))
    // The waiting reads go out at once, as one round.
    const ctx2 = await nextRound(2)
    expect(b.waiting).toBe(0)
    b.onReadState(ctx2, 9)
    expect(await Promise.all(second)).toEqual(Array(20).fill(9))
    expect(rounds.length).toBe(2)
  })

  it('ignores an answer to another round, and fails every reader it holds on failAll', async () => {
    const { b, nextRound } = harness()
    const r = b.read()
    const ctx = await nextRound(1)
    b.onReadState(Uint8Array.from([1, 2, 3]), 4)
    const late = b.read()
    b.failAll(new Error('stopped'))
    await expect(r).rejects.toThrow('stopped')
    await expect(late).rejects.toThrow('stopped')
    // The real answer, now late, finds nobody and breaks nothing.
    b.onReadState(ctx, 4)
  })

  it('releases a round’s readers a chunk per turn of the event loop, in the order they came', async () => {
    const { b, rounds, nextRound } = harness()
    const n = ANSWERS_PER_TURN * 2 + 5
    const released: Array<{ reader: number; turn: number }> = []
    const turns = countTurns()
    const reads = Array.from({ length: n }, (_, i) => b.read().then(() => released.push({ reader: i, turn: turns.turn })))
    const ctx = await nextRound(1)
    b.onReadState(ctx, 7)
    // The next round may start before the last of these readers is released.
    const more = b.read()
    await Promise.all(reads)
    turns.stop()
    expect(released.map((r) => r.reader)).toEqual(Array.from({ length: n }, (_, i) => i))
    const turnsUsed = [...new Set(released.map((r) => r.turn))]
    expect(turnsUsed).toHaveLength(3)
    for (const [chunk, turn] of turnsUsed.entries()) {
      const size = released.filter((r) => r.turn === turn).length
      expect(size).toBe(chunk < 2 ? ANSWERS_PER_TURN : 5)
    }
    expect(rounds.length).toBe(2)
    b.onReadState(rounds[1]!, 8)
    expect(await more).toBe(8)
  })
})
