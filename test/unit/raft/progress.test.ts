import { describe, expect, it } from 'vitest'
import { Progress } from '../../../src-main/raft/progress'

const fresh = (next = 10): Progress => new Progress(next, false, 4, 0)

describe('Progress', () => {
  it('probe: one message at a time, resumed by an answer', () => {
    const p = fresh()
    expect(p.isPaused()).toBe(false)
    p.sentEntries(3, 30)
    expect(p.isPaused()).toBe(true)
    expect(p.maybeUpdate(12)).toBe(true)
    expect(p.isPaused()).toBe(false)
    expect(p.next).toBe(13)
  })

  it('probe: a rejection moves next back using the hint, but never below match+1', () => {
    const p = fresh(10)
    p.match = 3
    expect(p.maybeDecrTo(9, 5)).toBe(true)
    expect(p.next).toBe(6)
    // Stale rejection (not for next-1): ignored.
    expect(p.maybeDecrTo(9, 1)).toBe(false)
    expect(p.maybeDecrTo(5, 0)).toBe(true)
    expect(p.next).toBe(4)
  })

  it('replicate: optimistic next within the window; a rejection falls back to match+1', () => {
    const p = fresh(10)
    p.match = 9
    p.becomeReplicate()
    for (let i = 0; i < 4; i++) p.sentEntries(1, 1)
    expect(p.next).toBe(14)
    expect(p.isPaused()).toBe(true)
    expect(p.maybeDecrTo(8, 0)).toBe(false) // already matched: stale
    expect(p.maybeDecrTo(12, 0)).toBe(true)
    expect(p.next).toBe(10)
  })

  it('snapshot: paused until the snapshot is acknowledged; probe resumes after it', () => {
    const p = fresh(10)
    p.becomeSnapshot(50)
    expect(p.isPaused()).toBe(true)
    p.becomeProbe()
    expect(p.next).toBe(51)
  })
})
