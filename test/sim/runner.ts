// Runs one scenario with one seed, deterministically, and reports the first
// violation. On failure it can shrink the run (switch fault classes off while
// the failure persists) and replay it with a trace.

import type { Faults } from '../../src-main/raft/config'
import { Cluster, DEFAULT_CLUSTER } from './cluster'
import type { ClusterOptions } from './cluster'
import { kvModel } from './kvModel'
import { checkOperations } from './linearizability'
import { CALM_NETWORK } from './network'
import { Rng } from './prng'
import { scenarioByName } from './scenarios'
import { FAULT_CLASSES, ScenarioFailure, Sim } from './sim'
import type { FaultClass } from './sim'
import { DEFAULT_WORKLOAD, Workload } from './workload'

export interface RunOptions {
  readonly scenario: string
  readonly seed: number
  readonly trace?: boolean
  readonly disabled?: ReadonlySet<FaultClass>
  /** Mutation testing: rules to break in the core. */
  readonly faults?: Faults
  /** Skip the direct vote-grant check, so only the core safety properties can catch a voting bug. */
  readonly skipGrantCheck?: boolean
  /** Cluster overrides (tests). */
  readonly cluster?: Partial<ClusterOptions>
}

export interface RunResult {
  readonly scenario: string
  readonly seed: number
  readonly ok: boolean
  /** The violated property (SafetyViolation name, ScenarioFailure, Linearizability, Liveness, or an exception). */
  readonly kind?: string
  readonly error?: string
  readonly failedAt?: number
  readonly trace?: readonly string[]
  readonly disabled: readonly FaultClass[]
  /** Names of the core rules broken on purpose (mutation tests). */
  readonly mutations: readonly string[]
  readonly skipGrantCheck: boolean
  readonly stats: { ops: number; timeouts: number; elections: number; messages: number; committed: number; virtualMs: number }
}

const SETTLE_MS = 4000

export function runScenario(o: RunOptions): RunResult {
  const scenario = scenarioByName(o.scenario)
  const disabled = o.disabled ?? new Set<FaultClass>()
  const root = new Rng(o.seed)
  const scenarioRng = root.fork()
  const workloadRng = root.fork()
  const clusterSeed = Math.floor(root.next() * 0x100000000)
  const base = { ...DEFAULT_CLUSTER, ...scenario.cluster(scenarioRng), ...o.cluster }
  const net = {
    ...base.network,
    dropRate: disabled.has('drop') ? 0 : base.network.dropRate,
    dupRate: disabled.has('dup') ? 0 : base.network.dupRate,
    reorderRate: disabled.has('reorder') ? 0 : base.network.reorderRate,
  }
  const opts: ClusterOptions = {
    ...base,
    network: net,
    crashMidReadyRate: disabled.has('midReadyCrash') ? 0 : base.crashMidReadyRate,
    faults: o.faults ?? {},
  }
  const cluster = new Cluster(opts, clusterSeed, o.trace === true)
  if (o.skipGrantCheck) cluster.inv.checkGrants = false
  const workload = new Workload(cluster, workloadRng, { ...DEFAULT_WORKLOAD, ...scenario.workload })
  const sim = new Sim(cluster, workload, scenarioRng, disabled, scenario.durationMs)
  let kind: string | undefined
  let error: string | undefined
  try {
    cluster.bootstrap()
    workload.start()
    scenario.setup(sim)
    while (cluster.q.runNext(scenario.durationMs)) {
      // The scenario's own timeline.
    }
    settle(cluster, workload)
    if (scenario.finalCheck) scenario.finalCheck(sim)
    cluster.checkFinal()
    workload.finish()
    const report = checkOperations(kvModel, workload.history)
    if (report.result !== 'ok') {
      kind = 'Linearizability'
      const ops = (report.failing ?? []).slice(0, 40).map((op) => `  c${op.clientId} [${op.call}, ${op.ret}] ${JSON.stringify(op.input)} -> ${JSON.stringify(op.output)}`)
      error = `history is ${report.result === 'illegal' ? 'not linearizable' : 'too large to check'}; key ${report.failing?.[0]?.input.key}:\n${ops.join('\n')}`
    }
  } catch (e) {
    const err = e as Error
    kind = err instanceof ScenarioFailure ? 'Scenario' : err.name === 'SafetyViolation' ? `Safety/${(err as Error & { property: string }).property}` : err.name
    error = err.message + (kind === 'Scenario' || kind.startsWith('Safety') || kind === 'Liveness' ? '' : `\n${err.stack ?? ''}`)
  }
  return {
    scenario: o.scenario,
    seed: o.seed,
    ok: kind === undefined,
    kind,
    error,
    failedAt: kind === undefined ? undefined : cluster.q.now,
    trace: cluster.trace ?? undefined,
    disabled: [...disabled],
    mutations: Object.entries(o.faults ?? {})
      .filter(([, on]) => on === true)
      .map(([k]) => k),
    skipGrantCheck: o.skipGrantCheck === true,
    stats: {
      ops: workload.history.length,
      timeouts: workload.timedOut,
      elections: cluster.stats.elections,
      messages: cluster.stats.messages,
      committed: cluster.inv.committedCount(),
      virtualMs: cluster.q.now,
    },
  }
}

