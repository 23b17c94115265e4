// `npm run bench:scale`: a Kubernetes-sized data set on both engines, side by side.
//
// A generator (bench-scale/k8sData.ts) writes ~150,000 keys and ~260 MB in ~300,000 revisions to a real
// etcd, which is snapshotted once (cached in ~/.cache/raftdeck/). Then, for raftdeck members and for
// etcd 3.4, with each engine's own tools:
//   restore   the snapshot restored into 3 members with each engine's own tool (etcdctl snapshot
//             restore once per member, as etcd's docs and Raftdeck's etcd-engine rehearsal do;
//             `raftdeck snapshot restore --data-dirs`, which reads the snapshot once for all members,
//             as the playground restore does), the members started, until one leader is seen by all;
//   restart   one follower stopped and started again, until it serves the cluster's revision;
//   learner   member add --learner, the learner started (it catches up by snapshot), promoted;
//   compact   100,000 revisions compacted (physically) while 16 clients write: elections, load p99;
//   RSS       per member with the data loaded, and at the end.
//   npm run bench:scale -- [--runs 1] [--engines raftdeck,etcd] [--snapshot FILE] [--regenerate] [--keep DIR]
//                          [--steps restart,learner,compact] [--restarts 1] [--restart-node-flags="--cpu-prof …"] [--verbose]
// --steps picks what runs after the restore (e.g. `--steps restart --restarts 3` times only restarts;
// the median of the restarts is reported); --restart-node-flags adds Node options to a restarted
// raftdeck member (a CPU profile: "--cpu-prof --cpu-prof-dir=/tmp/prof").
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { randomBytes } from 'node:crypto'
import { EtcdClient } from '../src-main/services/etcd/client'
import { findEtcdBinary } from '../src-main/services/app/etcdBinary'
import { packageMemberCommand } from '../src-main/services/playground/launcher'
import { MEMBER_ENV, MEMBER_NODE_FLAGS } from '../src-main/member/nodeFlags'
import { freePorts } from '../test/support/ports'
import { EVENT_LEASES, k8sWrites } from './bench-scale/k8sData'
import { choiceListOption, intOption, scriptArgs } from './args'

const run = promisify(execFile)

const USAGE =
  'npm run bench:scale -- [--runs 1] [--engines raftdeck,etcd] [--snapshot FILE] [--regenerate] [--seed 42] [--keep DIR] [--compact-revisions 100000] [--load-seconds 12] [--steps restart,learner,compact] [--restarts 1] [--restart-node-flags="…"] [--verbose]'
const values = scriptArgs(USAGE, {
  runs: { type: 'string', default: '1' },
  engines: { type: 'string', default: 'raftdeck,etcd' },
  snapshot: { type: 'string' },
  regenerate: { type: 'boolean', default: false },
  seed: { type: 'string', default: '42' },
  keep: { type: 'string' },
  'compact-revisions': { type: 'string', default: '100000' },
  'load-seconds': { type: 'string', default: '12' },
  steps: { type: 'string', default: 'restart,learner,compact' },
  restarts: { type: 'string', default: '1' },
  'restart-node-flags': { type: 'string', default: '' },
  verbose: { type: 'boolean', default: false },
})
const RUNS = intOption(USAGE, 'runs', values.runs, 1)
const ENGINES = choiceListOption(USAGE, 'engines', values.engines, ['raftdeck', 'etcd'] as const)
const SEED = intOption(USAGE, 'seed', values.seed)
const COMPACT_REVISIONS = intOption(USAGE, 'compact-revisions', values['compact-revisions'], 1)
const LOAD_SECONDS = intOption(USAGE, 'load-seconds', values['load-seconds'], 1)
const RESTARTS = intOption(USAGE, 'restarts', values.restarts)

type Engine = 'raftdeck' | 'etcd'
const ETCD = findEtcdBinary() ?? '/usr/bin/etcd'
const ETCDCTL = '/usr/bin/etcdctl'
const GENERATOR_VERSION = 1
const member = packageMemberCommand()

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

