// Trial restore: proof that a backup restores. The file is restored into a throwaway data dir with the
// restore tool of the engine (etcd's own `etcdutl`/`etcdctl snapshot restore` and a real etcd when the
// binaries are installed; `raftdeck snapshot restore` and a Raftdeck member otherwise), the member is
// started on loopback, and its revision, live key count and HashKV at the snapshot's revision are
// compared with what the source member reported. Then it is stopped and its folder removed.

import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { accessSync, constants } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import path from 'node:path'
import { promisify } from 'node:util'
import type { TrialRestoreResult } from '../../shared/api/backupSchedules'
import { EtcdClient } from '../etcd/client'
import type { Logger } from '../log'
import type { RaftdeckCommand } from '../playground/launcher'
import { pickFreePorts } from '../playground/ports'

const run = promisify(execFile)

export interface TrialEngine {
  engine: 'etcd' | 'raftdeck'
  /** Restore command prefix (tool + 'snapshot restore' or raftdeck + 'snapshot restore'). */
  restore: { cmd: string; args: string[]; env: NodeJS.ProcessEnv }
  member: { cmd: string; args: string[]; env: NodeJS.ProcessEnv }
}

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** Real etcd when its server and a restore tool are installed beside each other; our member otherwise. */
export function chooseTrialEngine(etcdBinary: string | null, member: RaftdeckCommand | (() => RaftdeckCommand)): TrialEngine {
  if (etcdBinary) {
    const dir = path.dirname(etcdBinary)
    // etcd 3.5+ restores with etcdutl; 3.4 only has etcdctl's (deprecated later, removed in 3.6).
    const tool = [path.join(dir, 'etcdutl'), path.join(dir, 'etcdctl')].find(executable)
    if (tool)
      return {
        engine: 'etcd',
        restore: { cmd: tool, args: ['snapshot', 'restore'], env: { ...process.env, ETCDCTL_API: '3' } },
        member: { cmd: etcdBinary, args: ['--log-level=warn', '--logger=zap'], env: { ...process.env, ETCD_UNSUPPORTED_ARCH: process.env.ETCD_UNSUPPORTED_ARCH ?? '' } },
      }
  }
  // Finding our own command can mean walking the source tree (launcher.ts): only when it is the engine.
  const raftdeck = typeof member === 'function' ? member() : member
  return {
    engine: 'raftdeck',
    restore: { cmd: raftdeck.cmd, args: [...raftdeck.prefix, 'snapshot', 'restore'], env: { ...process.env, ...raftdeck.env } },
    member: { cmd: raftdeck.cmd, args: [...raftdeck.prefix, 'member'], env: { ...process.env, ...raftdeck.env } },
  }
}

export interface TrialExpectations {
  revision: number
  /** From the source member at the snapshot's revision; null when it could not be asked. */
  liveKeys: number | null
  hashKV: number | null
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(timer)
}

