// When schedules run. Times come from the cron library; the timers are our own, on an injectable
// clock, so a test can move time (next run, catch-up, a DST change) without waiting for it.
//
// - At start, a schedule whose last scheduled time passed since its last run (the app was not
//   running) runs once to catch up, and the run says how many times were missed.
// - While running, one timer wakes at the earliest due time (at most a minute away, so schedules
//   changed by another process, e.g. `raftdeck backup schedule add`, and clock jumps after a sleep are
//   noticed). A due schedule runs once, however many times it was due while the machine slept.
// - A schedule already running (here, or in another process holding its lock) is not started twice.

import { formatMessage, msg, type Msg } from '../../shared'
import type { BackupSchedule, RunTrigger } from '../../shared/api/backupSchedules'
import type { Logger } from '../log'
import { nextRuns, previousRun, runsBetween } from './cron'

export interface Clock {
  now(): number
  setTimer(fn: () => void, ms: number): unknown
  clearTimer(handle: unknown): void
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer: (fn, ms) => {
    const t = setTimeout(fn, ms)
    t.unref?.()
    return t
  },
  clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
}

export interface SchedulerDeps {
  clock: Clock
  log: Logger
  schedules(): Promise<BackupSchedule[]>
  /** Start of the schedule's most recent run (any outcome), or null. */
  lastAttempt(s: BackupSchedule): Promise<number | null>
  run(s: BackupSchedule, trigger: RunTrigger, note?: string, noteMsg?: Msg): Promise<unknown>
}

/** A run that fires this much after its time is reported as a catch-up (the machine slept). */
const LATE_MS = 5 * 60_000
const MAX_SLEEP_MS = 60_000

export class BackupScheduler {
  /** Next due time per schedule, keyed by id + the fields that decide it. */
  private readonly due = new Map<string, { key: string; at: number }>()
  private readonly running = new Map<string, Promise<unknown>>()
  private timer: unknown = null
  private stopped = false
  private ticking: Promise<void> | null = null

  constructor(private readonly deps: SchedulerDeps) {}

  /** Catch-up for missed runs, then the timer. */
  async start(): Promise<void> {
    const now = this.deps.clock.now()
    for (const s of await this.deps.schedules()) {
      if (!s.enabled) continue
      try {
        const last = (await this.deps.lastAttempt(s)) ?? s.updatedAt
        const prev = previousRun(s.cron, s.timezone, now)
        if (prev !== null && prev > last) {
          const missed = runsBetween(s.cron, s.timezone, last, now)
          const due = new Date(prev).toISOString()
          const noteMsg = missed.length >= 1000 ? msg('backup.run.catchUpMany', { due }) : msg('backup.run.catchUp', { count: missed.length, due })
          const note = formatMessage(noteMsg)
          this.deps.log.info(`schedule "${s.name}": ${note}`)
          this.launch(s, 'catch-up', note, noteMsg)
        }
      } catch (err) {
        this.deps.log.error(`schedule "${s.name}": cannot decide about a catch-up run: ${(err as Error).message}`)
      }
    }
    await this.tick()
  }

  stop(): void {
    this.stopped = true
    if (this.timer !== null) this.deps.clock.clearTimer(this.timer)
    this.timer = null
  }

  /** Re-reads the schedules now (after a change in this process). */
  async reload(): Promise<void> {
    await this.tick()
  }

  /** Resolves when no run started by the scheduler is in progress (tests). */
  async idle(): Promise<void> {
    while (this.running.size || this.ticking) {
      await Promise.allSettled([...this.running.values(), this.ticking])
    }
  }

  isRunning(id: string): boolean {
    return this.running.has(id)
  }

  nextDue(id: string): number | null {
    return this.due.get(id)?.at ?? null
  }

  private launch(s: BackupSchedule, trigger: RunTrigger, note?: string, noteMsg?: Msg): void {
    if (this.running.has(s.id)) return
    const p = this.deps
      .run(s, trigger, note, noteMsg)
      .catch((err: Error) => this.deps.log.error(`schedule "${s.name}": ${err.message}`))
      .finally(() => this.running.delete(s.id))
    this.running.set(s.id, p)
  }

  private tick(): Promise<void> {
    this.ticking ??= this.doTick().finally(() => {
      this.ticking = null
    })
    return this.ticking
  }

  private async doTick(): Promise<void> {
    if (this.stopped) return
    if (this.timer !== null) this.deps.clock.clearTimer(this.timer)
    this.timer = null
    const now = this.deps.clock.now()
    let list: BackupSchedule[] = []
    try {
      list = await this.deps.schedules()
    } catch (err) {
      this.deps.log.error(`cannot read the backup schedules: ${(err as Error).message}`)
    }
    const seen = new Set<string>()
    let earliest = Infinity
    for (const s of list) {
      seen.add(s.id)
      if (!s.enabled) {
        this.due.delete(s.id)
        continue
      }
      const key = `${s.cron}|${s.timezone}`
      let d = this.due.get(s.id)
      try {
        if (!d || d.key !== key) {
          d = { key, at: nextRuns(s.cron, s.timezone, now, 1)[0] ?? Infinity }
          this.due.set(s.id, d)
        }
        if (d.at <= now) {
          const late = now - d.at > LATE_MS
          this.launch(s, late ? 'catch-up' : 'schedule', late ? `catch-up: due at ${new Date(d.at).toISOString()}, started late (the machine was asleep or busy)` : undefined)
          d.at = nextRuns(s.cron, s.timezone, now, 1)[0] ?? Infinity
        }
        earliest = Math.min(earliest, d.at)
      } catch (err) {
        this.deps.log.error(`schedule "${s.name}": ${(err as Error).message}`)
      }
    }
    for (const id of [...this.due.keys()]) if (!seen.has(id)) this.due.delete(id)
    if (this.stopped) return
    const wait = Math.max(0, Math.min(MAX_SLEEP_MS, earliest - now))
    this.timer = this.deps.clock.setTimer(() => void this.tick(), wait)
  }
}