function rssMiB(pid: number | undefined): number {
  if (!pid) return NaN
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/)
    return m ? Number(m[1]) / 1024 : NaN
  } catch {
    return NaN
  }
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const v = await probe()
      if (v !== undefined) return v
    } catch (err) {
      last = err
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`)
    await sleep(everyMs)
  }
}

// ---- the data set ----

async function generate(file: string, seed: number): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'raftdeck-scale-gen-'))
  const [cp, pp] = await freePorts(2)
  const url = `http://127.0.0.1:${cp}`
  const etcd = spawn(ETCD, [`--name=gen`, `--data-dir=${dir}/gen`, `--listen-client-urls=${url}`, `--advertise-client-urls=${url}`, `--listen-peer-urls=http://127.0.0.1:${pp}`, `--initial-advertise-peer-urls=http://127.0.0.1:${pp}`, `--initial-cluster=gen=http://127.0.0.1:${pp}`, '--quota-backend-bytes=8589934592', '--log-level=error', '--logger=zap'], { stdio: 'ignore' })
  const client = new EtcdClient({ endpoints: [url], requestTimeoutMs: 30_000 })
  try {
    await until('the generator etcd', () => client.status(url, 1000), 30_000)
    const leases: string[] = []
    for (let i = 0; i < EVENT_LEASES; i++) leases.push((await client.leaseGrant(3600)).ID)
    const t0 = performance.now()
    const it = k8sWrites(seed)
    let n = 0
    let bytes = 0
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        for (let r = it.next(); !r.done; r = it.next()) {
          const w = r.value
          await client.put({ key: Buffer.from(w.key), value: w.value, ...(w.lease >= 0 ? { lease: leases[w.lease] } : {}) })
          bytes += w.value.length
          if (++n % 20_000 === 0) process.stderr.write(`  generated ${n} writes (${(bytes / 1e6).toFixed(0)} MB) in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`)
        }
      }),
    )
    mkdirSync(path.dirname(file), { recursive: true })
    await run(ETCDCTL, [`--endpoints=${url}`, 'snapshot', 'save', `${file}.part`], { env: { ...process.env, ETCDCTL_API: '3' } })
    renameSync(`${file}.part`, file)
    process.stderr.write(`  ${n} writes, ${(bytes / 1e6).toFixed(0)} MB of values in ${((performance.now() - t0) / 1000).toFixed(0)} s; snapshot ${(statSync(file).size / 1e6).toFixed(0)} MB\n`)
  } finally {
    client.close()
    etcd.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
}

// ---- clusters ----

interface Member {
  name: string
  clientUrl: string
  peerUrl: string
  dataDir: string
  proc?: ChildProcess
  log: string[]
}

function memberFlags(m: Member, initialCluster: string, token: string, state: 'new' | 'existing'): string[] {
  return [
    `--name=${m.name}`,
    `--data-dir=${m.dataDir}`,
    `--listen-client-urls=${m.clientUrl}`,
    `--advertise-client-urls=${m.clientUrl}`,
    `--listen-peer-urls=${m.peerUrl}`,
    `--initial-advertise-peer-urls=${m.peerUrl}`,
    `--initial-cluster=${initialCluster}`,
    `--initial-cluster-token=${token}`,
    `--initial-cluster-state=${state}`,
  ]
}

const steps = new Set(values.steps === '' ? [] : choiceListOption(USAGE, 'steps', values.steps, ['restart', 'learner', 'compact'] as const))

function start(engine: Engine, m: Member, flags: string[], nodeFlags: string[] = []): void {
  // A member runs with the Node options the playground gives it (nodeFlags.ts).
  const proc =
    engine === 'etcd'
      ? spawn(ETCD, [...flags, '--log-level=warn', '--logger=zap', '--quota-backend-bytes=8589934592'], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(member.cmd, [...MEMBER_NODE_FLAGS, ...nodeFlags, ...member.prefix, 'member', ...flags, '--quota-backend-bytes=8589934592'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...MEMBER_ENV, ...member.env } })
  m.log = []
  proc.stdout!.on('data', (d: Buffer) => m.log.push(d.toString()))
  proc.stderr!.on('data', (d: Buffer) => m.log.push(d.toString()))
  m.proc = proc
}

