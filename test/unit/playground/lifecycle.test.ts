import { describe, expect, it } from 'vitest'
import { transition, type LifecycleEvent } from '../../../src-main/services/playground/lifecycle'
import type { PlaygroundPhase } from '../../../src-main/shared/api/playground'

const phases: PlaygroundPhase[] = ['stopped', 'starting', 'running', 'stopping', 'failed']
const events: LifecycleEvent[] = [{ type: 'start' }, { type: 'started' }, { type: 'startFailed', error: 'x' }, { type: 'stop' }, { type: 'stopped' }]

describe('playground lifecycle', () => {
  it('follows the normal path stopped → starting → running → stopping → stopped', () => {
    let p: PlaygroundPhase = 'stopped'
    for (const [e, want] of [
      [{ type: 'start' }, 'starting'],
      [{ type: 'started' }, 'running'],
      [{ type: 'stop' }, 'stopping'],
      [{ type: 'stopped' }, 'stopped'],
    ] as const) {
      const t = transition(p, e)
      expect(t.refused).toBeUndefined()
      p = t.phase
      expect(p).toBe(want)
    }
  })

  it('a failed start can be retried or stopped', () => {
    expect(transition('starting', { type: 'startFailed', error: 'port in use' }).phase).toBe('failed')
    expect(transition('failed', { type: 'start' }).phase).toBe('starting')
    expect(transition('failed', { type: 'stop' }).phase).toBe('stopping')
  })

  it('repeated requests are harmless and out-of-order outcomes are refused', () => {
    expect(transition('running', { type: 'start' })).toEqual({ phase: 'running' })
    expect(transition('stopped', { type: 'stop' })).toEqual({ phase: 'stopped' })
    expect(transition('running', { type: 'stopped' }).refused).toMatch(/unexpected/)
    expect(transition('stopped', { type: 'started' }).refused).toMatch(/unexpected/)
    expect(transition('stopping', { type: 'start' }).refused).toMatch(/stopping/)
  })

  it('is total: every phase answers every event with a known phase', () => {
    for (const p of phases) for (const e of events) expect(phases).toContain(transition(p, e).phase)
  })
})
