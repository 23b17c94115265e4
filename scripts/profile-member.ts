// `npm run profile:member`: where a 3-member raftdeck cluster spends its time under one load.
// Starts three members from the build (out/main/cli.js) with `--cpu-prof` (and optionally
// `--heap-prof`), drives puts or gets with the same grpc-js client as `npm run bench`, stops the
// members gracefully so Node writes the profiles, and prints the top functions by self time for the
// leader and one follower, plus WAL fdatasync counts from the debug stream.
//   npm run profile:member -- --seconds 8 --concurrency 64 --op put [--warmup 2] [--heap] [--keep DIR]
//                             [--latency-out FILE]
// --alloc samples what the leader and one follower allocate during the measured load (objects the
// GC has already collected included: the rate that drives it) and prints bytes per operation, by
// allocation site; with --survivors, only what outlived a minor GC (promoted or allocated old: what
// brings on the full collections). --heap is Node's --heap-prof, which keeps only what is still
// alive at exit. --gc prints, for each member, the collections during the measured load: minor GCs
// (count, mean pause, bytes promoted per operation) and full ones (count, total pause), from V8's
// --trace-gc-nvp.
// The warm-up writes the keys the load uses (/bench/0…9999), so gets read 256-byte values, as in
// `npm run bench`. --spread sends serializable gets to every member in turn, as `npm run bench`
// does (the other loads go to the leader).
// --debug-watch runs the members as the playground does: with --enable-debug-service, and watched
// (Raft states every 100 ms, no traces) as the playground's views watch them, which is how
// `npm run bench` measures them.
// --per-second prints the load second by second (operations, mean latency, operations over 3 ms):
// how long the members take to reach their steady pace after the warm-up, which a short bench cell
// right after it would otherwise count as the engine's speed.
// --latency-out writes one line per operation: its start (ms since the epoch, so it lines up with
// timestamps taken in the members) and its latency in ms. Members' data dirs go under $TMPDIR, so
// TMPDIR=/dev/shm takes the disk out of a comparison.
import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { randomBytes } from 'node:crypto'
import { EtcdClient } from '../src-main/services/etcd/client'
import { packageRoot } from '../src-main/services/app/packageRoot'
import { DebugFeed } from '../src-main/services/playground/debugFeed'
import { MEMBER_ENV, MEMBER_NODE_FLAGS } from '../src-main/member/nodeFlags'
import { choiceOption, intOption, scriptArgs, usageError } from './args'

const USAGE =
  'npm run profile:member -- [--seconds 8] [--concurrency 64] [--op put|get|sget] [--engine raftdeck|etcd] [--warmup 0] [--spread] [--debug-watch] [--alloc [--survivors]] [--gc] [--heap] [--heap-snapshot] [--no-prof] [--top 30] [--keep DIR] [--latency-out FILE] [--per-second] [--node-flags="…"] [--member-env NAME=VALUE]… [--member-flag=--name=value]…'
const values = scriptArgs(USAGE, {
  seconds: { type: 'string', default: '8' },
  concurrency: { type: 'string', default: '64' },
  op: { type: 'string', default: 'put' },
  heap: { type: 'boolean', default: false },
  alloc: { type: 'boolean', default: false },
  survivors: { type: 'boolean', default: false },
  gc: { type: 'boolean', default: false },
  spread: { type: 'boolean', default: false },
  'debug-watch': { type: 'boolean', default: false },
  'heap-snapshot': { type: 'boolean', default: false },
  keep: { type: 'string' },
  top: { type: 'string', default: '30' },
  'node-flags': { type: 'string', default: '' },
  engine: { type: 'string', default: 'raftdeck' },
  'no-prof': { type: 'boolean', default: false },
  'latency-out': { type: 'string' },
  'per-second': { type: 'boolean', default: false },
  // Environment for the members only (not this load client), e.g. --member-env MALLOC_ARENA_MAX=2.
  'member-env': { type: 'string', multiple: true, default: [] },
  // Extra flags for every member (both engines), e.g. --member-flag=--snapshot-count=1000000.
  'member-flag': { type: 'string', multiple: true, default: [] },
  // Seconds of 16-client puts before the measured load, as `npm run bench` does, so the numbers
  // are of warm code (the CPU profile still covers them: keep it short against --seconds).
  warmup: { type: 'string', default: '0' },
})

