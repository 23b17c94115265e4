// A seed is a complete description of a run: replaying it gives the same
// trace, and a failure report names the seed and the command that replays it.

import { describe, expect, it } from 'vitest'
import { formatFailure, runScenario, shrink } from './runner'

describe('deterministic replay', () => {
  it('the same seed gives the same run, event for event', () => {
    for (const scenario of ['random', 'lossy-churn', 'figure8-unreliable']) {
      const a = runScenario({ scenario, seed: 4242, trace: true })
      const b = runScenario({ scenario, seed: 4242, trace: true })
      expect(a.stats).toEqual(b.stats)
      expect(a.trace).toEqual(b.trace)
      expect(a.trace!.length).toBeGreaterThan(50)
    }
  })

  it('different seeds explore different runs', () => {
    const a = runScenario({ scenario: 'random', seed: 1 })
    const b = runScenario({ scenario: 'random', seed: 2 })
    expect(a.stats).not.toEqual(b.stats)
  })

  it('a failure report carries the seed, a trace and the replay command', () => {
    const failed = runScenario({ scenario: 'figure8', seed: 3, faults: { commitOldTermEntries: true } })
    expect(failed.ok).toBe(false)
    const shrunk = shrink(failed)
    expect(shrunk.ok).toBe(false)
    const text = formatFailure(shrunk)
    expect(text).toContain('seed=3')
    expect(text).toContain('npm run sim -- --scenario figure8 --seed 3')
    expect(text).toContain('--mutate commitOldTermEntries')
    expect(text).toMatch(/FIGURE8 \(d\)/)
  })
})
