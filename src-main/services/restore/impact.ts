// The impact preview: what restoring a snapshot would undo on the live cluster. Both sides are walked
// in key order and merged, never held whole: the snapshot through its key index (names and mod
// revisions only), the cluster through keys-only ranges of PAGE keys, every page pinned to the revision
// of the first one. A key alive on both sides with the same mod revision is the same write; another mod
// revision means it changed after the snapshot (or was deleted and written again).

import type { ImpactGroup, ImpactPreview } from '../../shared/api/restore'
import { formatMessage, msg, type Msg } from '../../shared/i18n/message'
import type { KvReader } from '../targets'
import type { SnapshotIndex } from './snapshotIndex'

const PAGE = 4000
const MAX_GROUPS = 200
const SAMPLES = 5

/**
 * The prefix a key is counted under: two segments for Kubernetes' /registry (/registry/pods/), one for
 * other slash-separated keys (/app/), the text up to the first slash otherwise.
 */
export function groupOf(key: string): string {
  if (key.startsWith('/registry/')) {
    const cut = key.indexOf('/', '/registry/'.length)
    return cut < 0 ? '/registry/' : key.slice(0, cut + 1)
  }
  if (key.startsWith('/')) {
    const cut = key.indexOf('/', 1)
    return cut < 0 ? '/' : key.slice(0, cut + 1)
  }
  const cut = key.indexOf('/')
  return cut < 0 ? '(no prefix)' : key.slice(0, cut + 1)
}

/** Printable form of a latin1 key (UTF-8 text when it is, escapes otherwise). */
export function displayKey(latin1Key: string): string {
  const b = Buffer.from(latin1Key, 'latin1')
  const text = b.toString('utf8')
  if (Buffer.from(text, 'utf8').equals(b)) return text
  return [...b].map((c) => (c >= 0x20 && c < 0x7f && c !== 0x5c ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`)).join('')
}

export class ImpactTally {
  private readonly groups = new Map<string, ImpactGroup>()
  private overflow = new Set<string>()
  added = 0
  deleted = 0
  changed = 0
  unchanged = 0

  private group(key: string): ImpactGroup | null {
    const prefix = groupOf(key)
    let g = this.groups.get(prefix)
    if (!g) {
      if (this.groups.size >= MAX_GROUPS) {
        this.overflow.add(prefix)
        return null
      }
      g = { prefix, added: 0, deleted: 0, changed: 0, unchanged: 0, samples: { added: [], deleted: [], changed: [] } }
      this.groups.set(prefix, g)
    }
    return g
  }

  count(kind: 'added' | 'deleted' | 'changed' | 'unchanged', key: string): void {
    this[kind]++
    const g = this.group(key)
    if (!g) return
    g[kind]++
    if (kind !== 'unchanged' && g.samples[kind].length < SAMPLES) g.samples[kind].push(displayKey(key))
  }

  result(): { groups: ImpactGroup[]; moreGroups: number } {
    const groups = [...this.groups.values()].sort((a, b) => b.added + b.deleted + b.changed - (a.added + a.deleted + a.changed) || (a.prefix < b.prefix ? -1 : 1))
    return { groups, moreGroups: this.overflow.size }
  }
}

/** Compares the snapshot (at its head revision) with the live cluster at one revision. */
export async function previewImpact(index: SnapshotIndex, live: KvReader): Promise<ImpactPreview> {
  const t0 = performance.now()
  const tally = new ImpactTally()
  const keys = index.keys
  let s = 0
  /** Advances the snapshot side up to (not including) `upTo` (null: to the end), counting its keys as deleted since. */
  const drainSnapshot = (upTo: string | null) => {
    while (s < keys.length && (upTo === null || keys[s]! < upTo)) {
      if (index.visibleAt(s, index.headRevision)) tally.count('deleted', keys[s]!)
      s++
    }
  }
  let revision: string | undefined
  let start: Buffer = Buffer.from([0])
  let liveKeys = 0
  for (;;) {
    const res = await live.range({ key: start, range_end: Buffer.from([0]), keys_only: true, limit: PAGE, ...(revision ? { revision } : {}) })
    revision ??= res.header.revision
    for (const kv of res.kvs) {
      liveKeys++
      const k = kv.key.toString('latin1')
      drainSnapshot(k)
      if (s < keys.length && keys[s] === k) {
        const rev = index.visibleAt(s, index.headRevision)
        if (!rev) tally.count('added', k)
        else tally.count(String(rev.main) === kv.mod_revision ? 'unchanged' : 'changed', k)
        s++
      } else tally.count('added', k)
    }
    if (!res.more || res.kvs.length === 0) break
    start = Buffer.concat([res.kvs[res.kvs.length - 1]!.key, Buffer.from([0])])
  }
  drainSnapshot(null)
  const liveRevision = revision ?? '0'
  const undone = Number(liveRevision) - index.headRevision
  let warning: Msg | null = null
  if (undone < 0)
    warning = msg('restore.impact.behind', { live: String(liveRevision), snapshot: String(index.headRevision) })
  else if (tally.unchanged === 0 && index.liveKeys > 0 && liveKeys > 0)
    warning = msg('restore.impact.foreign')
  const { groups, moreGroups } = tally.result()
  return {
    snapshotRevision: index.headRevision,
    liveRevision,
    revisionsUndone: Math.max(0, undone),
    snapshotKeys: index.liveKeys,
    liveKeys,
    added: tally.added,
    deleted: tally.deleted,
    changed: tally.changed,
    unchanged: tally.unchanged,
    groups,
    moreGroups,
    warning: warning ? formatMessage(warning) : null,
    warningMsg: warning,
    elapsedMs: Math.round(performance.now() - t0),
  }
}
