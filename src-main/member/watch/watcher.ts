/** One watcher on a watch stream: its key range, options and delivery position. */
import { inRange } from '../mvcc/keyIndex'
import type { MvccEvent } from '../mvcc/types'

export interface Watcher {
  id: string
  key: string
  /** See keyIndex.rangeEnd: undefined = one key, '' = to the end. */
  end: string | undefined
  prevKv: boolean
  noPut: boolean
  noDelete: boolean
  progressNotify: boolean
  fragment: boolean
  /** Next revision this watcher has not seen yet. */
  nextRev: number
  /** Events were sent since the last progress notification. */
  sentSinceProgress: boolean
}

export function wants(w: Watcher, e: MvccEvent): boolean {
  if (e.type === 'PUT' && w.noPut) return false
  if (e.type === 'DELETE' && w.noDelete) return false
  return inRange(e.kv.key, w.key, w.end)
}
