// Small display helpers shared by the Backups area and the freshness badge.
import type { Freshness, RunOutcome, RunState } from '@shared/api/backupSchedules'

export function ago(t: number, now = Date.now()): string {
  const min = Math.round((now - t) / 60_000)
  if (min < 1) return 'just now'
  if (min < 120) return `${min} min ago`
  const h = Math.round(min / 60)
  return h < 48 ? `${h} h ago` : `${Math.round(h / 24)} d ago`
}

export const outcomeType = (o: RunOutcome) => (o === 'ok' ? 'success' : o === 'running' ? 'info' : o === 'interrupted' ? 'warning' : 'error')

export const freshnessType = (s: Freshness['state']) => (s === 'fresh' ? 'success' : s === 'overdue' ? 'error' : s === 'failing' ? 'warning' : 'default')

const LABELS: Record<RunState, string> = {
  started: 'checking the destination',
  picked: 'streaming the snapshot',
  streamed: 'verifying',
  verified: 'committing',
  committed: 'updating the latest copy',
  latest: 'trial restore',
  trial: 'applying retention',
  pruned: 'finishing',
  done: 'done',
}

/** What a run is doing once it reached `state`. */
export const stateLabel = (state: RunState) => LABELS[state]
