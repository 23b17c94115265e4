// How the Keys area writes a lease's time to live, in the UI's language: 1h 2m 3s / 1小时2分3秒.
import { t } from '../../i18n'

export function ttlText(seconds: number): string {
  if (seconds < 0) return t('keys.leases.expired')
  const h = Math.floor(seconds / 3600)
  const m = Math.floor((seconds % 3600) / 60)
  const s = seconds % 60
  return h > 0 ? t('keys.leases.ttl.h', { h, m, s }) : m > 0 ? t('keys.leases.ttl.m', { m, s }) : t('keys.leases.ttl.s', { s })
}
