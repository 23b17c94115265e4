// Starts real etcd 3.4 on loopback for the bbolt interop tests and drives it with the
// real etcdctl. Every process and temp dir is tracked so afterAll can clean up even
// when a test fails half-way.

import { spawn, execFile } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { freePort } from '../../support/ports'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const ETCD = '/usr/bin/etcd'
export const ETCDCTL = '/usr/bin/etcdctl'

export interface CtlResult {
  code: number
  stdout: string
  stderr: string
}

export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CtlResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env: { ...process.env, ETCDCTL_API: '3', ...env }, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0
      resolve({ code, stdout: String(stdout), stderr: String(stderr) })
    })
  })
}

export { freePort }

const tempDirs: string[] = []
export function tempDir(prefix = 'raftdeck-bbolt-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix))
  tempDirs.push(d)
  return d
}
export function removeTempDirs(): void {
  for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true })
}

export interface EtcdOptions {
  dataDir?: string
  name?: string
  quotaBackendBytes?: number
  /** Start on a dir restored by `etcdctl snapshot restore` with these URLs. */
  peerPort?: number
  initialClusterToken?: string
}

export class EtcdProcess {
  private proc: ChildProcess | null = null
  private exited: Promise<void> = Promise.resolve()
  private log = ''
  endpoint = ''

  constructor(
    readonly dataDir: string,
    private readonly opts: EtcdOptions,
  ) {}

  static async start(opts: EtcdOptions = {}): Promise<EtcdProcess> {
    const e = new EtcdProcess(opts.dataDir ?? join(tempDir(), 'data'), opts)
    running.add(e)
    await e.launch()
    return e
  }

  private async launch(): Promise<void> {
    const name = this.opts.name ?? 'default'
    const clientPort = await freePort()
    const peerPort = this.opts.peerPort ?? (await freePort())
    this.endpoint = `http://127.0.0.1:${clientPort}`
    const peer = `http://127.0.0.1:${peerPort}`
    const args = [
      '--name', name,
      '--data-dir', this.dataDir,
      '--listen-client-urls', this.endpoint,
      '--advertise-client-urls', this.endpoint,
      '--listen-peer-urls', peer,
      '--initial-advertise-peer-urls', peer,
      '--initial-cluster', `${name}=${peer}`,
      '--initial-cluster-token', this.opts.initialClusterToken ?? 'etcd-cluster',
      '--log-level', 'warn',
    ]
    if (this.opts.quotaBackendBytes) args.push('--quota-backend-bytes', String(this.opts.quotaBackendBytes))
    const proc = spawn(ETCD, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    this.proc = proc
    proc.stdout!.on('data', (d: Buffer) => (this.log += d.toString()))
    proc.stderr!.on('data', (d: Buffer) => (this.log = (this.log + d.toString()).slice(-20000)))
    this.exited = new Promise((resolve) => proc.once('exit', () => resolve()))
    await this.waitHealthy()
  }

  private async waitHealthy(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    let exited = false
    void this.exited.then(() => (exited = true))
    for (;;) {
      const r = await run(ETCDCTL, ['--endpoints', this.endpoint, '--command-timeout=1s', 'endpoint', 'health'])
      if (r.code === 0) return
      if (exited) throw new Error(`etcd exited before becoming healthy:\n${this.log}`)
      if (Date.now() > deadline) throw new Error(`etcd not healthy after ${timeoutMs} ms:\n${this.log}`)
    }
  }

  ctl(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CtlResult> {
    return run(ETCDCTL, ['--endpoints', this.endpoint, ...args], env)
  }

  async ctlOk(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
    const r = await this.ctl(args, env)
    if (r.code !== 0) throw new Error(`etcdctl ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`)
    return r.stdout
  }

  async stop(): Promise<void> {
    running.delete(this)
    const proc = this.proc
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return
    proc.kill('SIGTERM')
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000)
    await this.exited
    clearTimeout(timer)
  }

  get output(): string {
    return this.log
  }
}

const running = new Set<EtcdProcess>()
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((e) => e.stop()))
}

export interface EtcdctlStatus {
  hash: number
  revision: number
  totalKey: number
  totalSize: number
}

export async function etcdctlStatus(file: string): Promise<EtcdctlStatus> {
  const r = await run(ETCDCTL, ['snapshot', 'status', file, '-w', 'json'])
  if (r.code !== 0) throw new Error(`etcdctl snapshot status failed: ${r.stderr}`)
  return JSON.parse(r.stdout) as EtcdctlStatus
}
