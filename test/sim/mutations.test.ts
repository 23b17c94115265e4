// Mutation tests: break one rule of the core through its test-only fault
// switch and show that the simulator notices. Each row names the scenario
// that exercises the rule and the check that must catch it. The same
// scenarios pass without the mutation (scenarios-*.test.ts).

import { describe, expect, it } from 'vitest'
import type { Faults } from '../../src-main/raft/config'
import { formatFailure, runScenario } from './runner'
import type { RunResult } from './runner'

interface Mutation {
  readonly rule: keyof Faults
  readonly scenario: string
  /** Checks allowed to catch it (a prefix of RunResult.kind). */
  readonly caughtBy: readonly string[]
  readonly maxSeeds: number
  /** Turn off the direct vote-grant check so only core safety properties can catch it. */
  readonly skipGrantCheck?: boolean
}

const MUTATIONS: readonly Mutation[] = [
  { rule: 'commitOldTermEntries', scenario: 'figure8', caughtBy: ['Safety/LeaderCompleteness', 'Safety/CommittedNeverChanges'], maxSeeds: 10 },
  { rule: 'voteIgnoresLastTerm', scenario: 'stale-log-election', caughtBy: ['Safety/LeaderCompleteness', 'Safety/CommittedNeverChanges'], maxSeeds: 10, skipGrantCheck: true },
  { rule: 'voteIgnoresLastTerm', scenario: 'stale-log-election', caughtBy: ['Safety/ElectionRestriction'], maxSeeds: 10 },
  { rule: 'preVoteSkipsLogCheck', scenario: 'figure8-unreliable', caughtBy: ['Safety/ElectionRestriction'], maxSeeds: 20 },
  { rule: 'readIndexSkipsQuorum', scenario: 'stale-leader-read', caughtBy: ['Linearizability'], maxSeeds: 20 },
  { rule: 'readIndexSkipsTermCommitCheck', scenario: 'leader-crash-reads', caughtBy: ['Linearizability'], maxSeeds: 80 },
  { rule: 'checkQuorumNeverStepsDown', scenario: 'checkquorum-stepdown', caughtBy: ['Scenario'], maxSeeds: 5 },
]

function firstFailure(m: Mutation): RunResult | undefined {
  for (let seed = 1; seed <= m.maxSeeds; seed++) {
    const r = runScenario({ scenario: m.scenario, seed, faults: { [m.rule]: true }, skipGrantCheck: m.skipGrantCheck })
    if (!r.ok) return r
  }
  return undefined
}

describe('the simulator catches deliberately broken rules', () => {
  for (const m of MUTATIONS) {
    const label = `${m.rule} in ${m.scenario}${m.skipGrantCheck ? ' (without the direct grant check)' : ''}`
    it(label, () => {
      const r = firstFailure(m)
      expect(r, `no failure in ${m.maxSeeds} seeds`).toBeDefined()
      expect(
        m.caughtBy.some((k) => r!.kind!.startsWith(k)),
        `caught by ${r!.kind}, expected one of ${m.caughtBy.join(', ')}\n${formatFailure(r!)}`,
      ).toBe(true)
      // The failing seed replays exactly.
      const again = runScenario({ scenario: m.scenario, seed: r!.seed, faults: { [m.rule]: true }, skipGrantCheck: m.skipGrantCheck })
      expect(again.kind).toBe(r!.kind)
      expect(again.error).toBe(r!.error)
      expect(again.failedAt).toBe(r!.failedAt)
    })
  }
})
