// Named scenarios about operations on a running cluster: crashes, transfer,
// membership, snapshots, and everything at once, over the CI seed budget.

import { describe, expect, it } from 'vitest'
import { CI_SEEDS, runSeeds } from './ci'

const NAMES = ['leader-crash-reads', 'transfer-lagging', 'remove-leader', 'promote-learner', 'snapshot-catchup', 'lossy-churn', 'random']

describe(`scenarios (operations), ${CI_SEEDS} seeds each`, () => {
  for (const name of NAMES) {
    it(name, () => {
      const { failures, report } = runSeeds(name)
      expect(failures, report).toBe(0)
    })
  }
})
