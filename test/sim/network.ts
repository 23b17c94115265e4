// The simulated network: per-message delay, loss, duplication and long delays
// (which reorder), plus directed link cuts for one-way and two-way partitions.

import type { NodeId } from '../../src-main/raft/types'
import type { Rng } from './prng'

export interface NetworkOptions {
  /** Delay of a normal delivery, uniform in [minDelay, maxDelay] ms. */
  readonly minDelay: number
  readonly maxDelay: number
  readonly dropRate: number
  readonly dupRate: number
  /** Probability that a message is held back up to longDelayMax ms, overtaking order. */
  readonly reorderRate: number
  readonly longDelayMax: number
  /** Deliver in send order on each link, like etcd's TCP streams (long delays still overtake). */
  readonly fifo?: boolean
}

export const CALM_NETWORK: NetworkOptions = { minDelay: 1, maxDelay: 4, dropRate: 0, dupRate: 0, reorderRate: 0, longDelayMax: 0, fifo: true }

export class Network {
  private readonly cuts = new Set<string>()
  /** Per link, the latest arrival time handed out (FIFO mode). */
  private readonly lastArrival = new Map<string, number>()
  opts: NetworkOptions

  constructor(
    opts: NetworkOptions,
    private readonly rng: Rng,
  ) {
    this.opts = opts
  }

  /** Messages from `from` to `to` are lost (one way). */
  cut(from: NodeId, to: NodeId): void {
    this.cuts.add(`${from}>${to}`)
  }

  cutBoth(a: NodeId, b: NodeId): void {
    this.cut(a, b)
    this.cut(b, a)
  }

  isolate(id: NodeId, all: readonly NodeId[]): void {
    for (const other of all) if (other !== id) this.cutBoth(id, other)
  }

  /** Splits the nodes into two sides that cannot talk. */
  partition(side: readonly NodeId[], all: readonly NodeId[]): void {
    const a = new Set(side)
    for (const x of all) for (const y of all) if (a.has(x) !== a.has(y)) this.cut(x, y)
  }

  /** Re-opens both directions between a and b. */
  connect(a: NodeId, b: NodeId): void {
    this.cuts.delete(`${a}>${b}`)
    this.cuts.delete(`${b}>${a}`)
  }

  /** Cuts every link: each node alone. */
  cutAll(all: readonly NodeId[]): void {
    for (const a of all) for (const b of all) if (a !== b) this.cut(a, b)
  }

  heal(): void {
    this.cuts.clear()
  }

  isCut(from: NodeId, to: NodeId): boolean {
    return this.cuts.size > 0 && this.cuts.has(`${from}>${to}`)
  }

  hasCuts(): boolean {
    return this.cuts.size > 0
  }

  /** Delivery delays for one message sent now on from→to: none (lost), one, or two (duplicated). */
  delays(from: string, to: string, now: number): number[] {
    const o = this.opts
    if (this.rng.chance(o.dropRate)) return []
    const one = (): number => {
      if (this.rng.chance(o.reorderRate)) return this.rng.between(o.maxDelay, Math.max(o.maxDelay, o.longDelayMax))
      let d = this.rng.between(o.minDelay, o.maxDelay)
      if (o.fifo) {
        const link = `${from}>${to}`
        const last = this.lastArrival.get(link) ?? 0
        if (now + d < last) d = last - now
        this.lastArrival.set(link, now + d)
      }
      return d
    }
    return this.rng.chance(o.dupRate) ? [one(), one()] : [one()]
  }
}
