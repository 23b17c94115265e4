// npm run bench:backup — one scheduled-backup run against `etcdctl snapshot save`, on the same real
// etcd 3.4 member holding a ~200 MB database, in one run.
//
// The database is written by our bbolt writer and restored into etcd with etcdctl (fast and
// realistic: ~400k revisions of 400-byte values under /registry/). Then, alternating, RUNS times:
// `etcdctl snapshot save` and `raftdeck backup run --schedule bench` (the built command, as cron
// starts it; the schedule has no trial restore), each as a process: wall time, and our peak RSS from
// GNU time. Goal: ≤ 1.2× etcdctl's wall time, peak RSS < 150 MiB.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildEtcdSnapshot, type RevisionInput } from '../src-main/bbolt'
import { EtcdClient } from '../src-main/services/etcd/client'
import { LogBus } from '../src-main/services/log'
import { headlessBackups } from '../src-main/services/backup/headless'

const ETCD = process.env.RAFTDECK_ETCD_BINARY ?? '/usr/bin/etcd'
const ETCDCTL = '/usr/bin/etcdctl'
const TARGET_MB = Number(process.env.BENCH_BACKUP_MB ?? 200)
const RUNS = Number(process.env.BENCH_BACKUP_RUNS ?? 3)
const VALUE_SIZE = 400

function history(count: number): Iterable<RevisionInput> {
  const te = new TextEncoder()
  const value = new Uint8Array(VALUE_SIZE).map((_, i) => 97 + (i % 26))
  return {
    *[Symbol.iterator]() {
      for (let i = 0; i < count; i++) {
        const main = BigInt(i + 2)
        yield { main, sub: 0n, kv: { key: te.encode(`/registry/pods/default/pod-${String(i).padStart(8, '0')}`), value, createRevision: main, modRevision: main, version: 1n, lease: 0n } }
      }
    },
  }
}

