/**
 * Test support for member integration tests: free loopback ports, raftdeck members and real
 * etcd 3.4 processes in temp dirs, etcdctl runs, and cleanup that always happens.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import { freePort } from '../../../support/ports'
import os from 'node:os'
import path from 'node:path'
import { spawnRaftdeck } from '../../../support/raftdeck'
import type { Pki } from '../../../support/certs'

export const ETCD = '/usr/bin/etcd'
export const ETCDCTL = '/usr/bin/etcdctl'

export { freePort }

export interface Proc {
  name: string
  kind: 'raftdeck' | 'etcd'
  proc: ChildProcess
  clientUrl: string
  peerUrl: string
  endpoint: string
  dataDir: string
  args: string[]
  log: string[]
  exited: Promise<number | null>
}

const live = new Set<Proc>()
const dirs = new Set<string>()

export function tempDir(prefix = 'rd-member-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  dirs.add(d)
  return d
}

function spawnMemberProcess(args: string[]): ChildProcess {
  return spawnRaftdeck(['member', ...args])
}

export interface MemberSpec {
  name: string
  clientPort: number
  peerPort: number
  dataDir: string
}

export function memberArgs(spec: MemberSpec, initialCluster: string, extra: string[] = []): string[] {
  return [
    '--name', spec.name,
    '--data-dir', spec.dataDir,
    '--listen-client-urls', `http://127.0.0.1:${spec.clientPort}`,
    '--advertise-client-urls', `http://127.0.0.1:${spec.clientPort}`,
    '--listen-peer-urls', `http://127.0.0.1:${spec.peerPort}`,
    '--initial-advertise-peer-urls', `http://127.0.0.1:${spec.peerPort}`,
    '--initial-cluster', initialCluster,
    '--initial-cluster-token', 'itest-token',
    ...extra,
  ]
}

export function launch(kind: 'raftdeck' | 'etcd', spec: MemberSpec, args: string[]): Proc {
  const proc = kind === 'etcd' ? spawn(ETCD, args, { stdio: ['ignore', 'pipe', 'pipe'] }) : spawnMemberProcess(args)
  const log: string[] = []
  proc.stdout?.on('data', (d: Buffer) => log.push(d.toString()))
  proc.stderr?.on('data', (d: Buffer) => log.push(d.toString()))
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)))
  const p: Proc = {
    name: spec.name,
    kind,
    proc,
    clientUrl: `http://127.0.0.1:${spec.clientPort}`,
    peerUrl: `http://127.0.0.1:${spec.peerPort}`,
    endpoint: `127.0.0.1:${spec.clientPort}`,
    dataDir: spec.dataDir,
    args,
    log,
    exited,
  }
  live.add(p)
  void exited.then(() => live.delete(p))
  return p
}

export interface CtlResult {
  code: number
  stdout: string
  stderr: string
}

export function etcdctl(endpoints: string | string[], args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<CtlResult> {
  const eps = Array.isArray(endpoints) ? endpoints.join(',') : endpoints
  return new Promise((resolve) => {
    const child = execFile(
      ETCDCTL,
      [`--endpoints=${eps}`, ...args],
      { env: { ...process.env, ETCDCTL_API: '3' }, timeout: opts.timeoutMs ?? 20_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0
        resolve({ code, stdout, stderr })
      },
    )
    if (opts.input !== undefined) child.stdin?.end(opts.input)
  })
}

/** Thrown inside a waitFor condition to stop waiting at once (e.g. the process died). */
export class GiveUp extends Error {}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const v = await fn()
      if (v !== undefined && v !== false) return v
    } catch (err) {
      if (err instanceof GiveUp) throw err
      last = err
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`)
    await new Promise((r) => setTimeout(r, everyMs))
  }
}

/** Wait until the endpoint answers a linearizable read (it has a leader and applied its log). */
export function waitHealthy(p: Proc | string, timeoutMs = 30_000): Promise<true> {
  const ep = typeof p === 'string' ? p : p.endpoint
  return waitFor(
    `${ep} to be healthy`,
    async () => {
      if (typeof p !== 'string' && p.proc.exitCode !== null) throw new GiveUp(`${p.name} exited: ${p.log.join('').slice(-2000)}`)
      const r = await etcdctl(ep, ['get', 'health-probe', '--command-timeout=2s'], { timeoutMs: 5000 })
      return r.code === 0 ? true : undefined
    },
    timeoutMs,
    200,
  )
}

export async function stopProc(p: Proc, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (p.proc.exitCode !== null || p.proc.signalCode !== null) return p.proc.exitCode
  p.proc.kill(signal)
  const t = setTimeout(() => p.proc.kill('SIGKILL'), 10_000)
  const code = await p.exited
  clearTimeout(t)
  return code
}

/** Ports for n members, so a real etcd and raftdeck can run one after the other on the same URLs (same IDs). */
export async function portsFor(n: number): Promise<Array<{ clientPort: number; peerPort: number }>> {
  const out = []
  for (let i = 0; i < n; i++) out.push({ clientPort: await freePort(), peerPort: await freePort() })
  return out
}

export async function stopCluster(c: Cluster): Promise<void> {
  await Promise.all(c.members.map((m) => stopProc(m, 'SIGKILL')))
}

/** Kill every process these tests started and delete every temp dir; safe to call twice. */
export async function cleanupAll(): Promise<void> {
  await Promise.all([...live].map((p) => stopProc(p, 'SIGKILL')))
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true })
  dirs.clear()
}

export interface Cluster {
  kind: 'raftdeck' | 'etcd'
  members: Proc[]
  specs: MemberSpec[]
  initialCluster: string
  endpoints: string[]
}

/** Start an n-member cluster of raftdeck members or of real etcd, and wait until all serve reads. */
export async function startCluster(kind: 'raftdeck' | 'etcd', n: number, extra: string[] = [], ports?: Array<{ clientPort: number; peerPort: number }>): Promise<Cluster> {
  const root = tempDir(kind === 'etcd' ? 'rd-etcd-' : 'rd-member-')
  const specs: MemberSpec[] = []
  for (let i = 1; i <= n; i++) {
    const p = ports?.[i - 1] ?? { clientPort: await freePort(), peerPort: await freePort() }
    specs.push({ name: `m${i}`, ...p, dataDir: path.join(root, `m${i}`) })
  }
  const initialCluster = specs.map((s) => `${s.name}=http://127.0.0.1:${s.peerPort}`).join(',')
  const members = specs.map((s) => launch(kind, s, memberArgs(s, initialCluster, extra)))
  await Promise.all(members.map((m) => waitHealthy(m, 60_000)))
  return { kind, members, specs, initialCluster, endpoints: members.map((m) => m.endpoint) }
}

