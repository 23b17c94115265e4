/**
 * Proposal waiters (src-main/member/server/waiters.ts): answered once, timed out no earlier than
 * asked, and many proposals share a handful of timers.
 */
import { describe, expect, it } from 'vitest'
import { DEADLINE_GRANULE_MS, Waiters } from '../../../src-main/member/server/waiters'
import { EtcdError } from '../../../src-main/member/errors'
import type { ApplyOutcome } from '../../../src-main/member/server/stateMachine'

const timeout = () => new EtcdError(4, 'etcdserver: request timed out')
const outcome = { revision: 7 } as unknown as ApplyOutcome

describe('proposal waiters', () => {
  it('answer a triggered proposal once, and never time it out afterwards', async () => {
    const w = new Waiters()
    const p = w.register('1', 30, timeout)
    w.trigger('1', outcome)
    w.fail('1', new Error('late'))
    await expect(p).resolves.toBe(outcome)
    expect(w.size).toBe(0)
    expect(w.timers).toBe(0)
  })

  it('time a proposal out, no earlier than asked', async () => {
    const w = new Waiters()
    const t0 = performance.now()
    const err = await w.register('1', 40, timeout).catch((e: unknown) => e)
    const took = performance.now() - t0
    expect(err).toBeInstanceOf(EtcdError)
    expect((err as EtcdError).message).toBe('etcdserver: request timed out')
    // Node's timers run on a millisecond clock: allow that one millisecond.
    expect(took).toBeGreaterThanOrEqual(40 - 1)
    // A granule late at most, plus what a busy test machine adds to any timer: this catches a
    // deadline that is not kept, not the granule itself.
    expect(took).toBeLessThan(40 + DEADLINE_GRANULE_MS + 2_000)
    expect(w.size).toBe(0)
    expect(w.timers).toBe(0)
  })

  it('share timers between proposals whose deadlines round alike', async () => {
    const w = new Waiters()
    const t0 = performance.now()
    const ps = Array.from({ length: 1000 }, (_, i) => w.register(String(i), 5_000, timeout))
    // One timer per round value the deadlines fell in: one or two when registering takes under a
    // granule (a timer each before).
    expect(w.timers).toBeLessThanOrEqual(2 + Math.floor((performance.now() - t0) / DEADLINE_GRANULE_MS))
    for (let i = 0; i < 999; i++) w.trigger(String(i), outcome)
    expect(w.timers).toBe(1)
    w.failAll(new Error('stopped'))
    expect(w.timers).toBe(0)
    const settled = await Promise.allSettled(ps)
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(999)
    expect(settled[999]).toMatchObject({ status: 'rejected', reason: new Error('stopped') })
  })
})
