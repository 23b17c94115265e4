// The simulator's only source of randomness. Every decision (delays, drops,
// faults, client choices, election jitter) draws from a generator derived
// from the run's seed, so a seed replays the same run exactly.

import { seededRandom } from '../../src-main/raft/random'
import type { RandomSource } from '../../src-main/raft/random'

export class Rng {
  readonly next: RandomSource

  constructor(seed: number) {
    this.next = seededRandom(seed)
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n)
  }

  /** Integer in [lo, hi]. */
  between(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1))
  }

  chance(p: number): boolean {
    return p > 0 && this.next() < p
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]
  }

  /** An independent stream, so adding draws in one place does not shift another. */
  fork(): Rng {
    return new Rng(Math.floor(this.next() * 0x100000000))
  }
}
