// Shared by the vitest files: run a scenario over a seed range and turn the
// first failure into a readable report (seed, shrunk trace, replay command).

import { formatFailure, runScenario, shrink } from './runner'

/** Seeds per scenario in CI; SIM_SEEDS overrides (e.g. SIM_SEEDS=2000 for a local soak). */
export const CI_SEEDS = Number(process.env.SIM_SEEDS ?? '300')

export function runSeeds(scenario: string, seeds = CI_SEEDS): { failures: number; report: string } {
  let failures = 0
  let report = ''
  for (let seed = 1; seed <= seeds; seed++) {
    const r = runScenario({ scenario, seed })
    if (r.ok) continue
    failures++
    if (failures === 1) report = formatFailure(shrink(r))
  }
  return { failures, report }
}
