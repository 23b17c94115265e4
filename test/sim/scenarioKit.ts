// Building blocks for scenarios: waiting for conditions on the virtual
// clock, driving entries straight into a node, and retrying ConfChanges.

import type { ConfChange, NodeId } from '../../src-main/raft/types'
import type { SimNode } from './cluster'
import { encodeCommand } from './kvStore'
import { ScenarioFailure } from './sim'
import type { Sim } from './sim'

export const NO_CTX = new Uint8Array(0)

/** Proposes `count` writes straight into one node (bypassing clients), all under client id 99. */
export function flood(n: SimNode, count: number, tag: string, seqBase: number): void {
  for (let i = 0; i < count; i++) {
    n.rn!.propose(encodeCommand({ c: 99, s: seqBase + i, op: 'put', k: 'flood', v: `${tag}${i}` }))
  }
}

/** Calls fn once, at the first tick after `from` when a leader exists. */
export function whenLeader(sim: Sim, from: number, fn: (leader: SimNode) => void): void {
  const c = sim.cluster
  const poll = (): void => {
    const l = c.leader()
    if (l) fn(l)
    else c.q.after(c.opts.tickMs, poll)
  }
  sim.at(from, poll)
}

/** Keeps proposing a ConfChange until the leader's configuration satisfies `done`. */
export function ensureConf(sim: Sim, start: number, cc: ConfChange, done: () => boolean, then?: () => void): void {
  const c = sim.cluster
  const loop = (): void => {
    if (done()) {
      if (then) then()
      return
    }
    c.proposeConfChange(cc)
    c.q.after(100, loop)
  }
  sim.at(start, loop)
}

export function logsDivergence(a: SimNode, b: SimNode): number {
  // How many entries of a's log are not in b's (from the first index where they differ).
  const la = a.rn!.raft.log
  const lb = b.rn!.raft.log
  let i = Math.max(la.firstIndex(), lb.firstIndex())
  while (i <= la.lastIndex() && la.term(i) === lb.term(i)) i++
  return la.lastIndex() - i + 1
}

/** Runs `then` once `cond` holds (polled every millisecond of virtual time); fails after `timeoutMs`. */
export function waitFor(sim: Sim, what: string, cond: () => boolean, then: () => void, timeoutMs = 3000): void {
  const c = sim.cluster
  const deadline = c.q.now + timeoutMs
  const poll = (): void => {
    if (cond()) then()
    else if (c.q.now > deadline) throw new ScenarioFailure(`timed out waiting for ${what}`)
    else c.q.after(1, poll)
  }
  poll()
}

export function connectAll(sim: Sim, ids: readonly NodeId[]): void {
  for (const a of ids) for (const b of ids) if (a !== b) sim.cluster.net.connect(a, b)
}
