// `npm run bench`: the same workload, with the same client (the app's grpc-js EtcdClient), against a
// 3-member Raftdeck playground and a 3-member real etcd (/usr/bin/etcd) started side by side by the
// same supervisor, then a table with the ratio playground/etcd for each number.
//   npm run bench -- --seconds 5 --concurrency 1,16,64 --runs 1 [--warmup 10] [--rest 10] [--sequential]
// Before the measured cells each fresh cluster gets --warmup seconds of the same operations at 16
// clients (not measured): a Node member runs its request path in V8's unoptimised tiers until the
// code is hot, so without it the first cell (1 client) mostly measures JIT warm-up. etcd gets the
// same warm-up. --warmup 0 measures cold members, as runs before 2026-12-02 did. The default was
// 3 s until 2026-12-02 (late), which was not enough: after 2 s of warm-up, one client's put p50 kept
// falling for 5 more seconds (1.82, 1.61, 1.30, 1.19 ms in successive seconds), and the first cell's
// ratio moved by ±0.2 from run to run with nothing changed (docs/member.md, "Warm-up").
// Both engines' clusters run side by side and each cell is measured on one engine right after the
// other, alternating which goes first, so the machine's load, which drifts over minutes on a shared
// host, weighs on both sides of a ratio alike; --sequential runs one engine's whole run after the
// other's instead, as runs before 2026-12-03 (evening) did.
// BENCH_CPU=1 also prints, per cell, the bench process's own CPU per operation: the load generator
// shares the machine's cores with the members, so a cell can be bound by it rather than by the engine.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { LogBus } from '../src-main/services'
import { findEtcdBinary } from '../src-main/services/app/etcdBinary'
import type { EtcdClient } from '../src-main/services/etcd/client'
import { createLauncher, packageMemberCommand } from '../src-main/services/playground/launcher'
import { PlaygroundService } from '../src-main/services/playground/service'
import type { PlaygroundEngine, PlaygroundSummary } from '../src-main/shared/api/playground'
import { choiceListOption, intListOption, intOption, scriptArgs } from './args'

const USAGE = 'npm run bench -- [--seconds 5] [--concurrency 1,16,64] [--runs 1] [--engines raftdeck,etcd] [--warmup 10] [--rest 10] [--sequential]'
const values = scriptArgs(USAGE, {
  seconds: { type: 'string', default: '5' },
  concurrency: { type: 'string', default: '1,16,64' },
  runs: { type: 'string', default: '1' },
  engines: { type: 'string', default: 'raftdeck,etcd' },
  warmup: { type: 'string', default: '10' },
  rest: { type: 'string', default: '10' },
  sequential: { type: 'boolean', default: false },
})
const SECONDS = intOption(USAGE, 'seconds', values.seconds, 1)
const LEVELS = intListOption(USAGE, 'concurrency', values.concurrency)
const RUNS = intOption(USAGE, 'runs', values.runs, 1)
const WARMUP_SECONDS = intOption(USAGE, 'warmup', values.warmup)
const REST_SECONDS = intOption(USAGE, 'rest', values.rest)
const SEQUENTIAL = values.sequential === true
const ENGINES = choiceListOption<PlaygroundEngine>(USAGE, 'engines', values.engines, ['raftdeck', 'etcd'])
const VALUE = randomBytes(256)

interface Sample {
  ops: number
  p50: number
  p99: number
}

const pct = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN)

/** Each member's highest RSS seen while a load runs, sampled every 200 ms. */
class RssPeaks {
  readonly peak = new Map<number, number>()
  private timer: NodeJS.Timeout | undefined
  constructor(private readonly pids: number[]) {}
  start(): void {
    const sample = () => {
      for (const pid of this.pids) this.peak.set(pid, Math.max(this.peak.get(pid) ?? 0, rssMiB(pid)))
    }
    sample()
    this.timer = setInterval(sample, 200)
  }
  stop(): void {
    clearInterval(this.timer)
  }
}

