// Scheduling decisions on a virtual clock: next runs, a catch-up after the app was not running, runs
// that fire once after a sleep, and daylight-saving changes in a time zone.
import { describe, expect, it } from 'vitest'
import { BackupScheduler, type Clock } from '../../../src-main/services/backup/scheduler'
import { checkCron, expectedInterval, nextRuns, previewCron, runsBetween } from '../../../src-main/services/backup/cron'
import { freshnessOf } from '../../../src-main/services/backup/schedules'
import type { BackupRun, BackupSchedule, RunTrigger } from '../../../src-main/shared/api/backupSchedules'
import { emptyRun } from '../../../src-main/services/backup/manifest'

/** A clock that only moves when told; timers fire in time order as it passes them. */
class VirtualClock implements Clock {
  private timers: { at: number; fn: () => void; id: number }[] = []
  private seq = 0
  constructor(public t: number) {}
  now = () => this.t
  setTimer = (fn: () => void, ms: number) => {
    const id = ++this.seq
    this.timers.push({ at: this.t + ms, fn, id })
    return id
  }
  clearTimer = (h: unknown) => {
    this.timers = this.timers.filter((x) => x.id !== h)
  }
  /** Moves time forward to `to`, firing each due timer at its own time and letting its work settle. */
  async advanceTo(to: number, settle: () => Promise<void>): Promise<void> {
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at)
      const next = this.timers[0]
      if (!next || next.at > to) break
      this.timers.shift()
      this.t = Math.max(this.t, next.at)
      next.fn()
      await settle()
    }
    this.t = to
  }
}

const silent = { debug() {}, info() {}, warn() {}, error() {} }

function schedule(over: Partial<BackupSchedule> = {}): BackupSchedule {
  return { id: 's1', name: 'nightly', target: { kind: 'playground', id: 'p' }, cron: '0 2 * * *', timezone: 'UTC', enabled: true, destination: '/x', retention: {}, trialRestore: false, createdAt: 0, updatedAt: 0, ...over }
}

function harness(clock: VirtualClock, list: BackupSchedule[], lastAttempt: number | null = null) {
  const runs: { at: number; trigger: RunTrigger; note?: string }[] = []
  const sched = new BackupScheduler({
    clock,
    log: silent,
    schedules: async () => list,
    lastAttempt: async () => lastAttempt,
    run: async (_s, trigger, note) => {
      runs.push({ at: clock.now(), trigger, ...(note ? { note } : {}) })
    },
  })
  return { sched, runs, settle: () => sched.idle() }
}

const T = (iso: string) => Date.parse(iso)

describe('cron helpers', () => {
  it('gives the next three runs in the schedule’s time zone and says what the expression means', () => {
    const p = previewCron('0 2 * * *', 'Europe/Berlin', T('2026-06-01T12:00:00Z'))
    expect(p.ok).toBe(true)
    expect(p.description).toBe('At 02:00 (Europe/Berlin)')
    expect(p.nextRuns.map((t) => new Date(t).toISOString())).toEqual(['2026-06-02T00:00:00.000Z', '2026-06-03T00:00:00.000Z', '2026-06-04T00:00:00.000Z'])
    expect(p.expectedEveryMs).toBe(86_400_000)
    expect(expectedInterval('0 */6 * * *', 'UTC', 0)).toBe(6 * 3_600_000)
  })

  it('refuses invalid expressions and unknown zones with a reason', () => {
    expect(() => checkCron('61 * * * *')).toThrow(/not a valid cron expression/)
    expect(() => checkCron('every day')).toThrow(/2 fields/)
    expect(() => checkCron('0 2 30 2 *')).toThrow(/never fires/)
    expect(() => checkCron('0 2 * * *', 'Mars/Olympus')).toThrow(/not a time zone/)
    expect(previewCron('0 2 * *', 'UTC', 0)).toMatchObject({ ok: false, nextRuns: [] })
  })

  it('follows daylight-saving changes: one daily run on each change day, at a time that exists', () => {
    // Europe/Berlin: clocks go 02:00→03:00 on 2026-03-29 and 03:00→02:00 on 2026-10-25.
    const spring = nextRuns('30 2 * * *', 'Europe/Berlin', T('2026-03-28T12:00:00Z'), 2).map((t) => new Date(t).toISOString())
    expect(spring).toEqual(['2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z'])
    const fall = runsBetween('30 2 * * *', 'Europe/Berlin', T('2026-10-24T12:00:00Z'), T('2026-10-25T23:59:59Z'))
    expect(fall.map((t) => new Date(t).toISOString())).toEqual(['2026-10-25T00:30:00.000Z'])
    // Hourly in local time: the repeated hour of the autumn change is two runs, the skipped spring hour none.
    expect(runsBetween('0 * * * *', 'Europe/Berlin', T('2026-10-24T22:00:00Z'), T('2026-10-25T23:00:00Z')).length).toBe(25)
    expect(runsBetween('0 * * * *', 'Europe/Berlin', T('2026-03-28T23:00:00Z'), T('2026-03-29T22:00:00Z')).length).toBe(23)
  })
})