/** Step times of the newest run in a manifest (ms between its transitions). */
function stepTimes(dest: string): Record<string, number> {
  const lines = readFileSync(path.join(dest, 'manifest.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { run: string; state: string; at: number })
  const last = lines[lines.length - 1]!.run
  const mine = lines.filter((l) => l.run === last)
  const at = (st: string) => mine.find((l) => l.state === st)?.at ?? NaN
  return { run: at('done') - at('started'), pick: at('picked') - at('started'), stream: at('streamed') - at('picked'), verify: at('verified') - at('streamed'), commit: at('committed') - at('verified'), latest: at('latest') - at('committed') }
}

/** The built command, rebuilt when the sources are newer: the bench measures what users run. */
function builtCli(): string {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
  const cli = path.join(root, 'out', 'main', 'cli.js')
  const newest = (d: string): number => Math.max(...readdirSync(d, { withFileTypes: true }).map((e) => (e.isDirectory() ? newest(path.join(d, e.name)) : statSync(path.join(d, e.name)).mtimeMs)))
  if (!existsSync(cli) || statSync(cli).mtimeMs < newest(path.join(root, 'src-main'))) {
    console.log('building (out/main/cli.js is older than the sources)…')
    const r = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore' })
    if (r.status !== 0) throw new Error('npm run build failed')
  }
  return cli
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

async function waitReady(url: string, proc: ChildProcess): Promise<void> {
  const c = new EtcdClient({ endpoints: [url] })
  const deadline = Date.now() + 120_000
  try {
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`etcd exited (${proc.exitCode})`)
      try {
        const st = await c.status(url, 1000)
        if (st.leader !== '0') return
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) throw new Error('etcd did not start')
      await new Promise((r) => setTimeout(r, 200))
    }
  } finally {
    c.close()
  }
}

async function main(): Promise<void> {
  try {
    statSync(ETCD)
    statSync(ETCDCTL)
  } catch {
    console.log(`bench:backup needs ${ETCD} and ${ETCDCTL} (Debian: apt-get install etcd-server etcd-client)`)
    return
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'raftdeck-bench-backup-'))
  let etcd: ChildProcess | null = null
  try {
    const seed = path.join(dir, 'seed.db')
    const count = Math.round((TARGET_MB * 1024 * 1024) / (16 + 17 + VALUE_SIZE + 60))
    buildEtcdSnapshot(seed, { revisions: history(count), consistentIndex: BigInt(count) })
    const { createServer } = await import('node:net')
    const port = () => new Promise<number>((res) => { const s = createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => res(p)) }) })
    const [cp, pp] = [await port(), await port()]
    const client = `http://127.0.0.1:${cp}`
    const peer = `http://127.0.0.1:${pp}`
    const restore = spawnSync(ETCDCTL, ['snapshot', 'restore', seed, '--name', 'm1', '--data-dir', path.join(dir, 'etcd'), '--initial-cluster', `m1=${peer}`, '--initial-advertise-peer-urls', peer], { env: { ...process.env, ETCDCTL_API: '3' }, encoding: 'utf8' })
    if (restore.status !== 0) throw new Error(`etcdctl snapshot restore failed: ${restore.stderr}`)
    rmSync(seed)
    etcd = spawn(ETCD, ['--name', 'm1', '--data-dir', path.join(dir, 'etcd'), '--listen-client-urls', client, '--advertise-client-urls', client, '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer, '--initial-cluster', `m1=${peer}`, '--log-level', 'error', '--logger', 'zap'], { stdio: 'ignore' })
    await waitReady(client, etcd)

    const dataDir = path.join(dir, 'raftdeck')
    const dest = path.join(dir, 'backups')
    mkdirSync(dest)
    const h = headlessBackups(dataDir, new LogBus(100), 'bench')
    const conn = await h.connections.save({ name: 'bench', endpoints: [client] })
    // No retention: deleting the previous backup is not part of taking one (etcdctl's file is removed
    // outside its timing, so ours are too; see settle()).
    await h.schedules.save({ name: 'bench', target: { kind: 'connection', id: conn.id }, cron: '0 2 * * *', destination: dest, trialRestore: false, retention: {} })
    h.close()

    const cli = builtCli()
    const ours: { ms: number; maxRssMb: number; steps: Record<string, number> }[] = []
    const theirs: number[] = []
    // etcdctl does not check what it saved; `snapshot status` (the whole file read, hashed and walked)
    // is its nearest equivalent of our verification, timed apart so both comparisons show.
    const theirStatus: number[] = []
    // Between timed runs, outside the timing: the file just saved is removed and the file system is
    // synced, for both tools alike. Freeing 200 MB costs its file system real work (here: ext4 with
    // `discard`, which trims the freed blocks at the next journal commit), and left pending it could land in
    // whichever run came next: retention used to delete our previous backup inside our run, and the
    // next run after etcdctl's paid for the removal of etcdctl's file.
    const settle = (files: string[]) => {
      for (const f of files) rmSync(f, { force: true })
      spawnSync('sync')
    }
    const etcdctlRun = (i: number) => {
      const out = path.join(dir, `etcdctl-${i}.db`)
      const t0 = process.hrtime.bigint()
      const e = spawnSync(ETCDCTL, ['--endpoints', client, 'snapshot', 'save', out], { env: { ...process.env, ETCDCTL_API: '3' }, encoding: 'utf8' })
      theirs[i] = Number(process.hrtime.bigint() - t0) / 1e6
      if (e.status !== 0) throw new Error(`etcdctl snapshot save failed: ${e.stderr}`)
      const t2 = process.hrtime.bigint()
      const st = spawnSync(ETCDCTL, ['snapshot', 'status', out, '-w', 'json'], { env: { ...process.env, ETCDCTL_API: '3' }, encoding: 'utf8' })
      theirStatus[i] = Number(process.hrtime.bigint() - t2) / 1e6
      if (st.status !== 0) throw new Error(`etcdctl snapshot status failed: ${st.stderr}`)
      settle([out])
    }
    const ourRun = (i: number) => {
      // `raftdeck backup run` as cron would start it; GNU time reports its peak RSS (KiB).
      const t1 = process.hrtime.bigint()
      const r = spawnSync('/usr/bin/time', ['-f', 'maxrss=%M', process.execPath, cli, 'backup', 'run', '--schedule', 'bench', '--data-dir', dataDir], { encoding: 'utf8' })
      const ms = Number(process.hrtime.bigint() - t1) / 1e6
      if (r.status !== 0) throw new Error(`backup run failed: ${r.stderr}`)
      ours[i] = { ms, maxRssMb: Number(/maxrss=(\d+)/.exec(r.stderr)![1]) / 1024, steps: stepTimes(dest) }
      // Keep the last backup (its size is reported below); remove the ones before it.
      if (i < RUNS - 1) settle(readdirSync(dest).filter((f) => f.endsWith('.db')).map((f) => path.join(dest, f)))
    }
    // Who goes first alternates too: a stream right after the other client's was measured slower
    // (docs/backups.md, "Order matters"), so neither side always pays for following the other.
    for (let i = 0; i < RUNS; i++) {
      if (i % 2 === 0) {
        etcdctlRun(i)
        ourRun(i)
      } else {
        ourRun(i)
        etcdctlRun(i)
      }
    }
    const mb = statSync(path.join(dest, readdirSync(dest).find((f) => f.endsWith('-latest.db'))!)).size / (1024 * 1024)
    const oursMs = median(ours.map((o) => o.ms))
    const theirsMs = median(theirs)
    console.log(`database: ${count} revisions, snapshot ${mb.toFixed(1)} MiB; ${RUNS} runs each, alternating; medians`)
    console.log(`etcdctl snapshot save          ${(theirsMs / 1000).toFixed(2)} s  (${(mb / (theirsMs / 1000)).toFixed(0)} MiB/s)`)
    console.log(`raftdeck backup run            ${(oursMs / 1000).toFixed(2)} s  (${(mb / (oursMs / 1000)).toFixed(0)} MiB/s), peak RSS ${median(ours.map((o) => o.maxRssMb)).toFixed(0)} MiB`)
    const steps = Object.keys(ours[0]!.steps)
    console.log(`  steps (median ms): ${steps.map((k) => `${k} ${median(ours.map((o) => o.steps[k]!)).toFixed(0)}`).join(', ')} (run = started→done in the manifest; the rest of the wall time is starting Node and loading the command)`)
    console.log(`ratio raftdeck/etcdctl: ${(oursMs / theirsMs).toFixed(2)}× (goal ≤ 1.2×); per run: ${ours.map((o, i) => (o.ms / theirs[i]!).toFixed(2)).join(', ')}`)
    const checked = theirs.map((t, i) => t + theirStatus[i]!)
    console.log(`etcdctl snapshot save + status ${(median(checked) / 1000).toFixed(2)} s (status ${(median(theirStatus) / 1000).toFixed(2)} s): what etcdctl needs to also read back what it saved; raftdeck/that ${(oursMs / median(checked)).toFixed(2)}×`)
  } finally {
    if (etcd && etcd.exitCode === null) {
      etcd.kill('SIGKILL')
      await new Promise((r) => etcd!.once('exit', r))
    }
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
