// What a scenario sees: the cluster, the clients, its own random stream, the
// clock, and switches telling it which kinds of fault it may inject (the
// shrinker turns classes off to find a shorter failing run).

import type { Cluster } from './cluster'
import type { Rng } from './prng'
import type { Workload } from './workload'

export type FaultClass = 'drop' | 'dup' | 'reorder' | 'crash' | 'midReadyCrash' | 'partition' | 'membership' | 'transfer'
export const FAULT_CLASSES: readonly FaultClass[] = ['drop', 'dup', 'reorder', 'midReadyCrash', 'crash', 'partition', 'membership', 'transfer']

/** A behaviour the scenario promised did not happen (liveness or scenario-specific property). */
export class ScenarioFailure extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ScenarioFailure'
  }
}

export class Sim {
  constructor(
    readonly cluster: Cluster,
    readonly workload: Workload,
    readonly rng: Rng,
    private readonly disabled: ReadonlySet<FaultClass>,
    readonly durationMs: number,
  ) {}

  enabled(c: FaultClass): boolean {
    return !this.disabled.has(c)
  }

  now(): number {
    return this.cluster.q.now
  }

  at(ms: number, fn: () => void): void {
    this.cluster.q.at(ms, fn)
  }

  /** Runs fn every `period` ms in [from, until). */
  every(period: number, fn: () => void, from = period, until = this.durationMs): void {
    const loop = (t: number): void => {
      if (t >= until) return
      this.cluster.q.at(t, () => {
        fn()
        loop(t + period)
      })
    }
    loop(from)
  }

  expect(cond: boolean, message: string): void {
    if (!cond) throw new ScenarioFailure(message)
  }

  /** Election timeout in ms (the base, not the randomized value). */
  electionMs(): number {
    return this.cluster.opts.electionTick * this.cluster.opts.tickMs
  }
}