describe('BackupScheduler on a virtual clock', () => {
  it('runs each due time once, as the clock passes it', async () => {
    const clock = new VirtualClock(T('2026-06-01T00:00:00Z'))
    const { sched, runs, settle } = harness(clock, [schedule({ cron: '0 */6 * * *', createdAt: clock.t, updatedAt: clock.t })], clock.t)
    await sched.start()
    expect(sched.nextDue('s1')).toBe(T('2026-06-01T06:00:00Z'))
    await clock.advanceTo(T('2026-06-02T00:00:00Z'), settle)
    expect(runs.map((r) => new Date(r.at).toISOString())).toEqual(['2026-06-01T06:00:00.000Z', '2026-06-01T12:00:00.000Z', '2026-06-01T18:00:00.000Z', '2026-06-02T00:00:00.000Z'])
    expect(runs.every((r) => r.trigger === 'schedule')).toBe(true)
    sched.stop()
  })

  it('catches up once at start when scheduled times passed while the app was not running, and says so', async () => {
    const clock = new VirtualClock(T('2026-06-05T09:00:00Z'))
    // Last run on the 1st at 02:00; the app was off for the 2nd–5th.
    const { sched, runs, settle } = harness(clock, [schedule()], T('2026-06-01T02:00:00Z'))
    await sched.start()
    await settle()
    expect(runs).toHaveLength(1)
    expect(runs[0]!.trigger).toBe('catch-up')
    expect(runs[0]!.note).toMatch(/4 scheduled runs were missed .* 2026-06-05T02:00:00.000Z/)
    // The next regular run is the next day's, not a burst of the missed ones.
    await clock.advanceTo(T('2026-06-06T03:00:00Z'), settle)
    expect(runs.map((r) => r.trigger)).toEqual(['catch-up', 'schedule'])
    expect(runs[1]!.at).toBe(T('2026-06-06T02:00:00Z'))
    sched.stop()
  })

  it('does not catch up a schedule that ran at its last time, nor one created after it', async () => {
    const clock = new VirtualClock(T('2026-06-05T09:00:00Z'))
    const a = harness(clock, [schedule()], T('2026-06-05T02:00:01Z'))
    await a.sched.start()
    await a.settle()
    expect(a.runs).toEqual([])
    a.sched.stop()
    const b = harness(clock, [schedule({ updatedAt: T('2026-06-05T08:00:00Z') })], null)
    await b.sched.start()
    await b.settle()
    expect(b.runs).toEqual([])
    b.sched.stop()
  })

  it('fires once, marked catch-up, when the machine slept through several due times', async () => {
    const clock = new VirtualClock(T('2026-06-01T00:00:00Z'))
    const { sched, runs, settle } = harness(clock, [schedule({ cron: '0 * * * *' })], clock.t)
    await sched.start()
    // The timer was armed for 01:00 at the latest; the process wakes at 05:30.
    clock.t = T('2026-06-01T05:30:00Z')
    await clock.advanceTo(T('2026-06-01T05:30:00Z'), settle)
    expect(runs).toHaveLength(1)
    expect(runs[0]!.trigger).toBe('catch-up')
    expect(sched.nextDue('s1')).toBe(T('2026-06-01T06:00:00Z'))
    sched.stop()
  })

  it('follows a time zone across the spring DST change', async () => {
    const clock = new VirtualClock(T('2026-03-27T12:00:00Z'))
    const { sched, runs, settle } = harness(clock, [schedule({ cron: '30 2 * * *', timezone: 'Europe/Berlin' })], clock.t)
    await sched.start()
    await clock.advanceTo(T('2026-03-31T00:00:00Z'), settle)
    expect(runs.map((r) => new Date(r.at).toISOString())).toEqual(['2026-03-28T01:30:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z'])
    sched.stop()
  })

  it('ignores disabled schedules and picks up a changed expression', async () => {
    const clock = new VirtualClock(T('2026-06-01T00:00:00Z'))
    const list = [schedule({ enabled: false, cron: '* * * * *' })]
    const { sched, runs, settle } = harness(clock, list, clock.t)
    await sched.start()
    await clock.advanceTo(T('2026-06-01T00:10:00Z'), settle)
    expect(runs).toEqual([])
    list[0] = schedule({ cron: '*/5 * * * *' })
    await clock.advanceTo(T('2026-06-01T00:21:00Z'), settle)
    expect(runs.map((r) => new Date(r.at).toISOString())).toEqual(['2026-06-01T00:15:00.000Z', '2026-06-01T00:20:00.000Z'])
    sched.stop()
  })
})

describe('freshness', () => {
  const run = (at: number, outcome: BackupRun['outcome']): BackupRun => ({ ...emptyRun(`r${at}`, at, 'test'), outcome, endedAt: at + 60_000 })
  const s = schedule({ cron: '0 */6 * * *', createdAt: T('2026-01-01T00:00:00Z') })

  it('is fresh within the interval, overdue once a due time passed without a good backup', () => {
    const good = run(T('2026-06-01T06:00:00Z'), 'ok')
    const fresh = freshnessOf(s, [good], T('2026-06-01T09:00:00Z'))
    expect(fresh.state).toBe('fresh')
    expect(fresh.text).toBe('last good backup 3 h ago, expected every 6 h')
    expect(freshnessOf(s, [good], T('2026-06-01T12:04:00Z')).state).toBe('fresh')
    const late = freshnessOf(s, [run(T('2026-06-01T12:00:00Z'), 'failed'), good], T('2026-06-01T12:40:00Z'))
    expect(late.state).toBe('overdue')
    expect(late.dueAt).toBe(T('2026-06-01T12:00:00Z'))
    expect(late.text).toMatch(/^overdue: last good backup 7 h ago, expected every 6 h$/)
  })

  it('says failing before it is overdue, never before the first backup, disabled when off', () => {
    expect(freshnessOf(s, [run(T('2026-06-01T06:00:00Z'), 'failed'), run(T('2026-06-01T00:00:00Z'), 'ok')], T('2026-06-01T06:02:00Z')).state).toBe('failing')
    expect(freshnessOf({ ...s, createdAt: T('2026-06-01T07:00:00Z') }, [], T('2026-06-01T08:00:00Z')).state).toBe('never')
    expect(freshnessOf({ ...s, enabled: false }, [], T('2026-06-01T08:00:00Z')).state).toBe('disabled')
  })
})