/** Runs `op` from `concurrency` loops for `seconds`; returns ops/s and latency percentiles in ms. */
async function load(concurrency: number, op: (i: number) => Promise<unknown>, seconds = SECONDS, rss?: RssPeaks, label = ''): Promise<Sample> {
  const lat: number[] = []
  const cpu0 = process.cpuUsage()
  rss?.start()
  const end = performance.now() + seconds * 1000
  let n = 0
  let errors = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t = performance.now()
        try {
          await op(n++)
          lat.push(performance.now() - t)
        } catch {
          errors++
        }
      }
    }),
  )
  rss?.stop()
  const cpu = process.cpuUsage(cpu0)
  if (process.env.BENCH_CPU) process.stderr.write(`    ${label}c${concurrency}: ${(lat.length / seconds).toFixed(0)} ops/s, bench process ${((cpu.user + cpu.system) / lat.length).toFixed(0)} µs CPU/op\n`)
  if (errors > lat.length / 100) throw new Error(`${errors} of ${n} operations failed`)
  lat.sort((a, b) => a - b)
  return { ops: lat.length / seconds, p50: pct(lat, 50), p99: pct(lat, 99) }
}

/** A memory figure of a process's /proc/PID/status (VmRSS, RssAnon…), in MiB. */
function statusMiB(pid: number | null, field: 'VmRSS' | 'RssAnon'): number {
  if (!pid) return NaN
  const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`${field}:\\s+(\\d+) kB`))
  return m ? Number(m[1]) / 1024 : NaN
}

const rssMiB = (pid: number | null): number => statusMiB(pid, 'VmRSS')
/**
 * Anonymous resident memory (heap, malloc, stacks): what the process allocated itself, without the
 * pages of its executable and libraries, which RSS counts in every process that maps them although
 * the three members share one copy. Reported beside RSS; the goal is stated in RSS.
 */
const anonMiB = (pid: number | null): number => statusMiB(pid, 'RssAnon')

async function waitSettled(svc: PlaygroundService, id: string): Promise<PlaygroundSummary> {
  return new Promise((resolve) => {
    const stop = svc.subscribe(id, false, (ev) => {
      const up = ev.state.members.filter((m) => m.process === 'running')
      const leaders = up.filter((m) => m.raft?.role === 'leader')
      if (up.length === ev.state.members.length && leaders.length === 1 && up.every((m) => m.raft?.leader === leaders[0]!.id)) {
        queueMicrotask(() => stop())
        resolve(ev.state)
      }
    })
  })
}

// BENCH_LOG=regex prints the members' log lines that match it (to stderr), e.g. BENCH_LOG='busy'.
const memberLogFilter = process.env.BENCH_LOG ? new RegExp(process.env.BENCH_LOG) : undefined
const memberLogEcho = memberLogFilter
  ? (e: { source: string; message: string }) => {
      if (memberLogFilter.test(e.message)) process.stderr.write(`    [${e.source}] ${e.message}\n`)
    }
  : null

type Row = Record<string, number>

type Kind = 'put' | 'get lin' | 'get ser'
const KINDS: readonly Kind[] = ['put', 'get lin', 'get ser']

/** One engine's cluster for a run, and the row of numbers it is filling. */
interface Bench {
  engine: PlaygroundEngine
  dataDir: string
  svc: PlaygroundService
  id: string
  state: PlaygroundSummary
  client: EtcdClient
  everyone: string[]
  /** Each member's peak RSS during the 64-client cells. */
  underLoad: RssPeaks
  row: Row
}

const leaderUrl = (b: Bench): string => b.state.members.find((m) => m.raft?.role === 'leader')!.clientUrl

/** Starts a fresh 3-member cluster of `engine`, waits for its leader, and warms it up. */
async function startBench(engine: PlaygroundEngine): Promise<Bench> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `raftdeck-bench-${engine}-`))
  const svc = new PlaygroundService({ dataDir, launcher: createLauncher(packageMemberCommand(), findEtcdBinary()), log: new LogBus(5000, memberLogEcho) })
  try {
    const { id } = await svc.create(`bench-${engine}`, 3, engine)
    const state = await waitSettled(svc, id)
    const client: EtcdClient = await svc.client(id)
    const everyone = state.members.map((m) => m.clientUrl)
    const pids = state.members.map((m) => m.pid).filter((p): p is number => !!p)
    const b: Bench = { engine, dataDir, svc, id, state, client, everyone, underLoad: new RssPeaks(pids), row: {} }
    // Warm up channels to every member.
    for (const e of everyone) await client.status(e)
    if (WARMUP_SECONDS > 0) {
      // Not measured: the cells' own operations, half the time puts, so both engines start the cells warm.
      for (const kind of KINDS) await load(16, operation(b, kind), WARMUP_SECONDS * (kind === 'put' ? 0.5 : 0.25), undefined, `${engine} warm-up ${kind} `)
    }
    return b
  } catch (err) {
    await svc.dispose()
    rmSync(dataDir, { recursive: true, force: true })
    throw err
  }
}

