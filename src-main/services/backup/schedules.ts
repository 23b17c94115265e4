// Scheduled backups as a service: the schedule store, runs under a per-schedule lock, the history
// and catalogue read from the destinations' manifests, retention previews, freshness, and the
// scheduler that runs them in the app and in `raftdeck serve`. `raftdeck backup …` uses the same class,
// so the UI and the command line see and change the same schedules and files.

import { mkdir, readdir, rm, stat, unlink } from 'node:fs/promises'
import path from 'node:path'
import { verifySnapshot, BboltError } from '../../bbolt'
import { AppError, ErrorCode, type Target } from '../../shared'
import type {
  BackupCatalogEntry,
  BackupEvent,
  BackupRun,
  BackupSchedule,
  CronPreview,
  Freshness,
  RetentionPolicy,
  RetentionPreview,
  RunTrigger,
  ScheduleView,
} from '../../shared/api/backupSchedules'
import type { Logger } from '../log'
import type { TargetResolver } from '../targets'
import type { RaftdeckCommand } from '../playground/launcher'
import { checkCron, describeCron, expectedInterval, humanDuration, nextRuns, previewCron, previousRun } from './cron'
import { acquireLock, lockHolder, LockedError } from './fileLock'
import { appendLine, ManifestReader, MANIFEST_NAME, type ManifestState } from './manifest'
import { executeRun, latestName, prune, retentionPlan, safeName } from './run'
import { BackupScheduler, systemClock, type Clock } from './scheduler'
import { ScheduleStore } from './scheduleStore'
import { chooseTrialEngine, trialRestore } from './trialRestore'

export interface ScheduleServiceOptions {
  dataDir: string
  targets: TargetResolver
  log: Logger
  version: string
  etcdBinary: string | null
  /** The command a Raftdeck trial member runs (or how to find it, when one is needed). */
  raftdeck: RaftdeckCommand | (() => RaftdeckCommand)
  clock?: Clock
}

export type ScheduleInput = Omit<BackupSchedule, 'id' | 'createdAt' | 'updatedAt' | 'timezone' | 'enabled' | 'destination' | 'retention' | 'trialRestore'> & {
  id?: string
  timezone?: string
  enabled?: boolean
  destination?: string
  retention?: RetentionPolicy
  trialRestore?: boolean
}

export class BackupSchedules {
  readonly store: ScheduleStore
  readonly root: string
  private readonly journalDir: string
  private readonly lockDir: string
  private readonly tmpRoot: string
  private readonly reader = new ManifestReader()
  private readonly clock: Clock
  private readonly listeners = new Set<(e: BackupEvent) => void>()
  private readonly live = new Map<string, BackupRun>()
  private scheduler: BackupScheduler | null = null
  /** Runs in progress: stopping the services cancels their streams (the run then records why). */
  private readonly aborts = new Set<AbortController>()

  constructor(private readonly opts: ScheduleServiceOptions) {
    this.store = new ScheduleStore(opts.dataDir)
    this.root = path.join(opts.dataDir, 'backups')
    this.journalDir = path.join(this.root, '.journal')
    this.lockDir = path.join(this.root, '.locks')
    this.tmpRoot = path.join(opts.dataDir, 'tmp')
    this.clock = opts.clock ?? systemClock
  }

  defaultDestination(name: string): string {
    return path.join(this.root, safeName(name))
  }

  private lockFile(id: string): string {
    return path.join(this.lockDir, `${id}.lock`)
  }