const memberEnv = Object.fromEntries(
  (values['member-env'] as string[]).map((kv) => {
    const eq = kv.indexOf('=')
    if (eq <= 0) usageError(USAGE, `--member-env wants NAME=VALUE, not ${JSON.stringify(kv)}`)
    return [kv.slice(0, eq), kv.slice(eq + 1)]
  }),
)
const SECONDS = intOption(USAGE, 'seconds', values.seconds, 1)
const CONCURRENCY = intOption(USAGE, 'concurrency', values.concurrency, 1)
const WARMUP_SECONDS = intOption(USAGE, 'warmup', values.warmup)
const TOP = intOption(USAGE, 'top', values.top, 1)
const OP = choiceOption(USAGE, 'op', values.op, ['put', 'get', 'sget'] as const)
const ENGINE = choiceOption(USAGE, 'engine', values.engine, ['raftdeck', 'etcd'] as const)
const VALUE = randomBytes(256)
if ((values.alloc || values.gc) && ENGINE === 'etcd') usageError(USAGE, '--alloc and --gc look inside Node members: they work with --engine raftdeck only')
if (values.survivors && !values.alloc) usageError(USAGE, '--survivors narrows --alloc: give both')
if (values.spread && OP !== 'sget') usageError(USAGE, '--spread spreads serializable gets: it goes with --op sget')
if (values['debug-watch'] && ENGINE === 'etcd') usageError(USAGE, '--debug-watch watches raftdeck members (etcd has no debug service): it goes with --engine raftdeck')
/** The members get the probe (scripts/profile-member/probe.mjs) and an IPC channel to ask it. */
const PROBE = values.alloc || values.gc

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port
      s.close(() => resolve(port))
    })
  })
}

/** User and system CPU of a process so far, in ms (from /proc/PID/stat, clock ticks of 10 ms). */
function cpuMs(pid: number): { user: number; system: number } {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ')
  return { user: Number(rest[11]) * 10, system: Number(rest[12]) * 10 }
}

/** read/write system calls and bytes so far (/proc/PID/io: sockets and files alike). */
function io(pid: number): { syscr: number; syscw: number; rchar: number; wchar: number } {
  const out = { syscr: 0, syscw: 0, rchar: 0, wchar: 0 }
  for (const line of readFileSync(`/proc/${pid}/io`, 'utf8').split('\n')) {
    const [k, v] = line.split(':')
    if (k && k in out) out[k as keyof typeof out] = Number(v)
  }
  return out
}

interface Node {
  name: string
  proc: ChildProcess
  url: string
  profDir: string
  exited: Promise<void>
}

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount: number
}

interface SamplingProfile {
  head: SamplingNode
  samples: Array<{ size: number; nodeId: number }>
}
interface SamplingNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children: SamplingNode[]
}

/** Sends the member's probe a command and resolves with the field it answers with. */
function probeRequest(node: Node, command: 'alloc-start' | 'alloc-stop' | 'clock', field: 'allocStarted' | 'allocProfile' | 'clock'): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      node.proc.off('message', onMessage)
      node.proc.off('exit', onExit)
    }
    const onMessage = (m: Record<string, unknown>): void => {
      if (!(field in m) && !('allocError' in m)) return
      done()
      if ('allocError' in m) reject(new Error(`${node.name}: allocation sampling failed: ${String(m.allocError)}`))
      else resolve(m[field])
    }
    const onExit = (): void => {
      done()
      reject(new Error(`${node.name} exited before its probe answered ${command}`))
    }
    node.proc.on('message', onMessage)
    node.proc.once('exit', onExit)
    node.proc.send(command === 'alloc-start' ? { cmd: command, survivors: values.survivors } : command)
  })
}

