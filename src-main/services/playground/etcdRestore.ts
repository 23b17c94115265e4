// Real etcd's own restore for playgrounds on the etcd engine: `etcdctl snapshot restore` run once per
// member with that member's identity flags, exactly as an operator runs it on each host. When the
// local etcdctl has no --bump-revision (it came with 3.4.27), the bump is written into a copy of the
// snapshot first (bbolt/bump.ts) and etcdctl restores that copy.

import { execFile } from 'node:child_process'
import { rm } from 'node:fs/promises'
import path from 'node:path'
import { writeBumpedSnapshot } from '../../bbolt'
import { AppError, ErrorCode, msg } from '../../shared'

export interface CommandRun {
  argv: string[]
  ok: boolean
  ms: number
  output: string
}

/** Runs a command to completion (no shell), with its combined output; never throws for a non-zero exit. */
export function runCommand(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 10 * 60_000): Promise<CommandRun> {
  const t0 = performance.now()
  return new Promise((resolve) => {
    execFile(cmd, args, { env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      const output = `${stdout}${stderr}`.trim()
      resolve({ argv: [cmd, ...args], ok: !err, ms: Math.round(performance.now() - t0), output: err && !output ? err.message : output })
    })
  })
}

const bumpSupport = new Map<string, Promise<boolean>>()

/** Whether this etcdctl's `snapshot restore` takes --bump-revision (asked once per binary). */
export function etcdctlSupportsBump(etcdctl: string): Promise<boolean> {
  let p = bumpSupport.get(etcdctl)
  if (!p) {
    p = runCommand(etcdctl, ['snapshot', 'restore', '--help'], { ETCDCTL_API: '3' }).then((r) => r.output.includes('--bump-revision'))
    bumpSupport.set(etcdctl, p)
  }
  return p
}

export interface EtcdRestoreMember {
  name: string
  peerUrl: string
  dataDir: string
}

/**
 * Restores every member's data dir with etcdctl, each with its own --name and peer URL, the full
 * --initial-cluster and one token. Throws with etcdctl's own message if a restore fails; the dirs
 * already written are removed.
 */
export async function restoreWithEtcdctl(
  etcdctl: string,
  snapshot: string,
  members: EtcdRestoreMember[],
  token: string,
  opts: { bumpRevision?: number; markCompacted?: boolean; workDir: string },
): Promise<CommandRun[]> {
  const runs: CommandRun[] = []
  let file = snapshot
  let flags: string[] = []
  if (opts.bumpRevision) {
    if (await etcdctlSupportsBump(etcdctl)) flags = [`--bump-revision=${opts.bumpRevision}`, ...(opts.markCompacted ? ['--mark-compacted'] : [])]
    else {
      file = path.join(opts.workDir, 'snapshot-bumped.db')
      writeBumpedSnapshot(snapshot, file, BigInt(opts.bumpRevision))
    }
  }
  const initialCluster = members.map((m) => `${m.name}=${m.peerUrl}`).join(',')
  try {
    for (const m of members) {
      const run = await runCommand(etcdctl, ['snapshot', 'restore', file, `--name=${m.name}`, `--initial-cluster=${initialCluster}`, `--initial-cluster-token=${token}`, `--initial-advertise-peer-urls=${m.peerUrl}`, `--data-dir=${m.dataDir}`, ...flags], { ETCDCTL_API: '3' })
      runs.push(run)
      if (!run.ok) throw new AppError(ErrorCode.Internal, msg('pg.etcdctlRestoreFailed', { member: m.name, output: run.output.split('\n').slice(-3).join(' ') }))
    }
  } catch (err) {
    await Promise.all(members.map((m) => rm(m.dataDir, { recursive: true, force: true })))
    throw err
  } finally {
    if (file !== snapshot) await rm(file, { force: true })
  }
  return runs
}