  onEvent(listener: (e: BackupEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private emit(e: BackupEvent): void {
    for (const l of this.listeners) l(e)
  }

  // ---- the scheduler ------------------------------------------------------------------------

  /** Explains runs a crash left unfinished, then runs the schedules (app and `raftdeck serve`). */
  async startScheduler(): Promise<void> {
    await this.recoverInterrupted()
    this.scheduler = new BackupScheduler({
      clock: this.clock,
      log: this.opts.log,
      schedules: () => this.store.list(),
      lastAttempt: async (s) => (await this.runsOf(s))[0]?.startedAt ?? null,
      run: (s, trigger, note) => this.runSchedule(s, trigger, note),
    })
    await this.scheduler.start()
  }

  /** Waits for runs started by the scheduler (tests). */
  async idle(): Promise<void> {
    await this.scheduler?.idle()
  }

  dispose(): void {
    this.scheduler?.stop()
    this.scheduler = null
    for (const a of this.aborts) a.abort()
  }

  /**
   * A run without its 'done' line whose lock nobody holds was interrupted (the process died): its
   * `.part` is removed and the run is closed as interrupted, saying where it stopped.
   */
  async recoverInterrupted(): Promise<BackupRun[]> {
    const closed: BackupRun[] = []
    for (const s of await this.store.list()) {
      if (await lockHolder(this.lockFile(s.id))) continue
      for (const dir of [s.destination, this.journalDir]) {
        let m: ManifestState
        try {
          m = await this.reader.read(dir)
        } catch {
          continue
        }
        for (const r of m.runs.values()) {
          if (r.scheduleId !== s.id || r.outcome !== 'running') continue
          if (r.part) await rm(path.join(dir, path.basename(r.part)), { force: true }).catch(() => {})
          const at = this.clock.now()
          const reason = `interrupted: the process running it stopped during the "${r.state}" step${r.part ? `; its temporary file ${r.part} was removed` : ''}`
          const done: BackupRun = { ...r, state: 'done', reached: r.state, outcome: 'interrupted', reason, hint: 'Earlier backups are untouched. The next run starts afresh.', endedAt: at }
          try {
            await appendLine(dir, { ...done, v: 1, at, state: 'done' })
            closed.push(done)
            this.opts.log.warn(`backup "${s.name}": run ${r.run.slice(0, 8)} from ${new Date(r.startedAt).toISOString()} was ${reason}`)
          } catch (err) {
            this.opts.log.warn(`backup "${s.name}": cannot record the interrupted run in ${dir}: ${(err as Error).message}`)
          }
        }
      }
    }
    return closed
  }

  // ---- schedules ----------------------------------------------------------------------------

  async targetName(t: Target): Promise<string | null> {
    try {
      return (await this.opts.targets.policy(t)).name
    } catch {
      return null
    }
  }

  async save(input: ScheduleInput): Promise<BackupSchedule> {
    const name = input.name.trim()
    if (!name) throw new AppError(ErrorCode.InvalidParams, 'A schedule needs a name.')
    if (/[/\\]/.test(name)) throw new AppError(ErrorCode.InvalidParams, `"${name}" cannot name a schedule: it contains a slash.`, 'Use letters, digits, dashes and spaces.')
    const timezone = (input.timezone ?? '').trim()
    checkCron(input.cron, timezone)
    await this.opts.targets.policy(input.target)
    const destination = input.destination?.trim() ? path.resolve(input.destination.trim()) : this.defaultDestination(name)
    const r = input.retention ?? {}
    const retention: RetentionPolicy = Object.fromEntries(Object.entries(r).filter(([, v]) => typeof v === 'number' && v > 0)) as RetentionPolicy
    const saved = await this.store.save({
      ...(input.id ? { id: input.id } : {}),
      name,
      target: input.target,
      cron: input.cron.trim(),
      timezone,
      enabled: input.enabled ?? true,
      destination,
      retention,
      trialRestore: input.trialRestore ?? true,
    }, this.clock.now())
    this.opts.log.info(`backup schedule "${saved.name}" saved (${saved.cron}${saved.timezone ? ` ${saved.timezone}` : ''} → ${saved.destination})`)
    this.emit({ kind: 'schedules' })
    void this.scheduler?.reload()
    return saved
  }

  async remove(id: string): Promise<BackupSchedule> {
    const s = await this.store.remove((await this.store.get(id)).id)
    this.opts.log.info(`backup schedule "${s.name}" deleted (its backups in ${s.destination} stay)`)
    this.emit({ kind: 'schedules' })
    void this.scheduler?.reload()
    return s
  }

  async setEnabled(id: string, enabled: boolean): Promise<BackupSchedule> {
    const s = await this.store.get(id)
    return this.save({ ...s, enabled })
  }

  async view(s: BackupSchedule): Promise<ScheduleView> {
    const now = this.clock.now()
    const runs = await this.runsOf(s)
    const live = this.live.get(s.id)
    let next: number[] = []
    try {
      next = s.enabled ? nextRuns(s.cron, s.timezone, now, 3) : []
    } catch {
      next = []
    }
    return {
      ...s,
      targetName: await this.targetName(s.target),
      description: describeCron(s.cron),
      nextRuns: next,
      running: live ? { run: live.run, state: live.state, startedAt: live.startedAt } : null,
      lastRun: runs.find((r) => r.outcome !== 'running') ?? null,
      freshness: freshnessOf(s, runs, now),
    }
  }

  async list(): Promise<ScheduleView[]> {
    return Promise.all((await this.store.list()).map((s) => this.view(s)))
  }

  previewCron(cron: string, timezone = ''): CronPreview {
    return previewCron(cron, timezone, this.clock.now())
  }

  // ---- runs ---------------------------------------------------------------------------------

  /** Runs a schedule now under its lock; a schedule already running anywhere is refused. */
  async runSchedule(s: BackupSchedule, trigger: RunTrigger, note?: string): Promise<BackupRun> {
    let lock
    try {
      lock = await acquireLock(this.lockFile(s.id), `backup run "${s.name}" (${trigger})`)
    } catch (err) {
      if (err instanceof LockedError)
        throw new AppError(ErrorCode.Conflict, `Schedule "${s.name}" is already running: its lock is ${err.message}.`, 'Wait for that run to finish; two runs of one schedule never overlap.')
      throw err
    }
    const abort = new AbortController()
    this.aborts.add(abort)
    try {
      await mkdir(this.journalDir, { recursive: true, mode: 0o700 })
      await mkdir(this.tmpRoot, { recursive: true, mode: 0o700 })
      const engine = chooseTrialEngine(this.opts.etcdBinary, this.opts.raftdeck)
      let client: { auth?: { username: string; password: string } } | null = null
      const run = await executeRun(
        {
          schedule: s,
          trigger,
          ...(note ? { note } : {}),
          createDestination: s.destination === this.defaultDestination(s.name),
          resolveTarget: async () => {
            const policy = await this.opts.targets.policy(s.target)
            const c = await this.opts.targets.client(s.target)
            client = c
            return { name: policy.name, client: c, endpoints: policy.endpoints }
          },
        },
        {
          now: () => this.clock.now(),
          log: this.opts.log,
          version: this.opts.version,
          journalDir: this.journalDir,
          readManifest: (dir) => this.reader.read(dir),
          signal: abort.signal,
          trial: s.trialRestore
            ? (file, expected, bytes) => {
                const auth = client?.auth
                return trialRestore(file, expected, { engine, tmpRoot: this.tmpRoot, log: this.opts.log, bytes, ...(auth ? { auth } : {}) })
              }
            : null,
          onState: (r) => {
            if (r.state === 'done') this.live.delete(s.id)
            else this.live.set(s.id, r)
            this.emit({ kind: 'run', run: r })
          },
        },
      )
      if (run.outcome === 'failed') this.emit({ kind: 'failure', run })
      else this.opts.log.info(`backup "${s.name}" done: ${run.file} (revision ${run.revision}, ${run.bytes} bytes${run.restorable ? ', restorable' : ''}) in ${run.durationMs} ms`)
      return run
    } finally {
      this.aborts.delete(abort)
      this.live.delete(s.id)
      await lock.release()
    }
  }

  async runNow(id: string, trigger: RunTrigger = 'manual'): Promise<BackupRun> {
    return this.runSchedule(await this.store.get(id), trigger)
  }

  /** Every run of one schedule, newest first: its destination's manifest plus the data folder's journal. */
  async runsOf(s: BackupSchedule): Promise<BackupRun[]> {
    const out: BackupRun[] = []
    for (const dir of [s.destination, this.journalDir]) {
      try {
        for (const r of (await this.reader.read(dir)).runs.values()) if (r.scheduleId === s.id) out.push(r)
      } catch {
        // an unreadable manifest shows as no history; the next run says why the folder is unusable
      }
    }
    return out.sort((a, b) => b.startedAt - a.startedAt)
  }

  async history(id?: string, limit = 500): Promise<BackupRun[]> {
    const list = id ? [await this.store.get(id)] : await this.store.list()
    const all = (await Promise.all(list.map((s) => this.runsOf(s)))).flat()
    return all.sort((a, b) => b.startedAt - a.startedAt).slice(0, limit)
  }

  async catalog(id?: string): Promise<BackupCatalogEntry[]> {
    const list = id ? [await this.store.get(id)] : await this.store.list()
    const out: BackupCatalogEntry[] = []
    for (const s of list) {
      const m = await this.reader.read(s.destination).catch(() => null)
      if (!m) continue
      for (const [file, own] of m.owned) {
        const r = m.runs.get(own.run)
        if (!r || r.scheduleId !== s.id) continue
        const full = path.join(s.destination, file)
        const st = await stat(full).catch(() => null)
        if (!st) continue
        out.push({ path: full, file, scheduleId: s.id, scheduleName: s.name, createdAt: r.startedAt, revision: r.revision, bytes: st.size, sha256: r.sha256, restorable: r.restorable, reverified: m.reverified.get(file) ?? null, run: r.run })
      }
    }
    return out.sort((a, b) => b.createdAt - a.createdAt)
  }

  /** The schedule whose manifest owns this file, and the run that wrote it. */
  private async owner(file: string): Promise<{ s: BackupSchedule; m: ManifestState; run: BackupRun; name: string }> {
    const abs = path.resolve(file)
    const dir = path.dirname(abs)
    const name = path.basename(abs)
    for (const s of await this.store.list()) {
      if (path.resolve(s.destination) !== dir) continue
      const m = await this.reader.read(dir)
      const own = m.owned.get(name)
      const run = own && m.runs.get(own.run)
      if (run && run.scheduleId === s.id) return { s, m, run, name }
    }
    throw new AppError(ErrorCode.PermissionDenied, `${abs} is not a backup that a schedule's manifest owns.`, 'Raftdeck verifies and deletes from here only the files its runs wrote; use "raftdeck snapshot verify" for any other file.')
  }

  /** Verifies a file again, and compares it with what its run recorded: a changed file is flagged. */
  async verifyFile(file: string): Promise<BackupCatalogEntry> {
    const { s, run, name } = await this.owner(file)
    const abs = path.join(s.destination, name)
    let ok = true
    let message: string | null = null
    try {
      const v = verifySnapshot(abs)
      if (run.sha256 && v.sha256 !== run.sha256) {
        ok = false
        message = `The file changed after it was written: its SHA-256 is ${v.sha256}, the manifest recorded ${run.sha256}.`
      } else if (run.revision !== null && Number(v.status.revision) !== run.revision) {
        ok = false
        message = `The file changed after it was written: revision ${v.status.revision}, the manifest recorded ${run.revision}.`
      }
    } catch (err) {
      ok = false
      message = err instanceof BboltError ? `${err.message} ${err.hint ?? ''}`.trim() : (err as Error).message
    }
    const at = this.clock.now()
    await appendLine(s.destination, { v: 1, event: 'reverified', at, file: name, ok, message })
    if (ok) this.opts.log.info(`verified ${abs} again: intact`)
    else this.opts.log.error(`verify again of ${abs} failed: ${message}`)
    const entry = (await this.catalog(s.id)).find((e) => e.file === name)
    if (!entry) throw new AppError(ErrorCode.NotFound, `${abs} is gone.`)
    return entry
  }

  async deleteFile(file: string): Promise<void> {
    const { s, name } = await this.owner(file)
    await unlink(path.join(s.destination, name))
    await appendLine(s.destination, { v: 1, event: 'deleted', at: this.clock.now(), file: name, by: 'user' })
    this.opts.log.info(`deleted the backup ${path.join(s.destination, name)} (schedule "${s.name}")`)
    this.emit({ kind: 'schedules' })
  }

  /** What a retention policy would keep and delete in a schedule's folder now (nothing is deleted). */
  async previewRetention(p: { id?: string; destination?: string; name?: string; retention: RetentionPolicy; timezone?: string }): Promise<RetentionPreview> {
    const existing = p.id ? await this.store.get(p.id) : null
    const dir = p.destination?.trim() ? path.resolve(p.destination.trim()) : existing?.destination ?? (p.name ? this.defaultDestination(p.name) : null)
    if (!dir) return { decisions: [], foreign: [] }
    const { decisions, manifest } = await retentionPlan({ retention: p.retention, timezone: p.timezone ?? existing?.timezone ?? '' }, dir, { now: () => this.clock.now(), readManifest: (d) => this.reader.read(d) })
    let names: string[] = []
    try {
      names = await readdir(dir)
    } catch {
      names = []
    }
    const latest = new Set([...manifest.runs.values()].map((r) => (r.cluster ? latestName(r.cluster) : '')))
    const foreign = names.filter((n) => !manifest.owned.has(n) && n !== MANIFEST_NAME && !latest.has(n) && !n.startsWith('.'))
    return { decisions, foreign }
  }

  /** `raftdeck backup prune`: applies (or, dry, only lists) a schedule's retention now. */
  async pruneNow(id: string, dryRun: boolean): Promise<{ schedule: BackupSchedule; deleted: string[]; preview: RetentionPreview }> {
    const s = await this.store.get(id)
    const preview = await this.previewRetention({ id: s.id, retention: s.retention })
    if (dryRun) return { schedule: s, deleted: preview.decisions.filter((d) => !d.keep).map((d) => d.file), preview }
    const lock = await acquireLock(this.lockFile(s.id), `backup prune "${s.name}"`).catch((err: Error) => {
      throw new AppError(ErrorCode.Conflict, `Schedule "${s.name}" is running (${err.message}); prune later.`)
    })
    try {
      const last = (await this.runsOf(s))[0]
      if (!last || last.outcome !== 'ok') throw new AppError(ErrorCode.FailedPrecondition, `The last run of "${s.name}" did not succeed, so nothing is pruned.`, 'Retention runs only after a verified backup; run the schedule first.')
      const deleted = (await prune(s, s.destination, { now: () => this.clock.now(), log: this.opts.log, readManifest: (d) => this.reader.read(d) })) ?? []
      return { schedule: s, deleted, preview }
    } finally {
      await lock.release()
    }
  }

  async freshness(t: Target): Promise<(Freshness & { scheduleId: string; scheduleName: string }) | null> {
    const mine = (await this.store.list()).filter((s) => s.target.kind === t.kind && s.target.id === t.id)
    if (!mine.length) return null
    const now = this.clock.now()
    const views = await Promise.all(mine.map(async (s) => ({ s, f: freshnessOf(s, await this.runsOf(s), now) })))
    const rank = (x: { s: BackupSchedule; f: Freshness }) => (x.s.enabled ? 0 : 1) * 1e15 - (x.f.lastGoodAt ?? 0)
    views.sort((a, b) => rank(a) - rank(b))
    const best = views[0]!
    return { ...best.f, scheduleId: best.s.id, scheduleName: best.s.name }
  }
}

/**
 * Fresh, failing, overdue or never. Overdue: a scheduled time passed (plus a grace for the run itself)
 * and no good backup started since; that is the moment an operator must hear about it.
 */
export function freshnessOf(s: BackupSchedule, runs: BackupRun[], now: number): Freshness {
  const good = runs.find((r) => r.outcome === 'ok') ?? null
  const lastGoodAt = good?.endedAt ?? good?.startedAt ?? null
  let every: number | null = null
  try {
    every = expectedInterval(s.cron, s.timezone, now)
  } catch {
    every = null
  }
  const everyText = every ? `expected every ${humanDuration(every)}` : ''
  const agoText = lastGoodAt !== null ? `last good backup ${humanDuration(now - lastGoodAt)} ago` : 'no good backup yet'
  if (!s.enabled) return { state: 'disabled', lastGoodAt, expectedEveryMs: every, dueAt: null, text: `${agoText}; schedule disabled` }
  const grace = Math.min(30 * 60_000, Math.max(5 * 60_000, (every ?? 0) * 0.1))
  let dueAt: number | null = null
  try {
    dueAt = previousRun(s.cron, s.timezone, now - grace)
  } catch {
    dueAt = null
  }
  const overdue = dueAt !== null && dueAt > s.createdAt && (good?.startedAt ?? -Infinity) < dueAt - 60_000
  if (overdue) return { state: 'overdue', lastGoodAt, expectedEveryMs: every, dueAt, text: `overdue: ${agoText}, ${everyText}` }
  const last = runs.find((r) => r.outcome !== 'running')
  if (last && last.outcome !== 'ok') return { state: 'failing', lastGoodAt, expectedEveryMs: every, dueAt: null, text: `last run failed; ${agoText}, ${everyText}` }
  if (!good) return { state: 'never', lastGoodAt, expectedEveryMs: every, dueAt: null, text: `${agoText}, ${everyText}` }
  return { state: 'fresh', lastGoodAt, expectedEveryMs: every, dueAt: null, text: `${agoText}, ${everyText}` }
}