/** Bytes allocated per operation, in all and by allocation site (the function that allocated, and its caller). */
function summariseAllocations(prof: SamplingProfile, ops: number, top: number): string {
  const sizeOf = new Map<number, number>()
  for (const s of prof.samples) sizeOf.set(s.nodeId, (sizeOf.get(s.nodeId) ?? 0) + s.size)
  const sites = new Map<string, number>()
  let total = 0
  const name = (n: SamplingNode): string => {
    const f = n.callFrame
    const where = f.url ? f.url.replace(/^.*\/(node_modules\/)?/, (m) => (m.includes('node_modules') ? 'nm:' : '')) : ''
    return `${f.functionName || '(anonymous)'} ${where}:${f.lineNumber + 1}`
  }
  const walk = (n: SamplingNode, caller: string): void => {
    const here = name(n)
    const size = sizeOf.get(n.id) ?? 0
    if (size > 0) {
      total += size
      const key = `${here}  <  ${caller}`
      sites.set(key, (sites.get(key) ?? 0) + size)
    }
    for (const c of n.children) walk(c, here)
  }
  walk(prof.head, '')
  const lines = [`  ${(total / ops / 1024).toFixed(1)} KiB allocated per operation (sampled every 4 KiB on average)`]
  for (const [k, v] of [...sites.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`    ${(v / ops).toFixed(0).padStart(6)} B/op  ${k}`)
  return lines.join('\n')
}

/**
 * One member's collections between two of its performance.now() readings, from its --trace-gc-nvp
 * lines ("[pid:isolate]  T ms: pause=… gc=s … promoted=…": T counts from the isolate's start, which
 * is within a few ms of performance.now()'s origin). Also how fast the heap grew between one full
 * collection and the next (total_size_before of one less total_size_after of the one before),
 * per operation: promotions plus what is allocated straight into the old generation (pretenured
 * objects, the tables of long-lived Maps and Sets), which is what brings the next full collection.
 */
function summariseGc(trace: string, from: number, to: number, ops: number): string {
  let minor = 0
  let minorMs = 0
  let promoted = 0
  let full = 0
  let fullMs = 0
  let lastFull: { at: number; after: number } | undefined
  let grown = 0
  let grownMs = 0
  for (const line of trace.split('\n')) {
    const at = /\]\s+(\d+) ms: /.exec(line)
    if (!at || Number(at[1]) < from || Number(at[1]) > to) continue
    const field = (k: string): number => Number(new RegExp(`(?:^|\\s)${k}=([0-9.]+)`).exec(line)?.[1] ?? 0)
    const kind = /\sgc=(\w+)/.exec(line)?.[1]
    if (kind === 's') {
      minor++
      minorMs += field('pause')
      promoted += field('promoted')
    } else if (kind === 'mc' || kind === 'ms') {
      full++
      fullMs += field('pause')
      const t = Number(at[1])
      if (lastFull) {
        grown += field('total_size_before') - lastFull.after
        grownMs += t - lastFull.at
      }
      lastFull = { at: t, after: field('total_size_after') }
    }
  }
  const mean = minor ? (minorMs / minor).toFixed(1) : '-'
  const growth = grownMs > 0 ? `; heap grew ${(grown / grownMs / (ops / (to - from))).toFixed(0)} B per op between them` : ''
  return `${minor} minor GCs (mean pause ${mean} ms, ${(promoted / ops).toFixed(0)} B promoted per op), ${full} full GCs (${fullMs.toFixed(0)} ms of pauses${growth})`
}

/** The load second by second: operations, mean latency, and how many took over 3 ms. */
function perSecond(starts: number[], lat: number[], from: number): string {
  const secs: { n: number; sum: number; slow: number }[] = []
  starts.forEach((t, i) => {
    const s = (secs[Math.floor((t - from) / 1000)] ??= { n: 0, sum: 0, slow: 0 })
    s.n++
    s.sum += lat[i]!
    if (lat[i]! > 3) s.slow++
  })
  const rows = [...secs].map((s, i) => (s ? `  s${i}: ${s.n} ops, mean ${(s.sum / s.n).toFixed(2)} ms, ${s.slow} over 3 ms` : `  s${i}: none`))
  return ['second by second (--per-second):', ...rows].join('\n')
}