class LivenessFailure extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'Liveness'
  }
}

/** Heals everything and requires the cluster to converge: a leader, all members applied to its commit index, equal data. */
function settle(cluster: Cluster, workload: Workload): void {
  cluster.calm = true
  cluster.rewrite = null
  cluster.net.heal()
  cluster.net.opts = CALM_NETWORK
  workload.stopped = true
  for (const n of cluster.nodes.values()) if (!n.up && !n.removed) cluster.restart(n.id)
  const deadline = cluster.q.now + SETTLE_MS
  let next = cluster.q.now
  while (cluster.q.now < deadline) {
    next += 50
    while (cluster.q.runNext(next)) {
      // Let the cluster run.
    }
    if (cluster.converged()) return
  }
  const l = cluster.leader()
  const states = [...cluster.nodes.values()].map((n) => `${n.id}:${n.removed ? 'removed' : n.up ? `${n.rn!.raft.role}/t${n.rn!.raft.term}/c${n.rn!.raft.log.committed}/a${n.applied}` : 'down'}`)
  throw new LivenessFailure(`no convergence ${SETTLE_MS} ms after healing (leader ${l?.id ?? 'none'}; ${states.join(' ')})`)
}

/**
 * Looks for a smaller failing run: switch off one fault class at a time and
 * keep it off if the run still fails. Returns the smallest failing result,
 * replayed with a trace.
 */
export function shrink(failed: RunResult): RunResult {
  const faults = mutationFaults(failed.mutations)
  const base = { scenario: failed.scenario, seed: failed.seed, faults, skipGrantCheck: failed.skipGrantCheck }
  const disabled = new Set<FaultClass>(failed.disabled)
  let best = failed
  for (const c of FAULT_CLASSES) {
    if (disabled.has(c)) continue
    disabled.add(c)
    const r = runScenario({ ...base, disabled })
    // Keep a class off only if the run fails at least as early without it.
    if (!r.ok && (r.failedAt ?? Infinity) <= (best.failedAt ?? Infinity)) best = r
    else disabled.delete(c)
  }
  return runScenario({ ...base, disabled: new Set(best.disabled), trace: true })
}

export function mutationFaults(names: readonly string[]): Faults {
  const f: Record<string, boolean> = {}
  for (const n of names) f[n] = true
  return f as Faults
}

export function replayCommand(r: RunResult): string {
  const off = r.disabled.length > 0 ? ` --disable ${r.disabled.join(',')}` : ''
  const mut = r.mutations.length > 0 ? ` --mutate ${r.mutations.join(',')}` : ''
  const grant = r.skipGrantCheck ? ' --skip-grant-check' : ''
  return `npm run sim -- --scenario ${r.scenario} --seed ${r.seed}${off}${mut}${grant}`
}

const MILESTONE = /^\s*\d+ [A-Z][A-Z0-9-]{3,}/

export function formatFailure(r: RunResult, traceLines = 80): string {
  const lines = [
    `FAIL ${r.scenario} seed=${r.seed} at ${r.failedAt} ms: ${r.kind}`,
    r.error ?? '',
    `replay: ${replayCommand(r)}`,
  ]
  if (r.trace && r.trace.length > 0) {
    // The fault schedule (upper-case lines) in full, then the events just before the failure.
    const milestones = r.trace.filter((l) => MILESTONE.test(l))
    lines.push(`fault schedule (${milestones.length} events):`, ...milestones)
    lines.push(`last ${Math.min(traceLines, r.trace.length)} of ${r.trace.length} trace lines:`)
    lines.push(...r.trace.slice(-traceLines))
  }
  return lines.join('\n')
}
