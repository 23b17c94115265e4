// The Raft paper's Figure 8, staged step by step.

import { MessageType } from '../../src-main/raft/types'
import type { NodeId } from '../../src-main/raft/types'
import type { SimNode } from './cluster'
import { connectAll, flood, waitFor, whenLeader } from './scenarioKit'
import type { Sim } from './sim'

/**
 * The Raft paper's Figure 8, staged with partitions and message filters so
 * that each of its states occurs (random choices pick the actors and timing):
 *  (a) A leads and gets X (term ta) to B only, then crashes;
 *  (b) E is elected by C and D, appends entries of term te > ta that reach
 *      nobody, and crashes;
 *  (c) A or B leads again in a newer term and replicates X to C and D, so X
 *      sits on a majority — but none of its own-term entries get through; it
 *      must NOT commit X by counting replicas, then it crashes;
 *  (d) E returns with the most up-to-date log, wins, and overwrites X.
 * Committing X in (c) is the classic bug: (d) then erases a committed entry.
 */
export function stageFigure8(sim: Sim): void {
  const c = sim.cluster
  const ids = c.ids()
  whenLeader(sim, 300, (leaderA) => {
    const A = leaderA.id
    const rest = ids.filter((id) => id !== A)
    for (let i = rest.length - 1; i > 0; i--) {
      const j = sim.rng.int(i + 1)
      ;[rest[i], rest[j]] = [rest[j], rest[i]]
    }
    const [B, C1, D, E1] = rest
    const node = (id: NodeId): SimNode => c.nodes.get(id)!
    c.log(`FIGURE8 (a): A=${A} replicates X to B=${B} only`)
    c.net.cutAll(ids)
    c.net.connect(A, B)
    flood(leaderA, 1, 'X', 5_000_000)
    c.drain(leaderA)
    const xIndex = leaderA.rn!.raft.log.lastIndex()
    const xTerm = leaderA.rn!.raft.term
    waitFor(sim, 'B to store X', () => node(B).up && node(B).storage.lastIndex() >= xIndex && node(B).storage.term(xIndex) === xTerm, () => {
      c.crash(A)
      c.net.cutAll(ids)
      c.log(`FIGURE8 (b): C, D, E elect a leader whose entries reach nobody`)
      connectAll(sim, [C1, D, E1])
      c.rewrite = (m) => (m.type === MessageType.App && m.entries.length > 0 ? null : m)
      waitFor(sim, 'a leader among C, D, E', () => [C1, D, E1].some((id) => node(id).role() === 'leader'), () => {
        const E = [C1, D, E1].find((id) => node(id).role() === 'leader')!
        const [C, D2] = [C1, D, E1].filter((id) => id !== E)
        flood(node(E), 1, 'Y', 6_000_000)
        c.drain(node(E))
        waitFor(sim, 'E to persist its entries', () => node(E).storage.lastIndex() >= xIndex + 1, () => {
          const eTerm = node(E).storage.term(xIndex)
          sim.expect(eTerm > xTerm, `E's entry at ${xIndex} has term ${eTerm}, X has ${xTerm}`)
          c.crash(E)
          c.net.cutAll(ids)
          c.log(`FIGURE8 (c): A=${A} restarts; A or B leads and spreads X to C=${C}, D=${D2}, nothing newer`)
          c.restart(A)
          connectAll(sim, [A, B, C, D2])
          // Appends arrive, but stripped of every entry newer than X.
          c.rewrite = (m) => (m.type === MessageType.App ? { ...m, entries: m.entries.filter((e) => e.term <= xTerm) } : m)
          const hasX = (id: NodeId): boolean => {
            const n = node(id)
            return n.up && n.storage.lastIndex() >= xIndex && n.storage.term(xIndex) === xTerm
          }
          waitFor(sim, 'X on a majority under a new leader', () => {
            const l = [A, B].map(node).find((n) => n.role() === 'leader')
            return l !== undefined && l.rn!.raft.term > eTerm && hasX(C) && hasX(D2)
          }, () => {
            const L = [A, B].map(node).find((n) => n.role() === 'leader')!
            // Give the leader a few heartbeats to (wrongly) commit X.
            sim.at(c.q.now + 5 * c.opts.tickMs, () => {
              c.log(`FIGURE8 (d): leader ${L.id} crashes (commit ${L.rn?.raft.log.committed}, X at ${xIndex}); E=${E} returns`)
              c.crash(L.id)
              c.rewrite = null
              c.net.cutAll(ids)
              c.restart(E)
              // Only E can gather votes: everyone else hears only from E.
              for (const id of ids) if (id !== E) c.net.connect(E, id)
              waitFor(sim, 'E to lead', () => node(E).role() === 'leader', () => {
                c.log(`FIGURE8: E=${E} leads in term ${node(E).rn!.raft.term}; healing`)
                c.net.heal()
                for (const id of ids) c.restart(id)
              })
            })
          })
        })
      })
    })
  })
}
