/**
 * Proposal waiters (src-main/member/server/waiters.ts): answered once, timed out no earlier than
 * asked whatever order the deadlines come in, and all of them on one timer.
 */
import { describe, expect, it } from 'vitest'
import { Waiters } from '../../../src-main/member/server/waiters'
import { EtcdError } from '../../../src-main/member/errors'
import type { ApplyOutcome } from '../../../src-main/member/server/stateMachine'

const timeout = () => new EtcdError(4, 'etcdserver: request timed out')
const outcome = { revision: 7 } as unknown as ApplyOutcome

/** Resolves once `w` has no timer armed (the one left behind by answered waiters fired on nothing). */
async function untilNoTimer(w: Waiters): Promise<void> {
  while (w.timers !== 0) await new Promise((r) => setTimeout(r, 5))
}

describe('proposal waiters', () => {
  it('answer a triggered proposal once, and never time it out afterwards', async () => {
    const w = new Waiters()
    const p = w.register('1', 30, timeout)
    w.trigger('1', outcome)
    w.fail('1', new Error('late'))
    await expect(p).resolves.toBe(outcome)
    expect(w.size).toBe(0)
    // The timer armed for it fires on nothing and is not armed again.
    await untilNoTimer(w)
    expect(w.size).toBe(0)
  })

  it('wake each proposal with its own outcome, in whatever order they are applied', async () => {
    const w = new Waiters()
    const ps = ['a', 'b', 'c', 'd'].map((id) => w.register(id, 5_000, timeout))
    const outcomes = ['a', 'b', 'c', 'd'].map((id, i) => ({ revision: i + 1, id }) as unknown as ApplyOutcome)
    // A proposal Raft dropped and took again later is applied after ones made after it.
    w.trigger('c', outcomes[2]!)
    w.trigger('d', outcomes[3]!)
    w.trigger('nobody', outcome)
    expect(w.size).toBe(2)
    w.trigger('a', outcomes[0]!)
    w.fail('b', new Error('stopped'))
    expect(w.size).toBe(0)
    const settled = await Promise.allSettled(ps)
    expect(settled.slice(0, 1).concat(settled.slice(2))).toEqual([0, 2, 3].map((i) => ({ status: 'fulfilled', value: outcomes[i] })))
    expect(settled[1]).toMatchObject({ status: 'rejected', reason: new Error('stopped') })
    w.failAll(new Error('stopped'))
  })

  it('time a proposal out, no earlier than asked', async () => {
    const w = new Waiters()
    const t0 = performance.now()
    const err = await w.register('1', 40, timeout).catch((e: unknown) => e)
    const took = performance.now() - t0
    expect(err).toBeInstanceOf(EtcdError)
    expect((err as EtcdError).message).toBe('etcdserver: request timed out')
    expect(took).toBeGreaterThanOrEqual(40)
    // Plus what a busy test machine adds to any timer: this catches a deadline that is not kept.
    expect(took).toBeLessThan(40 + 2_000)
    expect(w.size).toBe(0)
    expect(w.timers).toBe(0)
  })

  it('keep every deadline whatever order they come in, with one timer', async () => {
    const w = new Waiters()
    const t0 = performance.now()
    const late = w.register('late', 1_500, timeout).catch(() => performance.now() - t0)
    // An earlier deadline after a later one re-arms the timer for it.
    const early = w.register('early', 40, timeout).catch(() => performance.now() - t0)
    const answered = w.register('answered', 20, timeout)
    expect(w.timers).toBe(1)
    w.trigger('answered', outcome)
    await expect(answered).resolves.toBe(outcome)
    const tookEarly = await early
    expect(tookEarly).toBeGreaterThanOrEqual(40)
    // Not with the late one: well before its deadline, even on a busy machine.
    expect(tookEarly).toBeLessThan(1_500)
    // The sweep that timed out the early one armed again for the late one, which is still waiting.
    expect(w.size).toBe(1)
    expect(w.timers).toBe(1)
    expect(await late).toBeGreaterThanOrEqual(1_500)
    expect(w.size).toBe(0)
    expect(w.timers).toBe(0)
  })

  it('share one timer between many proposals, and drop it when stopped', async () => {
    const w = new Waiters()
    const ps = Array.from({ length: 1000 }, (_, i) => w.register(String(i), 5_000, timeout))
    expect(w.timers).toBe(1)
    for (let i = 0; i < 999; i++) w.trigger(String(i), outcome)
    expect(w.size).toBe(1)
    w.failAll(new Error('stopped'))
    expect(w.timers).toBe(0)
    expect(w.size).toBe(0)
    const settled = await Promise.allSettled(ps)
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(999)
    expect(settled[999]).toMatchObject({ status: 'rejected', reason: new Error('stopped') })
  })
})
