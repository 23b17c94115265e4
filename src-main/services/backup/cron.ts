// Cron expressions, read by croner (a maintained parser with time zones and DST handling) and
// described in plain language by cronstrue. Only pure questions are asked of them ("when is the next
// run after T?"): the scheduler keeps its own timers on an injectable clock, so tests can move time.

import { Cron } from 'croner'
import cronstrue from 'cronstrue'
import { AppError, ErrorCode, formatMessage, msg, type Msg } from '../../shared'
import type { CronPreview } from '../../shared/api/backupSchedules'

function zoneOk(timezone: string): boolean {
  if (!timezone) return true
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone })
    return true
  } catch {
    return false
  }
}

function parse(expr: string, timezone: string): Cron {
  // paused: croner never arms a timer of its own here.
  return new Cron(expr.trim(), { paused: true, ...(timezone ? { timezone } : {}) })
}

/** Throws an AppError that says what is wrong with the expression or the time zone. */
export function checkCron(expr: string, timezone = ''): void {
  if (!zoneOk(timezone)) throw new AppError(ErrorCode.InvalidParams, msg('backup.cron.badZone', { zone: timezone }), msg('backup.cron.badZoneHint'))
  const fields = expr.trim().split(/\s+/).filter(Boolean)
  if (fields.length < 5 || fields.length > 6)
    throw new AppError(ErrorCode.InvalidParams, msg('backup.cron.fieldCount', { expr, count: fields.length }), msg('backup.cron.fieldCountHint'))
  let c: Cron
  try {
    c = parse(expr, timezone)
  } catch (err) {
    throw new AppError(ErrorCode.InvalidParams, msg('backup.cron.invalid', { expr, detail: (err as Error).message }), msg('backup.cron.invalidHint'))
  }
  if (!c.nextRun(new Date())) throw new AppError(ErrorCode.InvalidParams, msg('backup.cron.never', { expr }), msg('backup.cron.neverHint'))
}

export function nextRuns(expr: string, timezone: string, from: number, n = 3): number[] {
  return parse(expr, timezone)
    .nextRuns(n, new Date(from))
    .map((d) => d.getTime())
}

/** The most recent scheduled time at or before `at`, or null. */
export function previousRun(expr: string, timezone: string, at: number): number | null {
  const prev = parse(expr, timezone).previousRuns(1, new Date(at + 1))
  return prev[0]?.getTime() ?? null
}

/** Scheduled times in (after, upTo], at most `cap` of them. */
export function runsBetween(expr: string, timezone: string, after: number, upTo: number, cap = 1000): number[] {
  const out: number[] = []
  const c = parse(expr, timezone)
  let t = new Date(after)
  while (out.length < cap) {
    const next = c.nextRun(t)
    if (!next || next.getTime() > upTo) break
    out.push(next.getTime())
    t = next
  }
  return out
}

/** The typical gap between runs: the largest of the next few gaps, so "every weekday" reads as up to 3 days. */
export function expectedInterval(expr: string, timezone: string, from: number): number | null {
  const runs = nextRuns(expr, timezone, from, 8)
  if (runs.length < 2) return null
  let gap = 0
  for (let i = 1; i < runs.length; i++) gap = Math.max(gap, runs[i]! - runs[i - 1]!)
  return gap
}

export function describeCron(expr: string): string {
  try {
    return cronstrue.toString(expr.trim(), { use24HourTimeFormat: true, verbose: false })
  } catch {
    return ''
  }
}

export function previewCron(expr: string, timezone: string, now: number): CronPreview {
  try {
    checkCron(expr, timezone)
  } catch (err) {
    const e = err as AppError
    const errorMsg = e.msg && e.hintMsg ? msg('backup.cron.withHint', { message: e.msg, hint: e.hintMsg }) : e.msg
    return { ok: false, error: `${e.message}${e.hint ? ` ${e.hint}` : ''}`, ...(errorMsg ? { errorMsg } : {}), description: '', nextRuns: [], expectedEveryMs: null }
  }
  const zone = timezone || 'local time'
  return { ok: true, error: null, description: `${describeCron(expr)} (${zone})`, nextRuns: nextRuns(expr, timezone, now, 3), expectedEveryMs: expectedInterval(expr, timezone, now) }
}

/** "3 h", "2 d", "45 min": durations in the words the UI and the CLI use. */
export function humanDuration(ms: number): string {
  return formatMessage(humanDurationMsg(ms))
}

/** The same span as a message the UI says in its language. */
export function humanDurationMsg(ms: number): Msg {
  const min = Math.round(ms / 60_000)
  if (min < 1) return msg('backup.retention.span.s', { n: String(Math.max(0, Math.round(ms / 1000))) })
  if (min < 120) return msg('backup.retention.span.min', { n: String(min) })
  const h = Math.round(min / 60)
  if (h < 48) return msg('backup.retention.span.h', { n: String(h) })
  return msg('backup.retention.span.d', { n: String(Math.round(h / 24)) })
}
