// npm run bench:bbolt — throughput and peak memory of snapshot status and verify.
//
// Generates a ~100 MB etcd snapshot with our writer (lazily, so generation itself stays
// small), then runs status and verify several times, each in a fresh child process so
// the peak RSS we report belongs to that operation alone. If etcdctl is installed, its
// `snapshot status` on the same file is timed too, for a ratio from the same run.

import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildEtcdSnapshot, snapshotStatus, verifySnapshot } from '../src-main/bbolt'
import type { RevisionInput } from '../src-main/bbolt'

const TARGET_BYTES = Number(process.env.BENCH_BBOLT_MB ?? 100) * 1024 * 1024
const RUNS = Number(process.env.BENCH_BBOLT_RUNS ?? 3)
const VALUE_SIZE = 400

function history(count: number): Iterable<RevisionInput> {
  const te = new TextEncoder()
  const value = new Uint8Array(VALUE_SIZE).map((_, i) => 97 + (i % 26))
  return {
    *[Symbol.iterator]() {
      for (let i = 0; i < count; i++) {
        const main = BigInt(i + 2)
        const key = te.encode(`/registry/pods/default/pod-${String(i).padStart(8, '0')}`)
        yield { main, sub: 0n, kv: { key, value, createRevision: main, modRevision: main, version: 1n, lease: 0n } }
      }
    },
  }
}

function child(op: string, file: string): void {
  const t0 = process.hrtime.bigint()
  const result = op === 'status' ? snapshotStatus(file) : op === 'verify' ? verifySnapshot(file).status : null
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  const maxRssMb = process.resourceUsage().maxRSS / 1024
  process.stdout.write(JSON.stringify({ ms, maxRssMb, result }) + '\n')
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

function runChild(op: string, file: string): { ms: number; maxRssMb: number; result: unknown } {
  const self = fileURLToPath(import.meta.url)
  const r = spawnSync(process.execPath, [...process.execArgv, self, op, file], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`${op} child failed: ${r.stderr}`)
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as { ms: number; maxRssMb: number; result: unknown }
}

function main(): void {
  const dir = mkdtempSync(join(tmpdir(), 'raftdeck-bench-bbolt-'))
  try {
    const file = join(dir, 'bench.snapshot')
    // Each revision costs ~16 (element) + 17 (key) + ~460 (KeyValue) bytes of leaf space.
    const count = Math.round(TARGET_BYTES / (16 + 17 + VALUE_SIZE + 60))
    let t0 = process.hrtime.bigint()
    const written = buildEtcdSnapshot(file, { revisions: history(count), consistentIndex: BigInt(count) })
    const writeMs = Number(process.hrtime.bigint() - t0) / 1e6
    const size = statSync(file).size
    const mb = size / (1024 * 1024)
    console.log(`snapshot: ${count} revisions, ${mb.toFixed(1)} MiB (${written.pages} pages), written in ${(writeMs / 1000).toFixed(2)} s (${(mb / (writeMs / 1000)).toFixed(0)} MiB/s, parent peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB)`)

    // The same child doing nothing: the runtime's own RSS, to subtract when reading the table.
    const baseline = median(Array.from({ length: RUNS }, () => runChild('noop', file).maxRssMb))
    console.log(`baseline child (node + tsx, no work): peak RSS ${baseline.toFixed(0)} MiB`)
    const rows: string[][] = [['operation', 'median time', 'MiB/s', 'peak RSS (MiB)', 'runs']]
    let statusResult: unknown
    for (const op of ['status', 'verify']) {
      const runs = Array.from({ length: RUNS }, () => runChild(op, file))
      if (op === 'status') statusResult = runs[0]!.result
      const ms = median(runs.map((r) => r.ms))
      rows.push([`raftdeck ${op}`, `${(ms / 1000).toFixed(2)} s`, (mb / (ms / 1000)).toFixed(0), median(runs.map((r) => r.maxRssMb)).toFixed(0), String(RUNS)])
    }
    const etcdctl = '/usr/bin/etcdctl'
    try {
      statSync(etcdctl)
      const times: number[] = []
      let theirs = ''
      for (let i = 0; i < RUNS; i++) {
        t0 = process.hrtime.bigint()
        const r = spawnSync(etcdctl, ['snapshot', 'status', file, '-w', 'json'], { encoding: 'utf8' })
        times.push(Number(process.hrtime.bigint() - t0) / 1e6)
        theirs = r.stdout.trim()
      }
      const ms = median(times)
      rows.push(['etcdctl snapshot status', `${(ms / 1000).toFixed(2)} s`, (mb / (ms / 1000)).toFixed(0), '-', String(RUNS)])
      console.log(`status equal to etcdctl's: ${JSON.stringify(statusResult) === theirs ? 'yes' : `NO (ours ${JSON.stringify(statusResult)}, etcdctl ${theirs})`}`)
    } catch {
      // etcdctl not installed: report ours only.
    }
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)))
    for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(widths[c]!)).join('  '))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const [op, file] = process.argv.slice(2)
if (op && file) child(op, file)
else main()