/** The i-th call of a `kind` load: puts and linearizable gets to the leader, serializable gets spread over every member. */
function operation(b: Bench, kind: Kind): (i: number) => Promise<unknown> {
  const { client, everyone } = b
  const l = leaderUrl(b)
  const key = (i: number) => Buffer.from(`/bench/${i % 10_000}`)
  if (kind === 'put') return (i) => client.put({ key: key(i), value: VALUE }, { endpoint: l })
  if (kind === 'get lin') return (i) => client.range({ key: key(i) }, { endpoint: l })
  return (i) => client.range({ key: key(i), serializable: true }, { endpoint: everyone[i % everyone.length]! })
}

/** One cell: `kind` from `c` clients for SECONDS, into the bench's row. */
async function cell(b: Bench, kind: Kind, c: number): Promise<void> {
  // The memory goal is per member, at rest and under the 64-client load: each member's peak during
  // the 64-client cells (mean of the members, and the largest one, usually the leader's).
  const peaks = c === 64 ? b.underLoad : undefined
  const s = await load(c, operation(b, kind), SECONDS, peaks, `${b.engine} ${kind} `)
  b.row[`${kind} c${c} ops/s`] = s.ops
  b.row[`${kind} c${c} p50 ms`] = s.p50
  b.row[`${kind} c${c} p99 ms`] = s.p99
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length

/** Memory after the cells: now, and after REST_SECONDS without requests. */
async function memory(benches: Bench[]): Promise<void> {
  for (const b of benches) {
    b.state = (await b.svc.list()).find((p) => p.id === b.id)!
    b.row['RSS after last cell MiB'] = mean(b.state.members.map((m) => rssMiB(m.pid)))
    if (b.underLoad.peak.size) {
      b.row['RSS c64 peak, mean MiB'] = mean([...b.underLoad.peak.values()])
      b.row['RSS c64 peak, max MiB'] = Math.max(...b.underLoad.peak.values())
    }
  }
  if (REST_SECONDS > 0) {
    // At rest: the same cluster after REST_SECONDS without requests (both engines alike), when a
    // runtime has had the time to give back what the load made it take.
    await new Promise((r) => setTimeout(r, REST_SECONDS * 1000))
    for (const b of benches) {
      b.row['RSS at rest MiB'] = mean(b.state.members.map((m) => rssMiB(m.pid)))
      b.row['RSS anon at rest MiB'] = mean(b.state.members.map((m) => anonMiB(m.pid)))
    }
  }
}

/** Fail-over: kill -9 the leader; time until a write succeeds through the survivors. */
async function failOver(b: Bench): Promise<void> {
  const old = b.state.members.find((m) => m.raft?.role === 'leader')!
  const survivors = b.state.members.filter((m) => m.name !== old.name).map((m) => m.clientUrl)
  const t0 = performance.now()
  await b.svc.memberAction(b.id, old.name, 'kill')
  for (let i = 0; ; i++) {
    try {
      await b.client.put({ key: Buffer.from('/bench/failover'), value: VALUE }, { endpoint: survivors[i % 2]!, timeoutMs: 500 })
      break
    } catch {
      // no leader yet
    }
  }
  b.row['fail-over ms'] = performance.now() - t0
}

async function stopBench(b: Bench): Promise<void> {
  await b.svc.dispose()
  rmSync(b.dataDir, { recursive: true, force: true })
}

/** One engine on its own: its cluster, every cell, memory, fail-over. */
async function benchEngine(engine: PlaygroundEngine): Promise<Row> {
  const b = await startBench(engine)
  try {
    for (const c of LEVELS) for (const kind of KINDS) await cell(b, kind, c)
    await memory([b])
    await failOver(b)
    return b.row
  } finally {
    await stopBench(b)
  }
}

/**
 * Both engines' clusters at once, each cell measured on one right after the other (the order
 * alternating from cell to cell), so a change in the machine's load over the minutes of a run hits
 * both sides of a ratio alike. The cluster not being measured is idle meanwhile.
 */
async function benchInterleaved(engines: PlaygroundEngine[], run: number): Promise<Record<string, Row>> {
  const benches: Bench[] = []
  try {
    for (const e of run % 2 ? [...engines].reverse() : engines) benches.push(await startBench(e))
    let n = run
    for (const c of LEVELS) {
      for (const kind of KINDS) {
        for (const b of n++ % 2 ? [...benches].reverse() : benches) await cell(b, kind, c)
      }
    }
    await memory(benches)
    for (const b of benches) await failOver(b)
    return Object.fromEntries(benches.map((b) => [b.engine, b.row]))
  } finally {
    for (const b of benches) await stopBench(b)
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

async function main() {
  const engines = ENGINES
  if (engines.includes('etcd') && !findEtcdBinary()) {
    console.error('No etcd binary found (apt-get install etcd-server, or set RAFTDECK_ETCD_BINARY); running the playground only.')
    engines.splice(engines.indexOf('etcd'), 1)
  }
  const results: Record<string, Row[]> = {}
  const report = (e: string, row: Row) => {
    ;(results[e] ??= []).push(row)
    // Each run's puts, so the spread behind a median is visible.
    process.stderr.write(`  ${e}: puts/s ${LEVELS.map((c) => `c${c} ${row[`put c${c} ops/s`]!.toFixed(0)} (p50 ${row[`put c${c} p50 ms`]!.toFixed(2)} ms)`).join(', ')}\n`)
  }
  for (let r = 0; r < RUNS; r++) {
    if (!SEQUENTIAL && engines.length > 1) {
      process.stderr.write(`run ${r + 1}/${RUNS}: ${engines.join(' and ')}, cell by cell…\n`)
      const rows = await benchInterleaved(engines, r)
      for (const e of engines) report(e, rows[e]!)
      continue
    }
    // Alternate the order so neither engine always runs on a warmer machine.
    for (const e of r % 2 ? [...engines].reverse() : engines) {
      process.stderr.write(`run ${r + 1}/${RUNS}: ${e}…\n`)
      report(e, await benchEngine(e))
    }
  }
  const keys = Object.keys(results[engines[0]!]![0]!)
  const med = (e: string, k: string) => (results[e] ? median(results[e]!.map((row) => row[k]!)) : NaN)
  const fmt = (v: number) => (Number.isNaN(v) ? '—' : v >= 100 ? v.toFixed(0) : v.toFixed(2))
  console.log(
    `\n3 members each, 256-byte values, ${WARMUP_SECONDS} s warm-up, ${SECONDS} s per cell, median of ${RUNS} run(s), ${SEQUENTIAL ? 'one engine after the other' : 'engines interleaved cell by cell'}, client: grpc-js EtcdClient`,
  )
  console.log(`${'metric'.padEnd(24)} ${'raftdeck'.padStart(10)} ${'etcd'.padStart(10)} ${'ratio'.padStart(8)}`)
  // Interleaved, each run's two numbers were taken seconds apart: the ratio is the median of the
  // runs' own ratios, not of numbers from two different runs.
  const paired = !SEQUENTIAL && results.raftdeck !== undefined && results.etcd !== undefined
  const ratio = (k: string) => (paired ? median(results.raftdeck!.map((row, r) => row[k]! / results.etcd![r]![k]!)) : med('raftdeck', k) / med('etcd', k))
  for (const k of keys) {
    const a = med('raftdeck', k)
    const b = med('etcd', k)
    const q = ratio(k)
    console.log(`${k.padEnd(24)} ${fmt(a).padStart(10)} ${fmt(b).padStart(10)} ${(Number.isNaN(q) ? '—' : q.toFixed(2)).padStart(8)}`)
  }
  console.log(
    `ratio = raftdeck / etcd${paired ? ", the median of each run's own ratio" : ''} (for ops/s higher is better; for ms and MiB lower is better)`,
  )
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