async function stop(m: Member, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  const p = m.proc
  if (!p || p.exitCode !== null || p.signalCode !== null) return
  await new Promise<void>((resolve) => {
    p.once('exit', () => resolve())
    p.kill(signal)
    setTimeout(() => p.kill('SIGKILL'), 15_000).unref()
  })
}

async function restoreMember(engine: Engine, snapshot: string, m: Member, initialCluster: string, token: string): Promise<void> {
  const args = ['snapshot', 'restore', snapshot, `--name=${m.name}`, `--initial-cluster=${initialCluster}`, `--initial-cluster-token=${token}`, `--initial-advertise-peer-urls=${m.peerUrl}`, `--data-dir=${m.dataDir}`]
  if (engine === 'etcd') await run(ETCDCTL, args, { env: { ...process.env, ETCDCTL_API: '3' }, maxBuffer: 16 * 1024 * 1024 })
  else await run(member.cmd, [...member.prefix, ...args], { env: { ...process.env, ...member.env }, maxBuffer: 16 * 1024 * 1024 })
}

/** The leader's member ID when all `ms` agree on one. */
async function agreedLeader(client: EtcdClient, ms: Member[]): Promise<string | undefined> {
  const st = await Promise.all(ms.map((m) => client.status(m.clientUrl, 2000)))
  const lead = st[0]!.leader
  return lead !== '0' && st.every((s) => s.leader === lead) ? lead : undefined
}

type Row = Record<string, number>

function portOpen(url: string): Promise<true | undefined> {
  const u = new URL(url)
  return new Promise((resolve) => {
    const sock = net.connect(Number(u.port), u.hostname)
    sock.once('connect', () => {
      sock.destroy()
      resolve(true)
    })
    sock.once('error', () => resolve(undefined))
  })
}

