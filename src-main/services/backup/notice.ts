// The desktop notification of a failed scheduled run, in the user's language. The Electron main process
// raises it (the window may be closed or on another area), so it translates here, with the same catalog
// the renderer uses for the services' messages.

import { formatMessage, localeFromTag, msg, type UiLocale } from '../../shared'
import type { BackupRun } from '../../shared/api/backupSchedules'
import zhCN from '../../shared/i18n/zh-CN'

/** The language the window shows: the one the user picked, else the system's (Electron's app.getLocale()). */
export function noticeLocale(chosen: UiLocale | null, systemTag: string): UiLocale {
  return chosen ?? localeFromTag(systemTag)
}

/** Title and body of the notification for a failed run. */
export function failureNotice(run: Pick<BackupRun, 'scheduleName' | 'reason' | 'reasonMsg'>, locale: UiLocale): { title: string; body: string } {
  const catalog = locale === 'zh-CN' ? zhCN : undefined
  const text = (m: Parameters<typeof formatMessage>[0]) => formatMessage(m, catalog)
  const title = text(msg('backup.notify.failedTitle', { schedule: run.scheduleName }))
  // The translated cause when the run has one; the English text of an older manifest otherwise.
  const body = run.reasonMsg ? text(run.reasonMsg) : (run.reason ?? text(msg('backup.notify.seeBackups')))
  return { title, body }
}
