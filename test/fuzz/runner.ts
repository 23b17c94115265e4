/**
 * The gRPC fuzzer, like the Raft simulator: a seed decides every batch of calls; after every batch
 * the cluster must still have one leader, serve reads on every member and hash the same on all of
 * them. A failing batch is shrunk by fast-check on a fresh cluster, and the failure prints the seed,
 * the replay path and the minimal sequence of calls.
 */
import fc from 'fast-check'
import { describeCall, fuzzCall, methodOf, type FuzzCall } from './arbitraries'
import type { FuzzTarget } from './target'

export type Phase = 'auth-off' | 'auth-on'

export interface FuzzOptions {
  seed: number
  /** Batches per phase (fast-check runs); the time limit may end a phase sooner. */
  runs: number
  /** Wall-clock budget per phase, ms (CI); undefined: no limit. */
  timeLimitMs?: number
  batchSize: number
  /** Calls in flight at once within a batch. */
  concurrency: number
  phases: Phase[]
  /** Keys of a megabyte and more. */
  hugeKeys: boolean
  /** Replays one failing case (fast-check's path) instead of searching. */
  path?: string
  log: (line: string) => void
}

export interface FuzzFailure {
  phase: Phase
  seed: number
  path: string
  problem: string
  /** The shrunk batch, one line per call. */
  minimal: string[]
}

export interface FuzzReport {
  seed: number
  /** Calls sent, shrinking included. */
  messages: number
  batches: number
  /** Calls per method ("KV/Put": 1234). */
  methods: Map<string, number>
  /** Outcomes per class ("OK", "INVALID_ARGUMENT etcdserver: key is not provided", …). */
  outcomes: Map<string, number>
  failures: FuzzFailure[]
  ms: number
}

const STATUS_NAMES = ['OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED']

export function statusName(code: number): string {
  return STATUS_NAMES[code] ?? `CODE_${code}`
}

/** Runs calls with at most `n` in flight; resolves with their outcomes in order. */
async function pool<T, R>(items: T[], n: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker))
  return out
}

export async function fuzz(target: FuzzTarget, o: FuzzOptions): Promise<FuzzReport> {
  const t0 = Date.now()
  const report: FuzzReport = { seed: o.seed, messages: 0, batches: 0, methods: new Map(), outcomes: new Map(), failures: [], ms: 0 }
  for (const [i, phase] of o.phases.entries()) {
    const auth = phase === 'auth-on'
    const seed = o.seed + i
    let broken = false
    await target.setAuth(auth)
    const property = fc.asyncProperty(fc.array(fuzzCall({ auth, hugeKeys: o.hugeKeys }), { minLength: 1, maxLength: o.batchSize }), async (batch: FuzzCall[]) => {
      if (broken) {
        // The last batch broke the cluster: shrinking starts every try from a fresh one.
        await target.restart()
        await target.setAuth(auth)
        broken = false
      } else if ((await target.authEnabled()) !== auth) await target.setAuth(auth)
      report.batches++
      const outcomes = await pool(batch, o.concurrency, (c) => target.run(c))
      for (const [j, c] of batch.entries()) {
        report.messages++
        report.methods.set(methodOf(c), (report.methods.get(methodOf(c)) ?? 0) + 1)
        const r = outcomes[j]!
        const cls = r.ok ? 'OK' : `${statusName(r.code)} ${r.message.replace(/\d+/g, 'N').slice(0, 90)}`
        report.outcomes.set(cls, (report.outcomes.get(cls) ?? 0) + 1)
      }
      await target.reset()
      const problem = await target.check()
      if (problem) {
        broken = true
        throw new Error(problem)
      }
    })
    const result = await fc.check(property, {
      seed,
      numRuns: o.runs,
      ...(o.path ? { path: o.path, endOnFailure: true } : {}),
      ...(o.timeLimitMs ? { interruptAfterTimeLimit: o.timeLimitMs, markInterruptAsFailure: false } : {}),
    })
    o.log(`fuzz ${phase}: seed ${seed}, ${result.numRuns} batches${result.interrupted ? ' (time limit)' : ''}, ${report.messages} calls so far`)
    if (result.failed && result.counterexample) {
      const [batch] = result.counterexample as [FuzzCall[]]
      report.failures.push({
        phase,
        seed,
        path: result.counterexamplePath ?? '',
        problem: result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance),
        minimal: batch.map(describeCall),
      })
      await target.restart()
    }
  }
  report.ms = Date.now() - t0
  return report
}

/** The report as text: volume, coverage, outcome classes, and each failure with how to replay it. */
export function formatReport(r: FuzzReport): string {
  const lines = [
    `fuzz: seed ${r.seed}, ${r.messages} calls in ${r.batches} batches, ${r.methods.size} distinct methods, ${(r.ms / 1000).toFixed(1)} s`,
    `  methods: ${[...r.methods].sort((a, b) => b[1] - a[1]).map(([m, n]) => `${m} ${n}`).join(', ')}`,
    `  outcomes (top 12): ${[...r.outcomes].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([c, n]) => `${n}× ${c}`).join(' | ')}`,
  ]
  for (const f of r.failures) {
    lines.push(
      ``,
      `FAILED in phase ${f.phase}: ${f.problem.split('\n')[0]}`,
      `  replay: npm run fuzz -- --seed ${f.seed} --phases ${f.phase} --path ${f.path}`,
      `  minimal batch (${f.minimal.length} calls):`,
      ...f.minimal.map((l) => `    ${l}`),
      ...(f.problem.includes('\n') ? ['  details:', ...f.problem.split('\n').slice(1, 40).map((l) => `    ${l}`)] : []),
    )
  }
  return lines.join('\n')
}