/** Self time per function (and per file) from a .cpuprofile. */
function summarise(file: string, top: number): string {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }
  const byNode = new Map<number, ProfileNode>()
  for (const n of prof.nodes) byNode.set(n.id, n)
  const self = new Map<string, number>()
  const files = new Map<string, number>()
  let total = 0
  for (let i = 0; i < prof.samples.length; i++) {
    const n = byNode.get(prof.samples[i]!)!
    const dt = prof.timeDeltas[i] ?? 0
    total += dt
    const f = n.callFrame
    const where = f.url ? f.url.replace(/^.*\/(node_modules\/)?/, (m) => (m.includes('node_modules') ? 'nm:' : '')) : ''
    const key = `${f.functionName || '(anonymous)'} ${where}:${f.lineNumber + 1}`
    self.set(key, (self.get(key) ?? 0) + dt)
    const file = f.url ? (f.url.includes('node_modules') ? f.url.replace(/^.*node_modules\//, 'nm:').replace(/\/.*$/, '') : path.basename(f.url)) : f.functionName
    files.set(file, (files.get(file) ?? 0) + dt)
  }
  const wall = prof.endTime - prof.startTime
  const idle = [...self.entries()].filter(([k]) => k.startsWith('(idle)')).reduce((a, [, v]) => a + v, 0)
  const lines = [`${path.basename(file)}: ${(wall / 1e6).toFixed(1)} s profiled, busy ${(((total - idle) / wall) * 100).toFixed(0)}%`]
  lines.push('  by function (self):')
  for (const [k, v] of [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`    ${((v / total) * 100).toFixed(1).padStart(5)}%  ${k}`)
  lines.push('  by file or package (self):')
  for (const [k, v] of [...files.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15)) lines.push(`    ${((v / total) * 100).toFixed(1).padStart(5)}%  ${k}`)
  return lines.join('\n')
}

async function main(): Promise<void> {
  const root = packageRoot()
  const cli = path.join(root, 'out', 'main', 'cli.js')
  if (!existsSync(cli)) throw new Error('run npm run build first')
  const dir = values.keep ? path.resolve(values.keep) : mkdtempSync(path.join(os.tmpdir(), 'raftdeck-prof-'))
  mkdirSync(dir, { recursive: true })
  const specs = []
  for (const name of ['p1', 'p2', 'p3']) specs.push({ name, client: await freePort(), peer: await freePort() })
  const ic = specs.map((s) => `${s.name}=http://127.0.0.1:${s.peer}`).join(',')
  const nodes: Node[] = specs.map((s) => {
    const profDir = path.join(dir, `${s.name}-prof`)
    mkdirSync(profDir, { recursive: true })
    // The Node options the playground gives a member (nodeFlags.ts), then this run's own.
    const flags = [...MEMBER_NODE_FLAGS, ...(!values['no-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []), ...(values.heap ? ['--heap-prof', `--heap-prof-dir=${profDir}`] : []), ...(values['heap-snapshot'] ? [`--diagnostic-dir=${profDir}`, '--heapsnapshot-signal=SIGUSR2'] : []), ...(PROBE ? ['--import', pathToFileURL(path.join(root, 'scripts', 'profile-member', 'probe.mjs')).href] : []), ...(values.gc ? ['--trace-gc-nvp'] : []), ...String(values['node-flags']).split(' ').filter(Boolean)]
    const etcd = ENGINE === 'etcd'
    // With --gc, V8's trace lines (stdout) go to a file read after the member exits.
    const traceFd = values.gc ? openSync(path.join(profDir, 'gc-trace.txt'), 'w') : undefined
    const proc = spawn(
      etcd ? '/usr/bin/etcd' : process.execPath,
      [
        ...(etcd ? [] : [...flags, cli, 'member']),
        `--name=${s.name}`,
        `--data-dir=${path.join(dir, s.name)}`,
        `--listen-client-urls=http://127.0.0.1:${s.client}`,
        `--advertise-client-urls=http://127.0.0.1:${s.client}`,
        `--listen-peer-urls=http://127.0.0.1:${s.peer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${s.peer}`,
        `--initial-cluster=${ic}`,
        '--initial-cluster-token=prof',
        ...(values['debug-watch'] ? ['--enable-debug-service'] : []),
        ...(values['member-flag'] as string[]),
      ],
      { stdio: ['ignore', traceFd ?? 'ignore', 'pipe', ...(PROBE ? (['ipc'] as const) : [])], env: { ...process.env, ...MEMBER_ENV, ...memberEnv } },
    )
    // The member has its own copy of the descriptor.
    if (traceFd !== undefined) closeSync(traceFd)
    const exited = new Promise<void>((r) => proc.once('exit', () => r()))
    return { name: s.name, proc, url: `http://127.0.0.1:${s.client}`, profDir, exited }
  })
  const client = new EtcdClient({ endpoints: nodes.map((n) => n.url), requestTimeoutMs: 10_000 })
  const feeds = values['debug-watch'] ? specs.map((s) => new DebugFeed(s.client, { onState: () => {}, onTrace: () => {} })) : []
  for (const f of feeds) f.open()
  try {
    let leader = ''
    for (let i = 0; i < 300 && !leader; i++) {
      for (const n of nodes) {
        try {
          const st = await client.status(n.url, 1000)
          if (st.leader !== '0' && st.leader === st.header.member_id) leader = n.url
        } catch {
          // not up yet
        }
      }
      if (!leader) await new Promise((r) => setTimeout(r, 100))
    }
    if (!leader) throw new Error('no leader')
    const warmEnd = performance.now() + WARMUP_SECONDS * 1000
    let w = 0
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (performance.now() < warmEnd) await client.put({ key: Buffer.from(`/bench/${w++ % 10_000}`), value: VALUE }, { endpoint: leader })
      }),
    )
    if (values.alloc) await Promise.all(nodes.map((x) => probeRequest(x, 'alloc-start', 'allocStarted')))
    const clockFrom = values.gc ? ((await Promise.all(nodes.map((x) => probeRequest(x, 'clock', 'clock')))) as number[]) : []
    const cpuBefore = nodes.map((x) => cpuMs(x.proc.pid!))
    const ioBefore = nodes.map((x) => io(x.proc.pid!))
    const selfBefore = process.cpuUsage()
    const selfIoBefore = io(process.pid)
    const lat: number[] = []
    const starts: number[] = []
    const end = performance.now() + SECONDS * 1000
    let n = 0
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (performance.now() < end) {
          const t = performance.now()
          const i = n++
          const key = Buffer.from(`/bench/${i % 10_000}`)
          if (OP === 'put') await client.put({ key, value: VALUE }, { endpoint: leader })
          else await client.range({ key, serializable: OP === 'sget' }, { endpoint: values.spread ? nodes[i % nodes.length]!.url : leader })
          lat.push(performance.now() - t)
          starts.push(t)
        }
      }),
    )
    const self = process.cpuUsage(selfBefore)
    const clockTo = values.gc ? ((await Promise.all(nodes.map((x) => probeRequest(x, 'clock', 'clock')))) as number[]) : []
    const allocs = values.alloc ? await Promise.all(nodes.map((x) => probeRequest(x, 'alloc-stop', 'allocProfile'))) : []
    const selfIoAfter = io(process.pid)
    const selfIo = (k: keyof ReturnType<typeof io>) => ((selfIoAfter[k] - selfIoBefore[k]) / lat.length).toFixed(2)
    if (values['latency-out']) writeFileSync(values['latency-out'], lat.map((l, i) => `${(performance.timeOrigin + starts[i]!).toFixed(3)} ${l.toFixed(3)}\n`).join(''))
    if (values['per-second']) console.log(perSecond(starts, lat, starts[0]!))
    lat.sort((a, b) => a - b)
    const p = (q: number) => lat[Math.floor(q * lat.length)]!.toFixed(2)
    console.log(`${ENGINE} ${OP} c${CONCURRENCY}: ${(lat.length / SECONDS).toFixed(0)} ops/s, p50 ${p(0.5)} ms, p90 ${p(0.9)} ms, p99 ${p(0.99)} ms, p99.9 ${p(0.999)} ms; load client ${(((self.user + self.system) / lat.length)).toFixed(0)} µs CPU/op (user ${(self.user / lat.length).toFixed(0)}, system ${(self.system / lat.length).toFixed(0)}), ${selfIo('syscr')} reads and ${selfIo('syscw')} writes per op`)
    let total = 0
    nodes.forEach((node, i) => {
      const rss = readFileSync(`/proc/${node.proc.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/)
      const cpu = cpuMs(node.proc.pid!)
      const user = ((cpu.user - cpuBefore[i]!.user) * 1000) / lat.length
      const system = ((cpu.system - cpuBefore[i]!.system) * 1000) / lat.length
      const us = user + system
      total += us
      const after = io(node.proc.pid!)
      const per = (k: keyof ReturnType<typeof io>) => ((after[k] - ioBefore[i]![k]) / lat.length).toFixed(1)
      console.log(`${node.name}${node.url === leader ? ' (leader)' : ''}: RSS ${(Number(rss?.[1]) / 1024).toFixed(0)} MiB, ${us.toFixed(0)} µs CPU/op (user ${user.toFixed(0)}, system ${system.toFixed(0)}); per op ${per('syscr')} reads (${per('rchar')} B), ${per('syscw')} writes (${per('wchar')} B)`)
    })
    console.log(`members together: ${total.toFixed(0)} µs CPU/op`)
    const follower = nodes.find((x) => x.url !== leader)!
    if (values.alloc) console.log('(--alloc: sampling slows the members, so their CPU and the throughput above are not comparable with a run without it)')
    for (const [i, node] of nodes.entries()) {
      if (!values.alloc || (node.url !== leader && node !== follower)) continue
      console.log(`\n== ${node.name}${node.url === leader ? ' (leader)' : ' (follower)'}: ${values.survivors ? 'allocations that outlived a minor GC' : 'allocations'}`)
      console.log(summariseAllocations(allocs[i] as SamplingProfile, lat.length, TOP))
    }
    if (values['heap-snapshot']) {
      const l = nodes.find((x) => x.url === leader)!
      l.proc.kill('SIGUSR2')
      for (let i = 0; i < 600 && !readdirSync(l.profDir).some((f) => f.endsWith('.heapsnapshot')); i++) await new Promise((r) => setTimeout(r, 100))
      // The file appears before it is complete; wait until its size stops changing.
      let last = -1
      for (;;) {
        await new Promise((r) => setTimeout(r, 500))
        const f = readdirSync(l.profDir).find((x) => x.endsWith('.heapsnapshot'))!
        const size = statSync(path.join(l.profDir, f)).size
        if (size === last) break
        last = size
      }
      console.log(`heap snapshot of the leader in ${l.profDir}`)
    }
    client.close()
    for (const f of feeds) f.close()
    for (const node of nodes) node.proc.kill('SIGTERM')
    await Promise.all(nodes.map((x) => x.exited))
    if (values.gc) {
      // V8 writes its trace through a buffered stdout: read once the members have exited.
      console.log('\ncollections during the load (--gc):')
      nodes.forEach((node, i) => {
        const trace = readFileSync(path.join(node.profDir, 'gc-trace.txt'), 'utf8')
        console.log(`  ${node.name}${node.url === leader ? ' (leader)' : ''}: ${summariseGc(trace, clockFrom[i]!, clockTo[i]!, lat.length)}`)
      })
    }
    for (const node of nodes) {
      if (node.url !== leader && node.name !== (nodes.find((x) => x.url !== leader)!.name)) continue
      for (const f of readdirSync(node.profDir).filter((x) => x.endsWith('.cpuprofile'))) {
        console.log(`\n== ${node.name}${node.url === leader ? ' (leader)' : ' (follower)'}`)
        console.log(summarise(path.join(node.profDir, f), TOP))
      }
    }
    if (values.keep) console.log(`\nprofiles kept in ${dir}`)
  } finally {
    client.close()
    for (const f of feeds) f.close()
    for (const node of nodes) if (node.proc.exitCode === null) node.proc.kill('SIGKILL')
    if (!values.keep) rmSync(dir, { recursive: true, force: true })
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
