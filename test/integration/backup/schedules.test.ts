// Scheduled backups against real clusters: a 3-member etcd 3.4 with TLS client certificates and auth,
// a playground, and a single etcd member with ~60 MB of data for the faults that need a long stream.
// Every fault keeps the earlier backups and records its reason.
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeSync, closeSync, chmodSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServices, type Services } from '../../../src-main/services'
import { EtcdClient } from '../../../src-main/services/etcd/client'
import { chooseTrialEngine, trialRestore } from '../../../src-main/services/backup/trialRestore'
import { packageMemberCommand } from '../../../src-main/services/playground/launcher'
import type { BackupRun } from '../../../src-main/shared/api/backupSchedules'
import { makePki } from '../../support/certs'
import { enableAuth, startEtcdCluster, type EtcdCluster } from '../../support/etcd'
import { raftdeckArgv, repoRoot } from '../../support/raftdeck'

let tmp: string
let data: string
let services: Services
let tls: EtcdCluster
const h = () => services.handlers
const silent = { debug() {}, info() {}, warn() {}, error() {} }

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'raftdeck-schedules-'))
  data = path.join(tmp, 'data')
  const pki = makePki(path.join(tmp, 'pki'))
  tls = await startEtcdCluster({ size: 3, pki })
  for (let i = 0; i < 50; i++) await tls.etcdctl(['put', `/app/k${i}`, `v${i}`])
  await tls.etcdctl(['del', '/app/k0'])
  await enableAuth(tls)
  services = createServices({ dataDir: data, shell: 'browser', version: 'test' })
  await h()['connections/save']({ input: { name: 'prod', endpoints: tls.endpoints, tls: { caFile: pki.ca, certFile: pki.clientCert, keyFile: pki.clientKey }, username: 'root', password: 'rootpw' } })
  await h()['connections/save']({ input: { name: 'prod-wrong-password', endpoints: tls.endpoints, tls: { caFile: pki.ca, certFile: pki.clientCert, keyFile: pki.clientKey }, username: 'root', password: 'nope' } })
}, 120_000)

afterAll(async () => {
  await services?.dispose()
  await tls?.stop()
  rmSync(tmp, { recursive: true, force: true })
})

async function connectionId(name: string) {
  return (await h()['connections/list']({})).find((c) => c.name === name)!.id
}

