// Small display helpers shared by the Backups area and the freshness badge, in the UI's language.
import type { Freshness, RunOutcome, RunState, RunTrigger } from '@shared/api/backupSchedules'
import cronstrue from 'cronstrue'
// Registers cronstrue's Simplified Chinese with the module above.
import 'cronstrue/locales/zh_CN'
import { currentLocale, fmtAgo, t } from '../../i18n'

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
