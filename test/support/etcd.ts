// Starts a real etcd 3.4 cluster (Debian's /usr/bin/etcd) on loopback for a test: plain or with TLS for
// clients and peers (client-certificate auth), optionally with etcd auth enabled. Every process and
// folder is removed by stop(), which tests call in afterAll/finally.

import { spawn, execFile, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { freePorts } from './ports'
import type { Pki } from './certs'

const run = promisify(execFile)

export const ETCD_BIN = process.env.RAFTDECK_ETCD_BINARY ?? '/usr/bin/etcd'
export const ETCDCTL_BIN = '/usr/bin/etcdctl'

export interface EtcdMember {
  name: string
  clientUrl: string
  peerUrl: string
  dataDir: string
  process: ChildProcess
  log: string[]
}

export interface EtcdCluster {
  members: EtcdMember[]
  endpoints: string[]
  tls: boolean
  /** Runs etcdctl against the cluster with the right flags; resolves with stdout. */
  etcdctl(args: string[], opts?: { user?: string; endpoints?: string[] }): Promise<string>
  stop(): Promise<void>
}

export interface EtcdClusterOptions {
  size?: number
  pki?: Pki
  /** Extra flags for every member, e.g. ['--quota-backend-bytes=…']. */
  flags?: string[]
  /** Server certificate override (e.g. an expired one). */
  serverCert?: { cert: string; key: string }
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, members: EtcdMember[]): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  let delay = 50
  while (Date.now() < deadline) {
    try {
      const v = await probe()
      if (v !== undefined) return v
    } catch (err) {
      last = err
    }
    const dead = members.find((m) => m.process.exitCode !== null)
    if (dead) throw new Error(`etcd member ${dead.name} exited (${dead.process.exitCode}) while waiting for ${what}:\n${dead.log.slice(-20).join('')}`)
    await new Promise((r) => setTimeout(r, delay))
    delay = Math.min(500, delay * 2)
  }
  throw new Error(`timed out waiting for ${what}: ${String(last)}`)
}

export async function startEtcdCluster(opts: EtcdClusterOptions = {}): Promise<EtcdCluster> {
  const size = opts.size ?? 3
  const tls = Boolean(opts.pki)
  const scheme = tls ? 'https' : 'http'
  const root = mkdtempSync(path.join(os.tmpdir(), 'raftdeck-etcd-'))
  const ports = await freePorts(size * 2)
  const names = Array.from({ length: size }, (_, i) => `m${i + 1}`)
  const peerUrls = names.map((_, i) => `${scheme}://127.0.0.1:${ports[size + i]}`)
  const initialCluster = names.map((n, i) => `${n}=${peerUrls[i]}`).join(',')
  const token = `raftdeck-test-${path.basename(root)}`
  const cert = opts.serverCert?.cert ?? opts.pki?.serverCert
  const key = opts.serverCert?.key ?? opts.pki?.serverKey

  const members: EtcdMember[] = names.map((name, i) => {
    const clientUrl = `${scheme}://127.0.0.1:${ports[i]}`
    const dataDir = path.join(root, name)
    const args = [
      `--name=${name}`,
      `--data-dir=${dataDir}`,
      `--listen-client-urls=${clientUrl}`,
      `--advertise-client-urls=${clientUrl}`,
      `--listen-peer-urls=${peerUrls[i]}`,
      `--initial-advertise-peer-urls=${peerUrls[i]}`,
      `--initial-cluster=${initialCluster}`,
      `--initial-cluster-token=${token}`,
      '--initial-cluster-state=new',
      '--log-level=warn',
      '--logger=zap',
      ...(tls
        ? [
            `--cert-file=${cert}`,
            `--key-file=${key}`,
            `--trusted-ca-file=${opts.pki!.ca}`,
            '--client-cert-auth',
            `--peer-cert-file=${opts.pki!.serverCert}`,
            `--peer-key-file=${opts.pki!.serverKey}`,
            `--peer-trusted-ca-file=${opts.pki!.ca}`,
            '--peer-client-cert-auth',
          ]
        : []),
      ...(opts.flags ?? []),
    ]
    const proc = spawn(ETCD_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    const log: string[] = []
    proc.stdout!.on('data', (d: Buffer) => log.push(d.toString()))
    proc.stderr!.on('data', (d: Buffer) => log.push(d.toString()))
    return { name, clientUrl, peerUrl: peerUrls[i]!, dataDir, process: proc, log }
  })

  const endpoints = members.map((m) => m.clientUrl)
  const tlsArgs = tls ? [`--cacert=${opts.pki!.ca}`, `--cert=${opts.pki!.clientCert}`, `--key=${opts.pki!.clientKey}`] : []
  // A deliberately broken server certificate must not stop the harness from seeing the cluster come up.
  if (opts.serverCert) tlsArgs.push('--insecure-skip-tls-verify')
  const cluster: EtcdCluster = {
    members,
    endpoints,
    tls,
    async etcdctl(args, o = {}) {
      const { stdout } = await run(ETCDCTL_BIN, [`--endpoints=${(o.endpoints ?? endpoints).join(',')}`, ...tlsArgs, ...(o.user ? [`--user=${o.user}`] : []), ...args], {
        env: { ...process.env, ETCDCTL_API: '3' },
        timeout: 30_000,
      })
      return stdout
    },
    async stop() {
      await Promise.all(
        members.map(
          (m) =>
            new Promise<void>((resolve) => {
              if (m.process.exitCode !== null || m.process.signalCode !== null) return resolve()
              m.process.once('exit', () => resolve())
              m.process.kill('SIGKILL')
            }),
        ),
      )
      rmSync(root, { recursive: true, force: true })
    },
  }

  try {
    // Healthy = every member answers and one of them is the leader.
    await waitFor(
      'a healthy cluster',
      async () => {
        const out = await cluster.etcdctl(['endpoint', 'status', '-w', 'json'])
        const statuses = JSON.parse(out) as { Status: { leader: number | string } }[]
        return statuses.length === size && statuses.every((s) => String(s.Status.leader) !== '0') ? true : undefined
      },
      60_000,
      members,
    )
  } catch (err) {
    await cluster.stop()
    throw err
  }
  return cluster
}

/** Enables etcd auth: root (password rootpw), and `alice` (alicepw) who may only read /app/. */
export async function enableAuth(cluster: EtcdCluster): Promise<void> {
  await cluster.etcdctl(['user', 'add', 'root:rootpw'])
  await cluster.etcdctl(['role', 'add', 'app-reader'])
  await cluster.etcdctl(['role', 'grant-permission', 'app-reader', '--prefix=true', 'read', '/app/'])
  await cluster.etcdctl(['user', 'add', 'alice:alicepw'])
  await cluster.etcdctl(['user', 'grant-role', 'alice', 'app-reader'])
  await cluster.etcdctl(['user', 'add', 'nobody:nobodypw'])
  await cluster.etcdctl(['auth', 'enable'])
}
