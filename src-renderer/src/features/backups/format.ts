// Small display helpers shared by the Backups area and the freshness badge, in the UI's language.
import type { BackupCatalogEntry, BackupRun, CronPreview, Freshness, RetentionDecision, RunOutcome, RunState, RunTrigger } from '@shared/api/backupSchedules'
import cronstrue from 'cronstrue'
// Registers cronstrue's Simplified Chinese with the module above.
import 'cronstrue/locales/zh_CN'
import { currentLocale, fmtAgo, joinSentences, msgOr, t } from '../../i18n'

export const ago = (at: number, now = Date.now()): string => fmtAgo(at, now)

export const outcomeType = (o: RunOutcome) => (o === 'ok' ? 'success' : o === 'running' ? 'info' : o === 'interrupted' ? 'warning' : 'error')

export const freshnessType = (s: Freshness['state']) => (s === 'fresh' ? 'success' : s === 'overdue' ? 'error' : s === 'failing' ? 'warning' : 'default')

/** What a run is doing once it reached `state`. */
export const stateLabel = (state: RunState) => t(`backups.state.${state}`)

export const outcomeLabel = (o: RunOutcome) => t(`backups.outcome.${o}`)

export const triggerLabel = (tr: RunTrigger) => t(`backups.trigger.${tr}`)

/** A span of time as "3 h" / "3 小时", rounded as the services round it. */
export function spanText(ms: number): string {
  const tag = currentLocale() === 'zh-CN' ? 'zh-CN' : 'en-US'
  const unit = (n: number, u: 'second' | 'minute' | 'hour' | 'day') => new Intl.NumberFormat(tag, { style: 'unit', unit: u, unitDisplay: 'short' }).format(n)
  const min = Math.round(ms / 60_000)
  if (min < 1) return unit(Math.max(0, Math.round(ms / 1000)), 'second')
  if (min < 120) return unit(min, 'minute')
  const h = Math.round(min / 60)
  if (h < 48) return unit(h, 'hour')
  return unit(Math.round(h / 24), 'day')
}

/** The freshness line ("last good backup 3 h ago, expected every 6 h") built from its facts, in the UI's language. */
export function freshnessText(f: Freshness, now = Date.now()): string {
  const agoText = f.lastGoodAt !== null ? t('backups.freshness.lastGood', { ago: fmtAgo(f.lastGoodAt, now) }) : t('backups.freshness.noGood')
  const every = f.expectedEveryMs ? t('backups.freshness.every', { every: spanText(f.expectedEveryMs) }) : ''
  return t(`backups.freshness.${f.state}`, { ago: agoText, every }).replace(/[,，]\s*$/, '')
}

/** Month, day and time, short: the next-run column. */
export function fmtShort(ms: number): string {
  const tag = currentLocale() === 'zh-CN' ? 'zh-CN' : 'en-US'
  return new Date(ms).toLocaleString(tag, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false })
}

/** Weekday, date and time: the schedule dialog's next runs. */
export function fmtLong(ms: number): string {
  const tag = currentLocale() === 'zh-CN' ? 'zh-CN' : 'en-US'
  return new Date(ms).toLocaleString(tag, { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false })
}


/** A cron expression in plain words, in the UI's language (the services describe it the same way, in English). */
export function cronText(expr: string): string {
  try {
    return cronstrue.toString(expr.trim(), { use24HourTimeFormat: true, verbose: false, locale: currentLocale() === 'zh-CN' ? 'zh_CN' : 'en' })
  } catch {
    return ''
  }
}

// ---- the services' sentences (run reasons, why a member was picked, re-verification results) ------
// The manifest keeps each in English and, since they exist, the message key beside it. An old manifest
// (no key) or a key this build does not know (a newer writer, a hand edit) shows the English.

/** A service message in the UI's language, or the English the services recorded (i18n's msgOr). */
export const srvText = msgOr

/** Why a run failed (or why it ran: a catch-up). */
export const runReason = (r: Pick<BackupRun, 'reason' | 'reasonMsg'>): string => srvText(r.reasonMsg, r.reason ?? '')

export const runHint = (r: Pick<BackupRun, 'hint' | 'hintMsg'>): string => srvText(r.hintMsg, r.hint ?? '')

/** The reason and what to do about it, in one line (as errorText does for an error). */
export const runReasonAndHint = (r: Pick<BackupRun, 'reason' | 'reasonMsg' | 'hint' | 'hintMsg'>): string => joinSentences(runReason(r), runHint(r))

/** Why the run took its snapshot from that member. */
export const pickReason = (r: Pick<BackupRun, 'pickReason' | 'pickReasonMsg'>): string => srvText(r.pickReasonMsg, r.pickReason ?? '')

/** What the last "verify again" found wrong with a file. */
export const reverifiedText = (v: NonNullable<BackupCatalogEntry['reverified']>): string => srvText(v.messageMsg, v.message ?? '')

/** What is wrong with a cron expression or time zone. */
export const cronError = (p: Pick<CronPreview, 'error' | 'errorMsg'>): string => srvText(p.errorMsg, p.error ?? '')

/** Which rules keep a file, or why it goes, as a list in the reader's punctuation. */
export const retentionReasons = (d: Pick<RetentionDecision, 'reasons' | 'reasonMsgs'>): string =>
  d.reasons.map((english, i) => srvText(d.reasonMsgs?.[i], english)).join(currentLocale() === 'zh-CN' ? '；' : '; ')
