// etcd's `snapshot restore --bump-revision N --mark-compacted`, applied to a snapshot file instead of
// during the restore: for etcd versions whose restore has no such flags (before 3.4.27 and 3.5.10).
// The copy carries the same empty-value marker record at (newest revision + N, 0) and the same
// scheduledCompactRev that those flags write, so any etcd restore of the copy ends in the state the
// flags would give: the revision moves forward by N and every older revision reads as compacted.

import { buildEtcdSnapshot, withRevisionMarker } from './etcdWriter'
import { readEtcdSnapshot } from './etcdSnapshot'
import { openDb } from './db'
import type { WriteResult } from './writer'

export interface BumpResult extends WriteResult {
  /** The newest revision in the source and the revision of the marker. */
  from: bigint
  to: bigint
}

/** Writes `dst` (via dst.part, fsync, rename) as `src` bumped by `bump` revisions and marked compacted. */
export function writeBumpedSnapshot(src: string, dst: string, bump: bigint): BumpResult {
  if (bump <= 0n) throw new RangeError('the bump must be positive')
  const db = openDb(src)
  try {
    const reader = readEtcdSnapshot(db)
    let newest = 0n
    for (const r of reader.revisions()) if (r.main > newest) newest = r.main
    const to = newest + bump
    const state = reader.toState()
    const result = buildEtcdSnapshot(dst, {
      ...state,
      revisions: withRevisionMarker(state.revisions, to),
      scheduledCompactRev: { main: to, sub: 0n },
    })
    return { ...result, from: newest, to }
  } finally {
    db.close()
  }
}
