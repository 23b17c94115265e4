// Named scenarios. Each sets up a cluster and a fault schedule, and may
// assert behaviour of its own on top of the safety invariants, the final
// convergence check and the linearizability check every run gets.

import { MessageType } from '../../src-main/raft/types'
import type { NodeId } from '../../src-main/raft/types'
import type { ClusterOptions } from './cluster'
import { crashChurn, membershipChurn, partitionChurn, retireRemoved, transferChurn } from './nemesis'
import type { Rng } from './prng'
import type { Sim } from './sim'
import { NO_CTX, ensureConf, flood, logsDivergence, whenLeader } from './scenarioKit'
import { stageFigure8 } from './figure8'
import type { WorkloadOptions } from './workload'

export interface Scenario {
  readonly name: string
  readonly description: string
  readonly durationMs: number
  cluster(rng: Rng): Partial<ClusterOptions>
  readonly workload?: Partial<WorkloadOptions>
  setup(sim: Sim): void
  /** Runs after the cluster converged at the end. */
  finalCheck?(sim: Sim): void
}

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'figure8',
    description: 'The Raft paper Figure 8, staged exactly: an old-term entry on a majority must not be committed by counting replicas.',
    durationMs: 4000,
    cluster: () => ({ voters: 5, maxSizePerMsg: 1 }),
    workload: { clients: 0 },
    setup(sim) {
      stageFigure8(sim)
    },
  },
  {
    name: 'figure8-unreliable',
    description: 'Raft paper Figure 8 (as in 6.824 Figure8Unreliable): leaders crash repeatedly, some mid-write, with long reordering; only current-term entries may commit by counting.',
    durationMs: 3000,
    cluster: () => ({
      voters: 5,
      crashMidReadyRate: 0.004,
      network: { minDelay: 1, maxDelay: 6, dropRate: 0.02, dupRate: 0.01, reorderRate: 0.1, longDelayMax: 150 },
    }),
    setup(sim) {
      crashChurn(sim, sim.rng.between(40, 120), 2)
    },
  },
  {
    name: 'old-leader-rejoins',
    description: 'A leader is partitioned with fresh uncommitted entries; the majority moves on; on rejoin its uncommitted tail is discarded.',
    durationMs: 2500,
    cluster: () => ({ voters: 5 }),
    setup(sim) {
      const c = sim.cluster
      whenLeader(sim, 400, (l) => {
        const term = l.rn!.raft.term
        const before = l.rn!.raft.log.lastIndex()
        c.log(`ISOLATE old leader ${l.id}`)
        c.net.isolate(l.id, c.ids())
        flood(l, 10, 'stale', 1_000_000)
        c.drain(l)
        const tail: [number, number][] = []
        for (let i = before + 1; i <= l.rn!.raft.log.lastIndex(); i++) tail.push([i, term])
        sim.expect(tail.length >= 10, `expected a stale tail, got ${tail.length} entries`)
        sim.at(c.q.now + 8 * sim.electionMs(), () => {
          c.log('HEAL')
          c.net.heal()
        })
        sim.at(sim.durationMs - 1, () => {
          const log = l.rn?.raft.log
          if (!log) return
          for (const [i, t] of tail) sim.expect(log.term(i) !== t, `old leader ${l.id} still holds its uncommitted (${i}, term ${t})`)
        })
      })
    },
  },
  {
    name: 'stale-log-election',
    description: 'An old leader with a longer log of an older term must not win an election (§5.4.1): voters compare last terms first.',
    durationMs: 2500,
    cluster: () => ({ voters: 5 }),
    workload: { clients: 0 },
    setup(sim) {
      const c = sim.cluster
      whenLeader(sim, 300, (old) => {
        c.log(`ISOLATE ${old.id} with 30 uncommitted entries`)
        c.net.isolate(old.id, c.ids())
        flood(old, 30, 'stale', 7_000_000)
        c.drain(old)
        whenLeader(sim, c.q.now + 2 * sim.electionMs(), (fresh) => {
          flood(fresh, 3, 'fresh', 8_000_000)
          c.drain(fresh)
          sim.at(c.q.now + 50, () => {
            // Only the stale node can reach the voters: it is the only possible
            // candidate, and it must lose because its last term is older.
            c.log(`CRASH new leader ${fresh.id}; connect only ${old.id} to the others`)
            c.crash(fresh.id)
            c.net.cutAll(c.ids())
            for (const id of c.ids()) c.net.connect(old.id, id)
            sim.at(c.q.now + 6 * sim.electionMs(), () => {
              sim.expect(old.role() !== 'leader', `${old.id} won an election with a stale log`)
              c.net.heal()
              c.restart(fresh.id)
            })
          })
        })
      })
    },
  },
  {
    name: 'backtrack-divergent',
    description: 'A follower with 50+ divergent uncommitted entries is brought back in a few rounds thanks to conflict hints.',
    durationMs: 3000,
    cluster: () => ({ voters: 3, maxSizePerMsg: 64 * 1024 }),
    workload: { clients: 2 },
    setup(sim) {
      const c = sim.cluster
      whenLeader(sim, 300, (old) => {
        c.log(`ISOLATE ${old.id} and flood it`)
        c.net.isolate(old.id, c.ids())
        flood(old, 60, 'old', 2_000_000)
        c.drain(old)
        whenLeader(sim, c.q.now + 6 * sim.electionMs(), (fresh) => {
          flood(fresh, 60, 'new', 3_000_000)
          c.drain(fresh)
          sim.at(c.q.now + 300, () => {
            const diverged = old.up ? logsDivergence(old, c.leader() ?? fresh) : 0
            sim.expect(diverged >= 50, `only ${diverged} divergent entries`)
            const before = c.stats.rejections.get(old.id) ?? 0
            c.log(`HEAL with ${diverged} divergent entries`)
            c.net.heal()
            sim.at(c.q.now + 1000, () => {
              const rounds = (c.stats.rejections.get(old.id) ?? 0) - before
              sim.expect(rounds <= 4, `follower needed ${rounds} rejected appends to converge over ${diverged} entries`)
            })
          })
        })
      })
    },
  },
  {
    name: 'prevote-rejoin',
    description: 'A follower isolated for many election timeouts rejoins without raising the term or deposing the leader (PreVote).',
    durationMs: 3500,
    cluster: () => ({ voters: 5 }),
    setup(sim) {
      const c = sim.cluster
      whenLeader(sim, 400, (l) => {
        const term = l.rn!.raft.term
        const followers = c.ids().filter((id) => id !== l.id)
        const f = sim.rng.pick(followers)
        c.log(`ISOLATE follower ${f}`)
        c.net.isolate(f, c.ids())
        sim.at(c.q.now + 15 * sim.electionMs(), () => {
          c.log('HEAL')
          c.net.heal()
        })
        sim.every(c.opts.tickMs, () => {
          const now = c.leader()
          sim.expect(now === l, `leader changed from ${l.id} to ${now?.id ?? 'none'}`)
          for (const n of c.nodes.values()) {
            if (n.up) sim.expect(n.rn!.raft.term === term, `${n.id} moved to term ${n.rn!.raft.term} (was ${term})`)
          }
        }, c.q.now + c.opts.tickMs, sim.durationMs)
      })
    },
  },
  {
    name: 'checkquorum-stepdown',
    description: 'A leader cut off from the majority steps down within two election timeouts and never answers a stale ReadIndex.',
    durationMs: 3000,
    cluster: () => ({ voters: 5 }),
    workload: { clients: 6, followerRatio: 0.5, readRatio: 0.5 },
    setup(sim) {
      const c = sim.cluster
      whenLeader(sim, 400, (l) => {
        const ids = c.ids()
        // Sometimes keep one follower with the old leader: still a minority.
        const side = sim.rng.chance(0.5) ? [l.id] : [l.id, sim.rng.pick(ids.filter((id) => id !== l.id))]
        c.log(`PARTITION ${side.join(',')} | rest`)
        c.net.partition(side, ids)
        const cutAt = c.q.now
        // Half the clients' requests go to the deposed leader while it is cut off.
        sim.workload.bias = () => (c.net.hasCuts() ? l : null)
        // CheckQuorum runs every election timeout over the activity seen since the
        // previous check, so the bound is two timeouts (plus one tick of phase).
        const deadline = cutAt + 2 * sim.electionMs() + c.opts.tickMs
        sim.every(c.opts.tickMs, () => {
          sim.expect(l.rn!.raft.role !== 'leader', `old leader ${l.id} still leads ${c.q.now - cutAt} ms after losing its quorum`)
        }, deadline, deadline + 200)
        sim.at(cutAt + 1500, () => c.net.heal())
      })
    },
  },
  {
    name: 'stale-leader-read',
    description: 'Without CheckQuorum a partitioned leader keeps its role; ReadIndex must still never return a stale read.',
    durationMs: 2500,
    cluster: () => ({ voters: 5, checkQuorum: false }),
    workload: { clients: 6, readRatio: 0.5, thinkMs: 10 },
    setup(sim) {
      const c = sim.cluster
      whenLeader(sim, 300, (l) => {
        const ids = c.ids()
        const side = sim.rng.chance(0.5) ? [l.id] : [l.id, sim.rng.pick(ids.filter((id) => id !== l.id))]
        c.log(`PARTITION ${side.join(',')} | rest`)
        c.net.partition(side, ids)
        sim.workload.bias = () => (c.net.hasCuts() ? l : null)
        sim.at(c.q.now + 1200, () => c.net.heal())
      })
    },
  },
  {
    name: 'leader-crash-reads',
    description: 'Leaders crash right after acknowledging writes; a new leader must not serve ReadIndex before it commits an entry of its term.',
    durationMs: 3000,
    cluster: () => ({ voters: 3, crashLosesInFlight: true }),
    workload: { clients: 8, readRatio: 0.7, thinkMs: 4, followerRatio: 0.1, timeoutMs: 40 },
    setup(sim) {
      const c = sim.cluster
      let last = 0
      // Crash a leader the moment it acknowledges a write: its followers may
      // not have heard that the entry committed.
      c.onWriteAcked = (n) => {
        if (!sim.enabled('crash') || n.role() !== 'leader' || c.q.now - last < 150 || !sim.rng.chance(0.3)) return
        last = c.q.now
        c.q.after(0, () => {
          c.crash(n.id)
          sim.at(c.q.now + sim.rng.between(20, 200), () => c.restart(n.id))
        })
      }
    },
  },
  {
    name: 'transfer-lagging',
    description: 'Leadership is transferred to a follower that lags behind: the leader catches it up, then sends TimeoutNow.',
    durationMs: 2500,
    cluster: () => ({ voters: 5 }),
    workload: { clients: 6, thinkMs: 5 },
    setup(sim) {
      const c = sim.cluster
      whenLeader(sim, 400, (l) => {
        const f = sim.rng.pick(c.ids().filter((id) => id !== l.id))
        c.log(`CUT ${l.id} -> ${f}`)
        c.net.cut(l.id, f)
        sim.at(c.q.now + 600, () => {
          const leader = c.leader()
          const target = c.nodes.get(f)!
          if (!leader || leader.id === f) return
          const lag = leader.rn!.raft.log.lastIndex() - target.rn!.raft.log.lastIndex()
          sim.expect(lag >= 10, `target lags only ${lag} entries`)
          c.net.heal()
          c.transferLeader(f)
          const asked = c.q.now
          let done = false
          sim.every(c.opts.tickMs, () => {
            if (c.leader()?.id === f) done = true
          }, asked + 1, asked + sim.electionMs() + 1)
          sim.at(asked + sim.electionMs() + 2, () => sim.expect(done, `${f} did not become leader within an election timeout (lag ${lag})`))
        })
      })
    },
  },
  {
    name: 'remove-leader',
    description: 'The leader is removed from the cluster under load; it steps down when it applies its removal and the rest carry on.',
    durationMs: 3000,
    cluster: (rng) => ({ voters: rng.chance(0.5) ? 3 : 5 }),
    setup(sim) {
      const c = sim.cluster
      retireRemoved(sim)
      whenLeader(sim, 500, (l) => {
        ensureConf(sim, c.q.now, { type: 'removeNode', nodeId: l.id, context: NO_CTX }, () => l.removed)
      })
    },
    finalCheck(sim) {
      const c = sim.cluster
      const removed = [...c.nodes.values()].filter((n) => n.removed)
      sim.expect(removed.length === 1, `expected one removed member, got ${removed.length}`)
      const cfg = c.config()!
      sim.expect(!cfg.voters.has(removed[0].id), 'removed leader still in the configuration')
    },
  },
  {
    name: 'promote-learner',
    description: 'A learner is added under load, catches up without voting, is promoted, and then counts toward the quorum.',
    durationMs: 3500,
    cluster: () => ({ voters: 3 }),
    setup(sim) {
      const c = sim.cluster
      const learner = c.createNode()
      c.onMessage = (m) => {
        if (m.from !== learner.id || (m.type !== MessageType.Vote && m.type !== MessageType.PreVote)) return
        const self = c.nodes.get(learner.id)!
        sim.expect(self.rn !== null && self.rn.raft.tracker.voters.has(learner.id), `learner ${learner.id} campaigned`)
      }
      ensureConf(
        sim,
        300,
        { type: 'addLearnerNode', nodeId: learner.id, context: NO_CTX },
        () => c.config()?.learners.has(learner.id) === true || c.config()?.voters.has(learner.id) === true,
        () => {
          const caughtUp = (): boolean => {
            const l = c.leader()
            return l !== null && learner.applied >= l.rn!.raft.log.committed - 2
          }
          const waitCatchUp = (): void => {
            if (!caughtUp()) {
              c.q.after(20, waitCatchUp)
              return
            }
            ensureConf(sim, c.q.now, { type: 'addNode', nodeId: learner.id, context: NO_CTX }, () => c.config()?.voters.has(learner.id) === true, () => {
              // With 4 voters the quorum is 3: crash an original follower, and the
              // cluster must still commit, which needs the promoted member.
              const l = c.leader()
              if (!l) return
              const victim = c.ids().find((id) => id !== l.id && id !== learner.id)!
              c.crash(victim)
              const commitBefore = l.rn!.raft.log.committed
              sim.at(c.q.now + 800, () => {
                const now = c.leader()
                sim.expect(now !== null && now.rn!.raft.log.committed >= commitBefore + 3, 'no progress with the promoted member in the quorum')
                c.restart(victim)
              })
            })
          }
          waitCatchUp()
        },
      )
    },
    finalCheck(sim) {
      const id = [...sim.cluster.nodes.keys()].at(-1)!
      sim.expect(sim.cluster.config()!.voters.has(id), `learner ${id} was not promoted`)
    },
  },
  {
    name: 'snapshot-catchup',
    description: 'A follower is down while the leader compacts its log; on restart it can only catch up by installing a snapshot.',
    durationMs: 2500,
    cluster: () => ({ voters: 3, snapshotEvery: 20, snapshotKeep: 3 }),
    workload: { clients: 6, thinkMs: 5, readRatio: 0.2 },
    setup(sim) {
      const c = sim.cluster
      let victim: NodeId | null = null
      let snapshots = 0
      c.onMessage = (m) => {
        if (m.type === MessageType.Snap && m.to === victim) snapshots++
      }
      whenLeader(sim, 300, (l) => {
        victim = sim.rng.pick(c.ids().filter((id) => id !== l.id))
        c.crash(victim)
        sim.at(1500, () => {
          const leader = c.leader()
          const v = c.nodes.get(victim!)!
          if (leader) {
            sim.expect(
              leader.rn!.raft.log.firstIndex() > v.storage.lastIndex() + 1,
              `leader did not compact past the follower (first ${leader.rn!.raft.log.firstIndex()}, follower last ${v.storage.lastIndex()})`,
            )
          }
          c.restart(victim!)
        })
        sim.at(sim.durationMs - 1, () => sim.expect(snapshots > 0, `no snapshot was sent to ${victim}`))
      })
    },
  },
  {
    name: 'lossy-churn',
    description: '10% message loss, duplication and long reordering, with crashes, partitions and leader transfers.',
    durationMs: 3000,
    cluster: (rng) => ({
      voters: rng.chance(0.5) ? 5 : 7,
      snapshotEvery: 50,
      network: { minDelay: 1, maxDelay: 8, dropRate: 0.1, dupRate: 0.03, reorderRate: 0.1, longDelayMax: 200 },
    }),
    setup(sim) {
      crashChurn(sim, sim.rng.between(150, 400), 2)
      partitionChurn(sim, sim.rng.between(200, 500))
      transferChurn(sim, sim.rng.between(300, 800))
    },
  },
  {
    name: 'random',
    description: 'Everything at once on 3, 5 or 7 nodes: loss, reordering, crashes (also mid-write), partitions, membership changes and leader transfers under load.',
    durationMs: 3000,
    cluster: (rng) => ({
      voters: rng.pick([3, 5, 7]),
      snapshotEvery: rng.pick([0, 15, 60]),
      crashMidReadyRate: rng.pick([0, 0.002]),
      maxInflightMsgs: rng.pick([1, 4, 64]),
      maxSizePerMsg: rng.pick([1, 200, 4096]),
      network: {
        minDelay: 1,
        maxDelay: rng.between(2, 10),
        dropRate: rng.pick([0, 0.01, 0.05, 0.1]),
        dupRate: rng.pick([0, 0.02]),
        reorderRate: rng.pick([0, 0.05, 0.15]),
        longDelayMax: 150,
        fifo: rng.chance(0.5),
      },
    }),
    setup(sim) {
      retireRemoved(sim)
      if (sim.rng.chance(0.7)) crashChurn(sim, sim.rng.between(100, 400), 2)
      if (sim.rng.chance(0.6)) partitionChurn(sim, sim.rng.between(150, 500))
      if (sim.rng.chance(0.5)) membershipChurn(sim, sim.rng.between(200, 500), 3, 5)
      if (sim.rng.chance(0.4)) transferChurn(sim, sim.rng.between(300, 800))
    },
  },
]

export function scenarioByName(name: string): Scenario {
  const s = SCENARIOS.find((x) => x.name === name)
  if (!s) throw new Error(`unknown scenario ${name}; known: ${SCENARIOS.map((x) => x.name).join(', ')}`)
  return s
}