async function benchEngine(engine: Engine, snapshot: string, snapRevision: number): Promise<Row> {
  const row: Row = {}
  const root = mkdtempSync(path.join(os.tmpdir(), `raftdeck-scale-${engine}-`))
  const ports = await freePorts(8)
  const ms: Member[] = [0, 1, 2].map((i) => ({ name: `s${i + 1}`, clientUrl: `http://127.0.0.1:${ports[i]}`, peerUrl: `http://127.0.0.1:${ports[4 + i]}`, dataDir: path.join(root, `s${i + 1}`), log: [] }))
  const learner: Member = { name: 's4', clientUrl: `http://127.0.0.1:${ports[3]}`, peerUrl: `http://127.0.0.1:${ports[7]}`, dataDir: path.join(root, 's4'), log: [] }
  const token = `scale-${engine}-${randomBytes(3).toString('hex')}`
  const ic = ms.map((m) => `${m.name}=${m.peerUrl}`).join(',')
  const client = new EtcdClient({ endpoints: ms.map((m) => m.clientUrl), requestTimeoutMs: 15_000 })
  try {
    // 1. Restore into three members and reach one leader.
    let t0 = performance.now()
    if (engine === 'etcd') for (const m of ms) await restoreMember(engine, snapshot, m, ic, token)
    else await run(member.cmd, [...member.prefix, 'snapshot', 'restore', snapshot, `--initial-cluster=${ic}`, `--initial-cluster-token=${token}`, `--data-dirs=${ms.map((m) => `${m.name}=${m.dataDir}`).join(',')}`], { env: { ...process.env, ...member.env }, maxBuffer: 16 * 1024 * 1024 })
    row['restore tool s'] = (performance.now() - t0) / 1000
    const t1 = performance.now()
    for (const m of ms) start(engine, m, memberFlags(m, ic, token, 'new'))
    await until('one leader', () => agreedLeader(client, ms), 180_000)
    row['start to leader s'] = (performance.now() - t1) / 1000
    row['restore + leader s'] = (performance.now() - t0) / 1000
    // Every member answers from the data (a serializable read of the newest revision).
    await until('all members serving', async () => {
      const r = await Promise.all(ms.map((m) => client.range({ key: Buffer.from('/registry/namespaces/default'), serializable: true }, { endpoint: m.clientUrl })))
      return r.every((x) => Number(x.header.revision) >= snapRevision) ? true : undefined
    }, 120_000)
    await sleep(2000)
    row['RSS/member loaded MiB'] = ms.reduce((a, m) => a + rssMiB(m.proc?.pid), 0) / ms.length

    // 2. Restart one follower: stopped, started, serving the cluster's revision again.
    const restarts: number[] = []
    for (let i = 0; steps.has('restart') && i < RESTARTS; i++) {
      const lead = (await until('one leader', () => agreedLeader(client, ms), 60_000))!
      const statuses = await Promise.all(ms.map((m) => client.status(m.clientUrl)))
      const follower = ms[statuses.findIndex((s) => s.header.member_id !== lead)]!
      await client.put({ key: Buffer.from('/bench/restart'), value: Buffer.from('x') }, { endpoint: ms[statuses.findIndex((s) => s.header.member_id === lead)]!.clientUrl })
      const rev = Number((await client.range({ key: Buffer.from('/bench/restart') })).header.revision)
      await stop(follower)
      t0 = performance.now()
      start(engine, follower, memberFlags(follower, ic, token, 'new'), String(values['restart-node-flags']).split(' ').filter(Boolean))
      // The client port first, by plain TCP: a gRPC channel to a member that is down backs off
      // (0.5, 0.8, 1.3, 2 s…), and a call would see the member only at the next step of that schedule.
      await until('the restarted member\'s client port', () => portOpen(follower.clientUrl), 180_000, 25)
      await until('the restarted member', async () => {
        const [st, r] = await Promise.all([client.status(follower.clientUrl, 1000), client.range({ key: Buffer.from('/bench/restart'), serializable: true }, { endpoint: follower.clientUrl, timeoutMs: 1000 })])
        return st.leader !== '0' && Number(r.header.revision) >= rev ? true : undefined
      }, 180_000, 25)
      restarts.push((performance.now() - t0) / 1000)
      process.stderr.write(`  restart ${i + 1}: ${restarts[restarts.length - 1]!.toFixed(2)} s\n`)
      if (values.verbose) process.stderr.write(`--- ${follower.name} after its restart\n${follower.log.join('').slice(-6000)}\n`)
    }
    if (restarts.length) row['restart member s'] = median(restarts)
    const rev = Number((await client.range({ key: Buffer.from('/bench/restart') })).header.revision)
    if (!steps.has('learner')) return row

    // 3. A learner that catches up by snapshot, then promoted.
    t0 = performance.now()
    const added = await until('member add --learner', () => client.memberAdd([learner.peerUrl], true), 60_000, 250)
    const ic4 = `${ic},${learner.name}=${learner.peerUrl}`
    start(engine, learner, memberFlags(learner, ic4, token, 'existing'))
    await until('learner promoted', () => client.memberPromote(added.member.ID), 300_000, 250)
    row['learner add→promote s'] = (performance.now() - t0) / 1000
    const all = [...ms, learner]
    await until('the promoted member serving', async () => {
      const r = await client.range({ key: Buffer.from('/bench/restart'), serializable: true }, { endpoint: learner.clientUrl, timeoutMs: 1000 })
      return Number(r.header.revision) >= rev ? true : undefined
    }, 60_000)

    if (!steps.has('compact')) return row
    // 4. Compact 100,000 revisions while a write load runs.
    const before = await Promise.all(all.map((m) => client.status(m.clientUrl)))
    const lat: number[] = []
    let errors = 0
    const loadMs = LOAD_SECONDS * 1000
    const value = randomBytes(1024)
    const end = performance.now() + loadMs
    let n = 0
    const leaderUrl = all[before.findIndex((s) => s.header.member_id === s.leader)]!.clientUrl
    const load = Promise.all(
      Array.from({ length: 16 }, async () => {
        while (performance.now() < end) {
          const t = performance.now()
          try {
            await client.put({ key: Buffer.from(`/registry/bench/k-${n++ % 5000}`), value }, { endpoint: leaderUrl })
            lat.push(performance.now() - t)
          } catch {
            errors++
          }
        }
      }),
    )
    await sleep(2000)
    // Revisions 1..N go: the oldest 100,000 of the restored history.
    const target = Math.min(snapRevision, 1 + COMPACT_REVISIONS)
    t0 = performance.now()
    await client.compact(String(target), true)
    row['compact 100k revs s'] = (performance.now() - t0) / 1000
    await load
    lat.sort((a, b) => a - b)
    row['load p99 during compact ms'] = lat[Math.floor(lat.length * 0.99)] ?? NaN
    row['load puts/s during compact'] = lat.length / (loadMs / 1000)
    row['load errors'] = errors
    const after = await Promise.all(all.map((m) => client.status(m.clientUrl)))
    row['elections during compact'] = new Set([...before, ...after].map((s) => `${s.leader}/${s.raftTerm}`)).size - 1
    row['RSS/member end MiB'] = all.reduce((a, m) => a + rssMiB(m.proc?.pid), 0) / all.length
  } catch (err) {
    for (const m of [...ms, learner]) process.stderr.write(`--- ${m.name}\n${m.log.join('').slice(-3000)}\n`)
    throw err
  } finally {
    client.close()
    // SIGTERM (SIGKILL after 15 s): a member run with --cpu-prof writes its profile as it exits.
    await Promise.all([...ms, learner].map((m) => stop(m)))
    if (values.keep) process.stderr.write(`kept ${root}\n`)
    else rmSync(root, { recursive: true, force: true })
  }
  return row
}

