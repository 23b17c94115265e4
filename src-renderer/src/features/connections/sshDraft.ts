// The SSH part of the connection form: one draft per hop, and how it becomes the API's input. Secrets
// are write-only: an untouched passphrase or password of a saved hop is not sent, so the stored one stays.

import type { SshAuthMethod, SshHopInput, SshHopSummary, SshHostKey } from '@shared/dto'
import { t } from '../../i18n'

export interface HopDraft {
  /** Local key for v-for. */
  key: number
  /** The saved hop's id (secrets are stored under it). */
  id?: string
  host: string
  port: number
  user: string
  auth: SshAuthMethod
  keyFile: string
  passphrase: string
  passphraseTouched: boolean
  password: string
  passwordTouched: boolean
  hasPassphrase: boolean
  hasPassword: boolean
  hostKey?: SshHostKey
}

let nextKey = 1

export function newHop(): HopDraft {
  return { key: nextKey++, host: '', port: 22, user: '', auth: 'key', keyFile: '', passphrase: '', passphraseTouched: false, password: '', passwordTouched: false, hasPassphrase: false, hasPassword: false }
}

export function hopFromSummary(h: SshHopSummary): HopDraft {
  return {
    ...newHop(),
    id: h.id,
    host: h.host,
    port: h.port,
    user: h.user,
    auth: h.auth,
    keyFile: h.keyFile ?? '',
    hasPassphrase: h.hasPassphrase,
    hasPassword: h.hasPassword,
    ...(h.hostKey ? { hostKey: h.hostKey } : {}),
  }
}

export function hopInput(h: HopDraft): SshHopInput {
  return {
    ...(h.id ? { id: h.id } : {}),
    host: h.host.trim(),
    port: h.port,
    user: h.user.trim(),
    auth: h.auth,
    ...(h.auth === 'key' && h.keyFile.trim() ? { keyFile: h.keyFile.trim() } : {}),
    ...(h.auth === 'key' && (h.passphraseTouched || !h.id) ? { passphrase: h.passphrase } : {}),
    ...(h.auth === 'password' && (h.passwordTouched || !h.id) ? { password: h.password } : {}),
    ...(h.hostKey ? { hostKey: h.hostKey } : {}),
  }
}

export function hopLabel(h: Pick<HopDraft, 'user' | 'host' | 'port'>): string {
  return `${h.user || '?'}@${h.host || '?'}:${h.port}`
}

/** What a hop is called in the form: the bastion alone, or its place in the chain. */
export function hopTitle(i: number, count: number): string {
  if (count === 1) return t('conn.ssh.bastion')
  if (i === count - 1) return t('conn.ssh.lastHost', { n: i + 1 })
  return t(i === 0 ? 'conn.ssh.firstJumpHost' : 'conn.ssh.jumpHost', { n: i + 1 })
}

export function daysLabel(daysLeft: number, status: string): string {
  if (status === 'expired') return t('conn.certs.expired', { n: -daysLeft })
  if (status === 'not-yet-valid') return t('conn.certs.notYetValid')
  return t('conn.certs.left', { n: daysLeft })
}
