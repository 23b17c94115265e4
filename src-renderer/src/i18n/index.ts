// The UI's languages: English and Simplified Chinese, with vue-i18n. The language follows the system's
// until the user picks one (stores/settings.ts remembers the choice through the services). Naive UI's
// own texts (date pickers, empty tables, dialogs) switch with it (App.vue). Service messages arrive
// as keys with parameters (@shared/i18n/message) and are translated here too: tMsg(), errorText().

import { createI18n } from 'vue-i18n'
import { localeFromTag, UI_LOCALES, type UiLocale } from '@shared/dto'
import type { ApiError } from '@shared/errors'
import { isMsg, type Msg, type MsgValue } from '@shared/i18n/message'
import en, { type LocaleShape } from './locales/en'
import zhCN from './locales/zh-CN'

export type { LocaleShape }

export { localeFromTag }

export function systemLocale(): UiLocale {
  const tags = typeof navigator !== 'undefined' ? (navigator.languages?.length ? navigator.languages : [navigator.language]) : []
  return localeFromTag(tags[0])
}

/** Strings seen in the UI that have no translation: the e2e tests read this to prove none is missing. */
export const missingKeys = new Set<string>()

export const i18n = createI18n({
  legacy: false,
  globalInjection: true,
  locale: systemLocale(),
  fallbackLocale: 'en',
  messages: { en, 'zh-CN': zhCN } as Record<UiLocale, LocaleShape>,
  missingWarn: false,
  fallbackWarn: false,
  missing: (locale, key) => {
    missingKeys.add(`${locale}:${key}`)
    return undefined
  },
})

const g = i18n.global

export const currentLocale = (): UiLocale => g.locale.value as UiLocale

export function setLocale(l: UiLocale) {
  if (!(UI_LOCALES as readonly string[]).includes(l)) return
  g.locale.value = l
  document.documentElement.lang = l
}

/** Translates a UI key (for code outside components: stores, helpers). */
export function t(key: string, params?: Record<string, unknown>, plural?: number): string {
  if (plural !== undefined) return g.t(key, params ?? {}, plural)
  return params ? g.t(key, params) : g.t(key)
}

function paramValue(v: MsgValue): string | number {
  return isMsg(v) ? tMsg(v) : v
}

/** A service message in the user's language (the English catalog text when a key is unknown here). */
export function tMsg(m: Msg): string {
  const params: Record<string, string | number> = {}
  for (const [k, v] of Object.entries(m.params ?? {})) params[k] = typeof v === 'number' ? fmtNumber(v) : paramValue(v)
  const key = `srv.${m.key}`
  if (!g.te(key, 'en')) {
    missingKeys.add(`srv:${m.key}`)
    return m.key
  }
  const count = m.params?.count
  return typeof count === 'number' ? g.t(key, params, count) : g.t(key, params)
}

/** A message whose key, and every nested message's key, this build knows. */
const knownMsg = (m: unknown): m is Msg => isMsg(m) && g.te(`srv.${m.key}`, 'en') && Object.values(m.params ?? {}).every((v) => !isMsg(v) || knownMsg(v))

/**
 * A service message in the user's language, or the English the service also sent when there is no key
 * or one this build does not know (an older record, a newer writer).
 */
export function msgOr(m: unknown, english: string): string {
  return knownMsg(m) ? tMsg(m) : english
}

/** An API error's message in the user's language. */
export function errorMessage(e: Pick<ApiError, 'message' | 'msg'>): string {
  return e.msg ? tMsg(e.msg) : e.message
}

export function errorHint(e: Pick<ApiError, 'hint' | 'hintMsg'>): string {
  return e.hintMsg ? tMsg(e.hintMsg) : (e.hint ?? '')
}

/** Two sentences in one line: a space after Latin punctuation, none after a Chinese full stop (。！？). */
export function joinSentences(a: string, b: string): string {
  if (!a || !b) return a || b
  return /[。！？；：）”]$/.test(a) ? `${a}${b}` : `${a} ${b}`
}

/** Message and hint in one line, for toasts. */
export function errorText(e: Pick<ApiError, 'message' | 'msg' | 'hint' | 'hintMsg'>): string {
  return joinSentences(errorMessage(e), errorHint(e))
}

// ---- numbers, sizes, dates: in the locale's conventions -------------------------------------------

const intlTag = () => (currentLocale() === 'zh-CN' ? 'zh-CN' : 'en-US')

export function fmtNumber(n: number, opts?: Intl.NumberFormatOptions): string {
  return new Intl.NumberFormat(intlTag(), opts).format(n)
}

/** Decimal units as etcd and most tools print them (kB = 1000 B). */
export function fmtBytes(n: number | undefined | null): string {
  if (n === undefined || n === null) return '—'
  const units = ['B', 'kB', 'MB', 'GB', 'TB']
  let v = n
  let u = 0
  while (Math.abs(v) >= 1000 && u < units.length - 1) {
    v /= 1000
    u++
  }
  const digits = v >= 100 || u === 0 ? 0 : 1
  return `${fmtNumber(v, { maximumFractionDigits: digits, minimumFractionDigits: digits })} ${units[u]}`
}

export function fmtTime(ms: number): string {
  return new Date(ms).toLocaleTimeString(intlTag(), { hour12: false })
}

export function fmtDateTime(ms: number): string {
  return new Date(ms).toLocaleString(intlTag(), { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false })
}

export function fmtDate(ms: number | string): string {
  return new Date(ms).toLocaleDateString(intlTag(), { year: 'numeric', month: '2-digit', day: '2-digit' })
}

/** "3 min ago" / "3分钟前", rounded as a person would say it. */
export function fmtAgo(t: number, now = Date.now()): string {
  const rtf = new Intl.RelativeTimeFormat(intlTag(), { numeric: 'auto', style: 'short' })
  const sec = Math.round((t - now) / 1000)
  if (Math.abs(sec) < 60) return rtf.format(0, 'second')
  const min = Math.round(sec / 60)
  if (Math.abs(min) < 120) return rtf.format(min, 'minute')
  const h = Math.round(min / 60)
  if (Math.abs(h) < 48) return rtf.format(h, 'hour')
  return rtf.format(Math.round(h / 24), 'day')
}

/** A duration: 850 ms, 12.4 s, 3 min 5 s. */
export function fmtDuration(ms: number): string {
  if (ms < 1000) return t('common.duration.ms', { n: fmtNumber(Math.round(ms)) })
  if (ms < 60_000) return t('common.duration.s', { n: fmtNumber(ms / 1000, { maximumFractionDigits: 1 }) })
  const m = Math.floor(ms / 60_000)
  const s = Math.round((ms % 60_000) / 1000)
  return t('common.duration.min', { m: fmtNumber(m), s: fmtNumber(s) })
}
