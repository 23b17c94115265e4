// How a long call's progress reads, in the UI's language: "Writing keys: 1,200 of 10,000 keys",
// "正在写入键：1,200 / 10,000 个键", "Streaming the snapshot: 12.6 MB of 101.2 MB". The phase is the
// services' message key when they send one (phaseMsg), else their text. Unit-tested in Node
// (test/unit/renderer/writeGuard.web.test.ts). Messages: `keys.progress.*`.

import type { Progress } from '@shared/protocol'
import { fmtBytes, fmtNumber, t, tMsg } from '../i18n'

/** The amount done (and of how much), in the progress' unit. */
export function progressAmount(p: Progress): string {
  const done = fmtNumber(p.done)
  if (p.unit === 'bytes') return p.total === null ? fmtBytes(p.done) : t('keys.progress.of', { done: fmtBytes(p.done), total: fmtBytes(p.total) })
  if (p.unit === 'items') return p.total === null ? done : t('keys.progress.of', { done, total: fmtNumber(p.total) })
  const count = p.total ?? p.done
  if (p.unit === 'keys') return p.total === null ? t('keys.progress.keys', { done }, count) : t('keys.progress.ofKeys', { done, total: fmtNumber(p.total) }, count)
  return p.total === null ? t('keys.progress.members', { done }, count) : t('keys.progress.ofMembers', { done, total: fmtNumber(p.total) }, count)
}

/** The step's name in the UI's language. */
export function progressPhase(p: Progress): string | undefined {
  return p.phaseMsg ? tMsg(p.phaseMsg) : p.phase
}

export function progressText(p: Progress): string {
  const phase = progressPhase(p)
  return phase ? t('keys.progress.withPhase', { phase, amount: progressAmount(p) }) : progressAmount(p)
}

/** 0–100, or null while the total is unknown. */
export function progressPercent(p: Progress): number | null {
  if (p.total === null) return null
  if (p.total <= 0) return 100
  return Math.max(0, Math.min(100, Math.floor((p.done / p.total) * 100)))
}
