// Reusable fault injectors for scenarios. Each respects the fault classes the
// run has enabled, so the shrinker can switch them off one by one.

import type { NodeId } from '../../src-main/raft/types'
import type { Sim } from './sim'

/** Every `period` ms, crash a random live node or restart a crashed one. */
export function crashChurn(sim: Sim, period: number, maxDown: number): void {
  if (!sim.enabled('crash')) return
  const c = sim.cluster
  sim.every(period, () => {
    const nodes = [...c.nodes.values()].filter((n) => !n.removed)
    const down = nodes.filter((n) => !n.up)
    if (down.length > 0 && (down.length >= maxDown || sim.rng.chance(0.5))) c.restart(sim.rng.pick(down).id)
    else {
      const up = nodes.filter((n) => n.up)
      // Prefer the leader: it is where the interesting bugs are.
      const l = c.leader()
      const victim = l && sim.rng.chance(0.5) ? l : sim.rng.pick(up)
      c.crash(victim.id)
    }
  })
}

/** Every `period` ms, either heal or cut the network in a random way (two-way split, isolation or one-way link). */
export function partitionChurn(sim: Sim, period: number): void {
  if (!sim.enabled('partition')) return
  const c = sim.cluster
  sim.every(period, () => {
    const ids = c.liveIds()
    c.net.heal()
    const r = sim.rng.next()
    if (r < 0.35) {
      c.log('HEAL')
      return
    }
    if (r < 0.6) {
      const shuffled = shuffle(sim, ids)
      const side = shuffled.slice(0, sim.rng.between(1, Math.floor(ids.length / 2)))
      c.log(`PARTITION ${side.join(',')} | rest`)
      c.net.partition(side, ids)
    } else if (r < 0.8) {
      const l = c.leader()
      const victim = l && sim.rng.chance(0.6) ? l.id : sim.rng.pick(ids)
      c.log(`ISOLATE ${victim}`)
      c.net.isolate(victim, ids)
    } else {
      // One-way cuts: the classic asymmetric partition.
      for (let i = 0; i < sim.rng.between(1, 3); i++) {
        const a = sim.rng.pick(ids)
        const b = sim.rng.pick(ids)
        if (a !== b) {
          c.log(`CUT ${a} -> ${b}`)
          c.net.cut(a, b)
        }
      }
    }
  })
}

export function transferChurn(sim: Sim, period: number): void {
  if (!sim.enabled('transfer')) return
  const c = sim.cluster
  sim.every(period, () => {
    const cfg = c.config()
    if (!cfg) return
    const l = c.leader()!
    const targets = [...cfg.voters].filter((id) => id !== l.id)
    if (targets.length > 0) c.transferLeader(sim.rng.pick(targets))
  })
}

/**
 * Membership churn during load: alternately remove a random voter (possibly
 * the leader) and add a fresh node as a learner, promoting it once it has
 * caught up — etcd's MemberRemove / MemberAdd --learner / MemberPromote.
 */
export function membershipChurn(sim: Sim, period: number, minVoters: number, maxVoters: number): void {
  if (!sim.enabled('membership')) return
  const c = sim.cluster
  sim.every(period, () => {
    const cfg = c.config()
    if (!cfg) return
    if (cfg.learners.size > 0) {
      const id = [...cfg.learners][0]
      const n = c.nodes.get(id)
      const l = c.leader()!
      if (n && n.up && n.applied >= l.rn!.raft.log.committed - 3) {
        c.proposeConfChange({ type: 'addNode', nodeId: id, context: new Uint8Array(0) })
      }
      return
    }
    const pending = [...c.nodes.values()].find((n) => !n.removed && !cfg.voters.has(n.id) && !cfg.learners.has(n.id))
    if (pending) {
      c.proposeConfChange({ type: 'addLearnerNode', nodeId: pending.id, context: new Uint8Array(0) })
      return
    }
    const grow = cfg.voters.size <= minVoters || (cfg.voters.size < maxVoters && sim.rng.chance(0.5))
    if (grow) {
      const n = c.createNode()
      c.proposeConfChange({ type: 'addLearnerNode', nodeId: n.id, context: new Uint8Array(0) })
    } else {
      const victim = sim.rng.pick([...cfg.voters])
      c.proposeConfChange({ type: 'removeNode', nodeId: victim, context: new Uint8Array(0) })
    }
  })
}

/** Retire a member as soon as any node applies its removal, as an etcd member exits on removal. */
export function retireRemoved(sim: Sim): void {
  const c = sim.cluster
  c.onConfApplied = (_node, cc) => {
    if (cc.type === 'removeNode') c.retire(cc.nodeId)
  }
}

function shuffle(sim: Sim, ids: readonly NodeId[]): NodeId[] {
  const a = ids.slice()
  for (let i = a.length - 1; i > 0; i--) {
    const j = sim.rng.int(i + 1)
    ;[a[i], a[j]] = [a[j], a[i]]
  }
  return a
}