export interface TlsMember {
  proc: Proc
  /** https client URL. */
  url: string
  /** etcdctl flags that present the CA and the client certificate. */
  tlsArgs: string[]
}

/**
 * One raftdeck member serving clients over TLS with --client-cert-auth (peers stay plain), started
 * and waited for until etcdctl can write through it.
 */
export async function launchTlsMember(pki: Pick<Pki, 'ca' | 'serverCert' | 'serverKey' | 'clientCert' | 'clientKey'>): Promise<TlsMember> {
  const clientPort = await freePort()
  const peerPort = await freePort()
  const spec = { name: 'm1', clientPort, peerPort, dataDir: path.join(tempDir(), 'm1') }
  const url = `https://127.0.0.1:${clientPort}`
  const proc = launch('raftdeck', spec, [
    '--name', 'm1',
    '--data-dir', spec.dataDir,
    '--listen-client-urls', url,
    '--advertise-client-urls', url,
    '--listen-peer-urls', `http://127.0.0.1:${peerPort}`,
    '--initial-advertise-peer-urls', `http://127.0.0.1:${peerPort}`,
    '--initial-cluster', `m1=http://127.0.0.1:${peerPort}`,
    '--cert-file', pki.serverCert,
    '--key-file', pki.serverKey,
    '--trusted-ca-file', pki.ca,
    '--client-cert-auth',
  ])
  const tlsArgs = [`--cacert=${pki.ca}`, `--cert=${pki.clientCert}`, `--key=${pki.clientKey}`]
  await waitFor('TLS member to serve', async () => (await etcdctl(url, [...tlsArgs, 'put', 'ready', 'yes', '--command-timeout=2s'])).code === 0, 30_000, 200)
  return { proc, url, tlsArgs }
}
