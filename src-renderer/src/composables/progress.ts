// How a long call's progress reads: "Writing keys: 1,200 of 10,000 keys", "Streaming the snapshot: 12.0 MiB
// of 96.5 MiB". Pure, unit-tested in Node.

import type { Progress } from '@shared/protocol'

const count = (n: number) => n.toLocaleString('en-US')

function bytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GiB`
}

/** The amount done (and of how much), in the progress' unit. */
export function progressAmount(p: Progress): string {
  if (p.unit === 'bytes') return p.total === null ? bytes(p.done) : `${bytes(p.done)} of ${bytes(p.total)}`
  const unit = p.unit === 'items' ? '' : ` ${p.unit === 'keys' ? (p.total ?? p.done) === 1 ? 'key' : 'keys' : (p.total ?? p.done) === 1 ? 'member' : 'members'}`
  return p.total === null ? `${count(p.done)}${unit}` : `${count(p.done)} of ${count(p.total)}${unit}`
}

export function progressText(p: Progress): string {
  return p.phase ? `${p.phase}: ${progressAmount(p)}` : progressAmount(p)
}

/** 0–100, or null while the total is unknown. */
export function progressPercent(p: Progress): number | null {
  if (p.total === null) return null
  if (p.total <= 0) return 100
  return Math.max(0, Math.min(100, Math.floor((p.done / p.total) * 100)))
}
