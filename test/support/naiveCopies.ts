// The failure the guided restore exists to prevent, made on purpose: one `etcdctl snapshot restore`
// with etcd's default flags, its data dir copied to N members, each started with its own flags. etcd
// takes its identity from the copied WAL and ignores --initial-cluster, so every member is the same
// one-member cluster (member 8e9e05c52164694d) and elects itself leader.

import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { cpSync } from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { ETCD_BIN, ETCDCTL_BIN } from './etcd'
import { freePorts } from './ports'

const run = promisify(execFile)

export interface NaiveCopies {
  endpoints: string[]
  stop(): Promise<void>
}

export async function startNaiveCopies(root: string, snapshot: string, n: number): Promise<NaiveCopies> {
  const once = path.join(root, 'restored-once')
  await run(ETCDCTL_BIN, ['snapshot', 'restore', snapshot, `--data-dir=${once}`], { env: { ...process.env, ETCDCTL_API: '3' } })
  const ports = await freePorts(2 * n)
  const names = Array.from({ length: n }, (_, i) => `copy${i + 1}`)
  const peer = (i: number) => `http://127.0.0.1:${ports[n + i]}`
  const client = (i: number) => `http://127.0.0.1:${ports[i]}`
  const initial = names.map((m, i) => `${m}=${peer(i)}`).join(',')
  const procs: ChildProcess[] = names.map((name, i) => {
    const dir = path.join(root, name)
    cpSync(once, dir, { recursive: true })
    return spawn(ETCD_BIN, [`--name=${name}`, `--data-dir=${dir}`, `--listen-client-urls=${client(i)}`, `--advertise-client-urls=${client(i)}`, `--listen-peer-urls=${peer(i)}`, `--initial-advertise-peer-urls=${peer(i)}`, `--initial-cluster=${initial}`, '--log-level=error', '--logger=zap'], { stdio: 'ignore' })
  })
  const endpoints = names.map((_, i) => client(i))
  const stop = async () => {
    await Promise.all(procs.map((p) => new Promise<void>((resolve) => (p.exitCode !== null || p.signalCode !== null ? resolve() : (p.once('exit', () => resolve()), p.kill('SIGKILL'))))))
  }
  const deadline = Date.now() + 30_000
  for (;;) {
    try {
      const out = await run(ETCDCTL_BIN, [`--endpoints=${endpoints.join(',')}`, 'endpoint', 'status', '-w', 'json'], { env: { ...process.env, ETCDCTL_API: '3' } })
      const st = JSON.parse(out.stdout) as { Status: { leader: number } }[]
      if (st.length === n && st.every((s) => s.Status.leader !== 0)) return { endpoints, stop }
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      await stop()
      throw new Error('the naive copies did not come up')
    }
    await new Promise((r) => setTimeout(r, 200))
  }
}