async function manifestLines(dir: string) {
  return readFileSync(path.join(dir, 'manifest.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
}

const dbFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.db') && !f.endsWith('-latest.db')).sort()

describe('a real etcd 3.4 cluster with TLS client certificates and auth', () => {
  let dest: string
  let scheduleId: string
  let first: BackupRun

  it('refuses an invalid cron expression and writes no schedule', async () => {
    const target = { kind: 'connection' as const, id: await connectionId('prod') }
    await expect(h()['backupSchedules/save']({ input: { name: 'bad', target, cron: '0 25 * * *' } })).rejects.toThrow(/not a valid cron expression/)
    expect(await h()['backupSchedules/list']({})).toEqual([])
  })

  it('runs a schedule: healthy member, verified file, manifest record, latest copy, trial restore in real etcd', async () => {
    dest = path.join(tmp, 'nfs')
    mkdirSync(dest)
    const view = await h()['backupSchedules/save']({
      input: { name: 'prod nightly', target: { kind: 'connection', id: await connectionId('prod') }, cron: '0 2 * * *', timezone: 'UTC', destination: dest, retention: { keepLast: 2 } },
    })
    scheduleId = view.id
    expect(view.description).toBe('At 02:00')
    expect(view.nextRuns).toHaveLength(3)
    first = await h()['backupSchedules/runNow']({ id: scheduleId })
    expect(first.reason).toBeNull()
    expect(first.outcome).toBe('ok')
    expect(first.file).toMatch(/^prod-\d{8}T\d{6}Z-rev\d+\.db$/)
    expect(first.pickReason).toMatch(/^m\d answers, sees a leader and has no alarm; its applied index \d+ is the highest of 3 healthy members/)
    expect(first.etcdVersion).toBe('3.4.23')
    const raw = await tls.etcdctl(['endpoint', 'status', '-w', 'json'], { user: 'root:rootpw' })
    const status = JSON.parse(raw) as { Status: { header: { revision: number } } }[]
    expect(first.revision).toBe(status[0]!.Status.header.revision)
    // 64-bit IDs: read the digits, JSON numbers would round them.
    expect(first.clusterId).toBe(/"cluster_id":(\d+)/.exec(raw)![1])
    // The trial restore ran real etcd and compared revision, live keys and HashKV with the source.
    expect(first.restorable).toBe(true)
    expect(first.trial?.engine).toBe('etcd')
    expect(first.trial?.checks.map((c) => [c.name, c.ok])).toEqual([['revision', true], ['keys', true], ['hashKV', true]])
    expect(first.liveKeys).toBe(49)
    // etcd's own tools accept the file, and its SHA-256 is the one recorded.
    const file = path.join(dest, first.file!)
    const st = JSON.parse(execFileSync('/usr/bin/etcdctl', ['snapshot', 'status', file, '-w', 'json'], { env: { ...process.env, ETCDCTL_API: '3' }, encoding: 'utf8' })) as { revision: number; totalKey: number }
    expect(st.revision).toBe(first.revision)
    expect(st.totalKey).toBe(first.totalKey)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(readFileSync(path.join(dest, 'prod-latest.db')).equals(readFileSync(file))).toBe(true)
    // Every transition is on disk, in order, before the next one.
    const states = (await manifestLines(dest)).filter((l) => l.run === first.run).map((l) => l.state)
    expect(states).toEqual(['started', 'picked', 'streamed', 'verified', 'committed', 'latest', 'trial', 'pruned', 'done'])
    const done = (await manifestLines(dest)).find((l) => l.run === first.run && l.state === 'done')!
    for (const k of ['clusterId', 'memberId', 'endpoint', 'etcdVersion', 'revision', 'totalKey', 'bytes', 'sha256', 'startedAt', 'endedAt', 'outcome', 'reason', 'raftdeckVersion']) expect(done).toHaveProperty(k)
    expect(readdirSync(dest).filter((f) => f.endsWith('.part'))).toEqual([])
  })

  it('applies retention after verified runs only, and never to files the manifest does not own', async () => {
    execFileSync('cp', [path.join(dest, first.file!), path.join(dest, 'prod-operator-copy.db')])
    await h()['backupSchedules/runNow']({ id: scheduleId })
    const third = await h()['backupSchedules/runNow']({ id: scheduleId })
    expect(third.outcome).toBe('ok')
    expect(third.pruned).toEqual([first.file])
    expect(existsSync(path.join(dest, first.file!))).toBe(false)
    expect(existsSync(path.join(dest, 'prod-operator-copy.db'))).toBe(true)
    const preview = await h()['backupSchedules/previewRetention']({ id: scheduleId, retention: { keepLast: 1 } })
    expect(preview.decisions.map((d) => d.keep)).toEqual([true, false])
    expect(preview.foreign).toEqual(['prod-operator-copy.db'])
    const history = await h()['backupSchedules/history']({ id: scheduleId })
    expect(history.map((r) => r.outcome)).toEqual(['ok', 'ok', 'ok'])
  })

  it('flags a file altered after it was written at the next verify', async () => {
    const [entry] = await h()['backupSchedules/catalog']({ id: scheduleId })
    const fd = openSync(entry!.path, 'r+')
    writeSync(fd, Buffer.from([0x42]), 0, 1, 9000)
    closeSync(fd)
    const after = await h()['backupSchedules/verifyFile']({ path: entry!.path })
    expect(after.reverified?.ok).toBe(false)
    expect(after.reverified?.message).toMatch(/SHA-256|sha256|hash/i)
    expect((await manifestLines(dest)).some((l) => l.event === 'reverified' && l.ok === false)).toBe(true)
    // Deleting goes through the manifest too; files it does not own are refused.
    await expect(h()['backupSchedules/deleteFile']({ path: path.join(dest, 'prod-operator-copy.db') })).rejects.toThrow(/not a backup that a schedule's manifest owns/)
    await h()['backupSchedules/deleteFile']({ path: entry!.path })
    expect(existsSync(entry!.path)).toBe(false)
  })

  it('a missing, read-only or full destination fails before anything is written, with the exact reason', async () => {
    const before = dbFiles(dest)
    const saveWith = async (name: string, destination: string) =>
      (await h()['backupSchedules/save']({ input: { name, target: { kind: 'connection', id: await connectionId('prod') }, cron: '0 2 * * *', destination, trialRestore: false } })).id
    const missing = await h()['backupSchedules/runNow']({ id: await saveWith('to missing', path.join(tmp, 'unmounted-nfs')) })
    expect(missing.outcome).toBe('failed')
    expect(missing.reason).toMatch(/destination folder .*unmounted-nfs does not exist/)
    expect(existsSync(path.join(tmp, 'unmounted-nfs'))).toBe(false)
    // Recorded in the data folder's journal, so the history still shows it.
    expect((await h()['backupSchedules/history']({ id: missing.scheduleId }))[0]!.reason).toBe(missing.reason)

    // Full: the last snapshot (as the manifest records it) needs twice its size.
    const fullDir = path.join(tmp, 'full')
    mkdirSync(fullDir)
    const fullId = await saveWith('to full', fullDir)
    const huge = 2 ** 52
    writeFileLines(fullDir, [{ v: 1, run: 'old', at: 1, state: 'started', scheduleId: fullId, scheduleName: 'to full', startedAt: 1 }, { v: 1, run: 'old', at: 2, state: 'done', outcome: 'ok', bytes: huge, scheduleId: fullId }])
    const full = await h()['backupSchedules/runNow']({ id: fullId })
    expect(full.reason).toMatch(/MiB free; at least \d+ MiB is needed \(twice the last snapshot/)

    const ro = readOnlyDir(path.join(tmp, 'ro'))
    if (ro) {
      try {
        const r = await h()['backupSchedules/runNow']({ id: await saveWith('to read-only', ro.dir) })
        expect(r.outcome).toBe('failed')
        expect(r.reason).toMatch(/is not writable: (it is on a read-only file system|this user .* may not create files)/)
      } finally {
        ro.cleanup()
      }
    }
    expect(dbFiles(dest)).toEqual(before)
  })

  it('an auth failure and an unreachable cluster fail with their reason', async () => {
    const bad = await h()['backupSchedules/save']({ input: { name: 'wrong pw', target: { kind: 'connection', id: await connectionId('prod-wrong-password') }, cron: '0 2 * * *', trialRestore: false } })
    const r = await h()['backupSchedules/runNow']({ id: bad.id })
    expect(r.outcome).toBe('failed')
    expect(r.reason).toMatch(/refused the credentials: Authentication failed/)
    await h()['connections/save']({ input: { name: 'gone', endpoints: ['http://127.0.0.1:9'] } })
    const gone = await h()['backupSchedules/save']({ input: { name: 'gone', target: { kind: 'connection', id: await connectionId('gone') }, cron: '0 2 * * *', trialRestore: false } })
    const g = await h()['backupSchedules/runNow']({ id: gone.id })
    expect(g.reason).toMatch(/No member of the cluster answered: http:\/\/127.0.0.1:9/)
    expect(g.state).toBe('done')
  })
})

/** Appends raw manifest lines (a previous run as another process recorded it). */
function writeFileLines(dir: string, lines: object[]) {
  const fd = openSync(path.join(dir, 'manifest.jsonl'), 'a')
  for (const l of lines) writeSync(fd, JSON.stringify(l) + '\n')
  closeSync(fd)
}

/** A folder this process cannot write: a read-only tmpfs as root, a 0500 folder otherwise. */
function readOnlyDir(dir: string): { dir: string; cleanup(): void } | null {
  mkdirSync(dir)
  if (process.getuid?.() !== 0) {
    chmodSync(dir, 0o500)
    return { dir, cleanup: () => chmodSync(dir, 0o700) }
  }
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', dir], { stdio: 'ignore' })
    return { dir, cleanup: () => execFileSync('umount', [dir]) }
  } catch {
    // Root without mount privileges (some containers): root writes through 0500, so no case to test.
    return null
  }
}

describe('a playground, and a long stream cut short', () => {
  let pgId: string
  let big: EtcdCluster
  let bigDest: string
  let bigSchedule: string

  beforeAll(async () => {
    const pg = await h()['playground/create']({ name: 'bk-pg', members: 3 })
    pgId = pg.id
    big = await startEtcdCluster({ size: 1 })
    const c = new EtcdClient({ endpoints: big.endpoints })
    const value = Buffer.alloc(100 * 1024, 7)
    for (let i = 0; i < 600; i += 20) await Promise.all(Array.from({ length: 20 }, (_, j) => c.put({ key: Buffer.from(`/big/${i + j}`), value })))
    c.close()
    await h()['connections/save']({ input: { name: 'big', endpoints: big.endpoints } })
    bigDest = path.join(tmp, 'big')
    mkdirSync(bigDest)
    bigSchedule = (await h()['backupSchedules/save']({ input: { name: 'big', target: { kind: 'connection', id: await connectionId('big') }, cron: '0 3 * * *', destination: bigDest, retention: { keepLast: 1 }, trialRestore: false } })).id
  }, 120_000)
  afterAll(async () => {
    await big?.stop()
  })

  it('backs up a playground (Raftdeck members) and the Raftdeck member restores it on trial', async () => {
    const c = new EtcdClient({ endpoints: (await h()['playground/list']({})).find((p) => p.id === pgId)!.members.map((m) => m.clientUrl) })
    try {
      const deadline = Date.now() + 30_000
      for (;;) {
        try {
          await c.put({ key: Buffer.from('/pg/warm'), value: Buffer.from('x') })
          break
        } catch (err) {
          if (Date.now() > deadline) throw err
          await new Promise((r) => setTimeout(r, 100))
        }
      }
      for (let i = 0; i < 30; i++) await c.put({ key: Buffer.from(`/pg/${i}`), value: Buffer.from(`v${i}`) })
    } finally {
      c.close()
    }
    const s = await h()['backupSchedules/save']({ input: { name: 'pg hourly', target: { kind: 'playground', id: pgId }, cron: '0 * * * *' } })
    const r = await h()['backupSchedules/runNow']({ id: s.id })
    expect(r.reason).toBeNull()
    expect(r.outcome).toBe('ok')
    expect(r.restorable).toBe(true)
    expect(path.dirname(path.join(data, 'backups', 'pg-hourly', r.file!))).toBe(path.join(data, 'backups', 'pg-hourly'))
    // The same file restored by the Raftdeck member engine (used where no etcd is installed).
    const engine = chooseTrialEngine(null, packageMemberCommand(repoRoot))
    const trial = await trialRestore(path.join(data, 'backups', 'pg-hourly', r.file!), { revision: r.revision!, liveKeys: r.liveKeys, hashKV: Number(r.trial!.checks.find((x) => x.name === 'hashKV')!.expected) }, { engine, tmpRoot: tmp, log: silent, bytes: r.bytes! })
    expect(trial.engine).toBe('raftdeck')
    expect(trial.reason).toBeNull()
    expect(trial.checks.every((x) => x.ok)).toBe(true)
    expect(readdirSync(tmp).filter((f) => f.startsWith('raftdeck-trial-'))).toEqual([])
    const fresh = await h()['backupSchedules/freshness']({ target: { kind: 'playground', id: pgId } })
    expect(fresh?.state).toBe('fresh')
  })

  it('a cluster whose members are all unhealthy (quorum lost) is not backed up', async () => {
    const pg = (await h()['playground/list']({})).find((p) => p.id === pgId)!
    const dir = path.join(data, 'backups', 'pg-hourly')
    const before = dbFiles(dir)
    for (const m of ['n2', 'n3']) await h()['playground/member']({ id: pgId, member: m, action: 'kill' })
    const c = new EtcdClient({ endpoints: [pg.members[0]!.clientUrl] })
    try {
      const deadline = Date.now() + 30_000
      while ((await c.status(pg.members[0]!.clientUrl, 2000)).leader !== '0') {
        if (Date.now() > deadline) throw new Error('the survivor still sees a leader')
        await new Promise((r) => setTimeout(r, 100))
      }
    } finally {
      c.close()
    }
    const s = (await h()['backupSchedules/list']({})).find((x) => x.name === 'pg hourly')!
    const r = await h()['backupSchedules/runNow']({ id: s.id })
    expect(r.outcome).toBe('failed')
    expect(r.reason).toMatch(/No member is healthy enough to take a snapshot from: n1 \(http:\/\/127.0.0.1:\d+\): sees no leader; .*no answer/)
    expect(dbFiles(dir)).toEqual(before)
    const fresh = await h()['backupSchedules/freshness']({ target: { kind: 'playground', id: pgId } })
    expect(fresh?.state).toBe('failing')
  })

  it('refuses to run a schedule twice at once (the lock shared with cron)', async () => {
    // The second request comes once the first has reached its first state (it holds the lock then).
    let stop = () => {}
    const started = new Promise<void>((resolve) => {
      stop = services.streams['backupSchedules/onEvent']({}, { emit: (e) => e.kind === 'run' && e.run.scheduleId === bigSchedule && resolve(), end: () => {} })
    })
    const first = h()['backupSchedules/runNow']({ id: bigSchedule })
    await started
    stop()
    await expect(h()['backupSchedules/runNow']({ id: bigSchedule })).rejects.toThrow(/already running: its lock is held by process/)
    expect((await first).outcome).toBe('ok')
  })

  it('stopping the app cancels a run in progress: it records why and leaves no .part', async () => {
    const before = dbFiles(bigDest)
    const other = createServices({ dataDir: data, shell: 'browser', version: 'test' })
    const run = other.handlers['backupSchedules/runNow']({ id: bigSchedule })
    await waitForPart(bigDest, 60_000)
    await other.dispose()
    const r = await run
    expect(r.outcome).toBe('failed')
    expect(r.reason).toBe('Cancelled: Raftdeck stopped while the run was in progress.')
    expect(readdirSync(bigDest).filter((f) => f.endsWith('.part'))).toEqual([])
    expect(dbFiles(bigDest)).toEqual(before)
  })

  it('the app killed mid-run: the .part is removed at the next start and the run shows as interrupted', async () => {
    const before = dbFiles(bigDest)
    const [cmd, argv] = raftdeckArgv(['backup', 'run', '--schedule', 'big', '--data-dir', data])
    const child = spawn(cmd, argv, { cwd: repoRoot, stdio: 'ignore' })
    const part = await waitForPart(bigDest, 60_000)
    child.kill('SIGKILL')
    await new Promise((r) => child.once('exit', r))
    expect(existsSync(part)).toBe(true)
    const next = createServices({ dataDir: data, shell: 'browser', version: 'test', runSchedules: true })
    try {
      const deadline = Date.now() + 30_000
      let run: BackupRun | undefined
      while (!(run = (await next.handlers['backupSchedules/history']({ id: bigSchedule })).find((r) => r.trigger === 'cli'))?.outcome || run.outcome === 'running') {
        if (Date.now() > deadline) throw new Error('the interrupted run was not closed')
        await new Promise((r) => setTimeout(r, 100))
      }
      expect(run.outcome).toBe('interrupted')
      expect(run.reason).toMatch(/interrupted: the process running it stopped during the "(picked|streamed)" step; its temporary file .* was removed/)
      expect(existsSync(part)).toBe(false)
      expect(dbFiles(bigDest)).toEqual(before)
    } finally {
      await next.dispose()
    }
  })

  it('the stream cut by killing the member: no file is left, retention does not run, the CLI exits 1', async () => {
    const before = dbFiles(bigDest)
    expect(before).toHaveLength(1)
    const [cmd, argv] = raftdeckArgv(['backup', 'run', '--schedule', 'big', '--data-dir', data])
    const child = spawn(cmd, argv, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
    const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
    await waitForPart(bigDest, 60_000)
    big.members[0]!.process.kill('SIGKILL')
    expect(await exit).toBe(1)
    expect(stderr).toMatch(/FAILED while streaming the snapshot: (The snapshot stream from .* ended early|Maintenance.Snapshot: the endpoint cannot be reached)/)
    expect(readdirSync(bigDest).filter((f) => f.endsWith('.part'))).toEqual([])
    expect(dbFiles(bigDest)).toEqual(before)
    const last = (await h()['backupSchedules/history']({ id: bigSchedule }))[0]!
    expect(last.outcome).toBe('failed')
    expect(last.pruned).toEqual([])
  })
})

async function waitForPart(dir: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const p = readdirSync(dir).find((f) => f.endsWith('.part'))
    if (p && statSync(path.join(dir, p)).size > 1024 * 1024) return path.join(dir, p)
    if (Date.now() > deadline) throw new Error('no .part file with data appeared')
    await new Promise((r) => setTimeout(r, 5))
  }
}
