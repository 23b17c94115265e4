// Named scenarios about elections, leadership and reads, each over the CI
// seed budget. Every run also asserts the safety invariants at each step,
// convergence after healing, and linearizability of the client history.

import { describe, expect, it } from 'vitest'
import { CI_SEEDS, runSeeds } from './ci'

const NAMES = [
  'figure8',
  'figure8-unreliable',
  'old-leader-rejoins',
  'stale-log-election',
  'backtrack-divergent',
  'prevote-rejoin',
  'checkquorum-stepdown',
  'stale-leader-read',
]

describe(`scenarios (elections and reads), ${CI_SEEDS} seeds each`, () => {
  for (const name of NAMES) {
    it(name, () => {
      const { failures, report } = runSeeds(name)
      expect(failures, report).toBe(0)
    })
  }
})
