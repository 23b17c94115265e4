import type { Entry } from './types'

/**
 * The longest prefix of `ents` whose payload fits in `maxSize` bytes, but
 * never fewer than one entry so replication always makes progress.
 */
export function limitSize(ents: readonly Entry[], maxSize: number): readonly Entry[] {
  if (ents.length <= 1 || maxSize <= 0) return ents
  let size = ents[0].data.byteLength
  let n = 1
  for (; n < ents.length; n++) {
    size += ents[n].data.byteLength
    if (size > maxSize) break
  }
  return n === ents.length ? ents : ents.slice(0, n)
}

export function payloadsSize(ents: readonly Entry[]): number {
  let s = 0
  for (const e of ents) s += e.data.byteLength
  return s
}