async function main(): Promise<void> {
  const snapshot = values.snapshot ? path.resolve(values.snapshot) : path.join(os.homedir(), '.cache', 'raftdeck', `bench-scale-k8s-v${GENERATOR_VERSION}-s${SEED}.db`)
  if (values.regenerate || !existsSync(snapshot)) {
    process.stderr.write(`generating the data set into a real etcd (seed ${SEED}); cached as ${snapshot}\n`)
    await generate(snapshot, SEED)
  }
  const { stdout } = await run(ETCDCTL, ['snapshot', 'status', snapshot, '-w', 'json'], { env: { ...process.env, ETCDCTL_API: '3' } })
  const st = JSON.parse(stdout) as { revision: number; totalKey: number; totalSize: number }
  process.stderr.write(`snapshot ${snapshot}: ${(st.totalSize / 1e6).toFixed(0)} MB, revision ${st.revision}, ${st.totalKey} keys in the key bucket\n`)
  const results: Record<string, Row[]> = {}
  for (let r = 0; r < RUNS; r++) {
    for (const e of r % 2 ? [...ENGINES].reverse() : ENGINES) {
      process.stderr.write(`run ${r + 1}/${RUNS}: ${e}… (load ${os.loadavg()[0]!.toFixed(1)})\n`)
      ;(results[e] ??= []).push(await benchEngine(e, snapshot, st.revision))
    }
  }
  const keys = Object.keys(results[ENGINES[0]!]![0]!)
  const med = (e: string, k: string) => (results[e] ? median(results[e]!.map((row) => row[k]!)) : NaN)
  const fmt = (v: number) => (Number.isNaN(v) ? '—' : Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2))
  console.log(`\nKubernetes-shaped data set: ${(st.totalSize / 1e6).toFixed(0)} MB snapshot, revision ${st.revision}; 3 members each; median of ${RUNS} run(s)`)
  console.log(`${'metric'.padEnd(30)} ${'raftdeck'.padStart(10)} ${'etcd'.padStart(10)} ${'ratio'.padStart(8)}`)
  for (const k of keys) {
    const a = med('raftdeck', k)
    const b = med('etcd', k)
    const ratio = b === 0 ? (a === 0 ? '—' : '∞') : Number.isNaN(a / b) ? '—' : (a / b).toFixed(2)
    console.log(`${k.padEnd(30)} ${fmt(a).padStart(10)} ${fmt(b).padStart(10)} ${ratio.padStart(8)}`)
  }
  console.log('ratio = raftdeck / etcd (times and MiB: lower is better)')
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