export async function trialRestore(
  file: string,
  expected: TrialExpectations,
  opts: { engine: TrialEngine; tmpRoot: string; auth?: { username: string; password: string }; log: Logger; bytes: number },
): Promise<TrialRestoreResult> {
  const t0 = Date.now()
  const { engine } = opts
  const dir = await mkdtemp(path.join(opts.tmpRoot, 'raftdeck-trial-'))
  let child: ChildProcess | null = null
  const output: string[] = []
  let client: EtcdClient | null = null
  const result = (restorable: boolean, checks: TrialRestoreResult['checks'], reason: string | null): TrialRestoreResult => ({ engine: engine.engine, restorable, checks, ms: Date.now() - t0, reason })
  try {
    const [clientPort, peerPort] = await pickFreePorts(2)
    const peer = `http://127.0.0.1:${peerPort}`
    const clientUrl = `http://127.0.0.1:${clientPort}`
    const dataDir = path.join(dir, 'data')
    const cluster = [`--name=trial`, `--initial-cluster=trial=${peer}`, `--initial-advertise-peer-urls=${peer}`, `--initial-cluster-token=raftdeck-trial-${randomBytes(4).toString('hex')}`]
    // A big db takes a while to copy and open: scale the time allowed with its size.
    const timeoutMs = 60_000 + Math.ceil(opts.bytes / (10 * 1024 * 1024)) * 2000
    try {
      await run(engine.restore.cmd, [...engine.restore.args, file, ...cluster, `--data-dir=${dataDir}`], { env: engine.restore.env, timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 })
    } catch (err) {
      const e = err as { stderr?: string; message: string }
      const detail = (e.stderr ?? e.message).trim().split('\n').filter(Boolean).slice(-2).join(' ')
      return result(false, [], `${path.basename(engine.restore.cmd)} snapshot restore refused the file: ${detail}`)
    }
    child = spawn(engine.member.cmd, [...engine.member.args, ...cluster, `--data-dir=${dataDir}`, '--initial-cluster-state=new', `--listen-client-urls=${clientUrl}`, `--advertise-client-urls=${clientUrl}`, `--listen-peer-urls=${peer}`], {
      env: engine.member.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const keep = (d: Buffer) => {
      output.push(d.toString())
      if (output.length > 50) output.shift()
    }
    child.stdout!.on('data', keep)
    child.stderr!.on('data', keep)
    client = new EtcdClient({ endpoints: [clientUrl], dialTimeoutMs: 1000, requestTimeoutMs: 30_000, ...(opts.auth ? { auth: opts.auth } : {}) })
    const deadline = Date.now() + timeoutMs
    let status = null
    let lastErr: unknown = null
    let delay = 50
    while (!status) {
      if (child.exitCode !== null) return result(false, [], `The restored member exited during start-up (code ${child.exitCode}): ${output.join('').trim().split('\n').slice(-3).join(' | ')}`)
      try {
        const st = await client.status(clientUrl, 2000)
        if (st.leader !== '0') status = st
      } catch (err) {
        lastErr = err
      }
      if (!status) {
        if (Date.now() > deadline) return result(false, [], `The restored member did not become ready within ${Math.round(timeoutMs / 1000)} s (${(lastErr as Error | null)?.message ?? 'no leader'}).`)
        await new Promise((r) => setTimeout(r, delay))
        delay = Math.min(500, delay * 2)
      }
    }
    const checks: TrialRestoreResult['checks'] = []
    const observedRev = Number(status.header.revision)
    checks.push({ name: 'revision', expected: String(expected.revision), observed: String(observedRev), ok: observedRev === expected.revision })
    const everything = { key: Buffer.from([0]), range_end: Buffer.from([0]) }
    try {
      const r = await client.range({ ...everything, count_only: true, serializable: true, revision: String(expected.revision) })
      const n = Number(r.count)
      checks.push(expected.liveKeys === null ? { name: 'keys', expected: null, observed: String(n), ok: true, note: 'the source could not be asked; not compared' } : { name: 'keys', expected: String(expected.liveKeys), observed: String(n), ok: n === expected.liveKeys })
    } catch (err) {
      checks.push({ name: 'keys', expected: expected.liveKeys === null ? null : String(expected.liveKeys), observed: null, ok: false, note: (err as Error).message })
    }
    try {
      const h = await client.hashKV(clientUrl, String(expected.revision))
      checks.push(expected.hashKV === null ? { name: 'hashKV', expected: null, observed: String(h.hash), ok: true, note: 'the source could not be asked; not compared' } : { name: 'hashKV', expected: String(expected.hashKV), observed: String(h.hash), ok: h.hash === expected.hashKV })
    } catch (err) {
      checks.push({ name: 'hashKV', expected: expected.hashKV === null ? null : String(expected.hashKV), observed: null, ok: false, note: (err as Error).message })
    }
    const bad = checks.filter((c) => !c.ok)
    return result(bad.length === 0, checks, bad.length ? `The restored member differs from the source: ${bad.map((c) => `${c.name} ${c.observed ?? '?'} instead of ${c.expected ?? '?'}${c.note ? ` (${c.note})` : ''}`).join('; ')}.` : null)
  } finally {
    client?.close()
    if (child) await stop(child)
    await rm(dir, { recursive: true, force: true }).catch((err: Error) => opts.log.warn(`could not remove the trial restore folder ${dir}: ${err.message}`))
  }
}
