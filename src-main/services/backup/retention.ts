// Retention as a pure plan: which of the files a manifest owns a policy keeps, and why. The same plan
// is shown in the UI before a policy is saved (`previewRetention`), printed by `backup prune --dry-run`
// and carried out after a verified run. Rules:
//   - keep-last N: the N newest;
//   - keep-daily/weekly/monthly N: the newest file of each of the N most recent days (ISO weeks,
//     months) that have one, in the schedule's time zone (grandfather-father-son);
//   - the rules add up: a file stays when any rule keeps it; no rule at all keeps everything;
//   - max age removes what is older, whatever the rules keep;
//   - the newest verified backup always stays.

import type { RetentionDecision, RetentionPolicy } from '../../shared/api/backupSchedules'
import { formatMessage, msg, type Msg } from '../../shared'
import { humanDurationMsg } from './cron'

export interface RetentionCandidate {
  file: string
  createdAt: number
  revision: number | null
  bytes: number
}

const DAY = 86_400_000

function parts(at: number, timezone: string): { y: number; m: number; d: number } {
  const f = new Intl.DateTimeFormat('en-CA', { timeZone: timezone || undefined, year: 'numeric', month: '2-digit', day: '2-digit' })
  const p = Object.fromEntries(f.formatToParts(new Date(at)).map((x) => [x.type, x.value]))
  return { y: Number(p.year), m: Number(p.month), d: Number(p.day) }
}

function isoWeek(y: number, m: number, d: number): string {
  // ISO 8601: the week with the year's first Thursday is week 1.
  const date = new Date(Date.UTC(y, m - 1, d))
  const dow = date.getUTCDay() || 7
  date.setUTCDate(date.getUTCDate() + 4 - dow)
  const yearStart = Date.UTC(date.getUTCFullYear(), 0, 1)
  const week = Math.ceil(((date.getTime() - yearStart) / DAY + 1) / 7)
  return `${date.getUTCFullYear()}-W${String(week).padStart(2, '0')}`
}

export function hasRules(p: RetentionPolicy): boolean {
  return Boolean(p.keepLast || p.keepDaily || p.keepWeekly || p.keepMonthly || p.maxAgeDays)
}

export function describePolicy(p: RetentionPolicy): string {
  const bits: string[] = []
  if (p.keepLast) bits.push(`last ${p.keepLast}`)
  if (p.keepDaily) bits.push(`${p.keepDaily} daily`)
  if (p.keepWeekly) bits.push(`${p.keepWeekly} weekly`)
  if (p.keepMonthly) bits.push(`${p.keepMonthly} monthly`)
  if (p.maxAgeDays) bits.push(`nothing older than ${p.maxAgeDays} d`)
  return bits.length ? `keep ${bits.join(', ')}` : 'keep everything'
}

/**
 * Decides for each candidate (every file is a verified backup the manifest owns). `now` and the time
 * zone come from the caller, so the plan is the same value wherever it is computed.
 */
export function planRetention(candidates: RetentionCandidate[], policy: RetentionPolicy, timezone: string, now: number): RetentionDecision[] {
  const sorted = [...candidates].sort((a, b) => b.createdAt - a.createdAt || b.file.localeCompare(a.file))
  const reasons = new Map<string, Msg[]>(sorted.map((c) => [c.file, []]))
  const anyKeepRule = Boolean(policy.keepLast || policy.keepDaily || policy.keepWeekly || policy.keepMonthly)

  if (!anyKeepRule) for (const c of sorted) reasons.get(c.file)!.push(msg('backup.retention.noCountRule'))
  if (policy.keepLast) sorted.slice(0, policy.keepLast).forEach((c, i) => reasons.get(c.file)!.push(msg('backup.retention.last', { n: String(policy.keepLast), i: String(i + 1) })))
  const bucketRule = (n: number | undefined, label: 'daily' | 'weekly' | 'monthly', key: (c: RetentionCandidate) => string | Msg) => {
    if (!n) return
    let kept = 0
    let lastKey: string | null = null
    for (const c of sorted) {
      if (kept >= n) break
      const period = key(c)
      const k = typeof period === 'string' ? period : formatMessage(period)
      if (k === lastKey) continue
      lastKey = k
      kept++
      reasons.get(c.file)!.push(msg(`backup.retention.${label}`, { period }))
    }
  }
  bucketRule(policy.keepDaily, 'daily', (c) => {
    const p = parts(c.createdAt, timezone)
    return `${p.y}-${String(p.m).padStart(2, '0')}-${String(p.d).padStart(2, '0')}`
  })
  bucketRule(policy.keepWeekly, 'weekly', (c) => {
    const p = parts(c.createdAt, timezone)
    const [year, week] = isoWeek(p.y, p.m, p.d).split('-W')
    return msg('backup.retention.isoWeek', { year: year!, week: week! })
  })
  bucketRule(policy.keepMonthly, 'monthly', (c) => {
    const p = parts(c.createdAt, timezone)
    return `${p.y}-${String(p.m).padStart(2, '0')}`
  })

  const decisions: RetentionDecision[] = sorted.map((c, i) => {
    const r = reasons.get(c.file)!
    let keep = r.length > 0
    const why = [...r]
    if (policy.maxAgeDays && now - c.createdAt > policy.maxAgeDays * DAY) {
      if (keep) why.push(msg('backup.retention.butOlder', { days: String(policy.maxAgeDays), age: humanDurationMsg(now - c.createdAt) }))
      else why.push(msg('backup.retention.older', { days: String(policy.maxAgeDays) }))
      keep = false
    }
    if (i === 0) {
      if (!keep) why.push(msg('backup.retention.newest'))
      keep = true
    }
    if (!keep && r.length === 0 && !(policy.maxAgeDays && now - c.createdAt > policy.maxAgeDays * DAY)) why.push(msg('backup.retention.noRule'))
    return { file: c.file, createdAt: c.createdAt, revision: c.revision, bytes: c.bytes, keep, reasons: why.map(formatMessage), reasonMsgs: why }
  })
  return decisions
}
