// Scheduled backups: schedules per cluster, the runs they produce (folded from the manifest each
// destination folder keeps), retention previews and freshness. See docs/backups.md.

import { s } from '../schema'
import type { Target } from '../dto'
import type { Msg } from '../i18n/message'
import { id, method, stream, target } from './spec'

export interface RetentionPolicy {
  /** Keep the N newest verified backups. */
  keepLast?: number
  /** Keep the newest backup of each of the last N days (weeks, months) that have one (grandfather-father-son). */
  keepDaily?: number
  keepWeekly?: number
  keepMonthly?: number
  /** Delete backups older than this, whatever the rules above keep (the newest verified one always stays). */
  maxAgeDays?: number
}

export interface BackupSchedule {
  id: string
  name: string
  /** A saved connection or a playground; the connection holds the endpoints, TLS files and the sealed password. */
  target: Target
  /** Five fields (minute hour day month weekday), or six with seconds first. */
  cron: string
  /** IANA time zone the cron expression is read in ('' = this machine's zone). */
  timezone: string
  enabled: boolean
  /** Absolute folder; one folder per schedule. */
  destination: string
  retention: RetentionPolicy
  /** Restore each new file into a throwaway member on loopback and compare it with the source. */
  trialRestore: boolean
  createdAt: number
  updatedAt: number
}

export type RunTrigger = 'schedule' | 'catch-up' | 'manual' | 'cli'

/** The states of one run, in order; each is written to the manifest before the next starts. */
export const RUN_STATES = ['started', 'picked', 'streamed', 'verified', 'committed', 'latest', 'trial', 'pruned', 'done'] as const
export type RunState = (typeof RUN_STATES)[number]

export type RunOutcome = 'ok' | 'failed' | 'interrupted' | 'running'

export interface TrialRestoreResult {
  engine: 'etcd' | 'raftdeck'
  restorable: boolean
  /** What was compared, each with the expected (source) and the observed (restored) value. */
  checks: { name: 'revision' | 'keys' | 'hashKV'; expected: string | null; observed: string | null; ok: boolean; note?: string }[]
  ms: number
  reason: string | null
  /** The same as a message the UI translates (absent in older manifests). */
  reasonMsg?: Msg | null
}

export interface BackupRun {
  run: string
  scheduleId: string
  scheduleName: string
  trigger: RunTrigger
  /** The last state reached ('done' once finished). */
  state: RunState
  /** For a finished run: the last state it completed before 'done' (where a failure struck). */
  reached?: RunState
  outcome: RunOutcome
  /** Why it failed, or why it ran (catch-up), in English: the manifest keeps it, the CLI and scripts read it. */
  reason: string | null
  hint: string | null
  /** The same as messages the UI translates (absent in manifests written before they existed, and for causes without one). */
  reasonMsg?: Msg | null
  hintMsg?: Msg | null
  startedAt: number
  endedAt: number | null
  cluster: string | null
  clusterId: string | null
  memberId: string | null
  memberName: string | null
  endpoint: string | null
  /** Why this member was chosen (answers, no alarm, highest applied index…). */
  pickReason: string | null
  pickReasonMsg?: Msg
  etcdVersion: string | null
  revision: number | null
  /** etcdctl 3.4's "total keys" (every key/value in every bucket) and the live keys at the revision. */
  totalKey: number | null
  liveKeys: number | null
  bytes: number | null
  sha256: string | null
  /** File name inside the destination, once committed. */
  file: string | null
  restorable: boolean | null
  trial: TrialRestoreResult | null
  pruned: string[]
  durationMs: number | null
  raftdeckVersion: string
  /** The temporary file of the run while it streams (removed if the run is interrupted). */
  part?: string
}

export interface BackupCatalogEntry {
  path: string
  file: string
  scheduleId: string
  scheduleName: string
  createdAt: number
  revision: number | null
  bytes: number
  sha256: string | null
  restorable: boolean | null
  /** Result of the last "verify again" on this file (null: not re-verified since it was written). */
  reverified: { at: number; ok: boolean; message: string | null; messageMsg?: Msg } | null
  /** The run that wrote it. */
  run: string
}

export interface Freshness {
  state: 'fresh' | 'overdue' | 'never' | 'disabled' | 'failing'
  lastGoodAt: number | null
  /** Typical time between two scheduled runs. */
  expectedEveryMs: number | null
  /** When the backup that is now missing was due (overdue only). */
  dueAt: number | null
  /** "last good backup 3 h ago, expected every 6 h". */
  text: string
}

export interface ScheduleView extends BackupSchedule {
  targetName: string | null
  description: string
  /** Next three runs (epoch ms). */
  nextRuns: number[]
  running: { run: string; state: RunState; startedAt: number } | null
  lastRun: BackupRun | null
  freshness: Freshness
}

export interface CronPreview {
  ok: boolean
  error: string | null
  errorMsg?: Msg
  description: string
  nextRuns: number[]
  expectedEveryMs: number | null
}

export interface RetentionDecision {
  file: string
  createdAt: number
  revision: number | null
  bytes: number
  keep: boolean
  /** Which rules keep it, or why it goes (English), and the same as messages the UI translates. */
  reasons: string[]
  reasonMsgs?: Msg[]
}

export interface RetentionPreview {
  decisions: RetentionDecision[]
  /** Files in the folder that the manifest does not own: never touched. */
  foreign: string[]
}

export type BackupEvent =
  | { kind: 'run'; run: BackupRun }
  | { kind: 'schedules' }
  /** A run failed: the shells raise a notification (Electron) or a persistent alert (browser). */
  | { kind: 'failure'; run: BackupRun }

export const CRON_PRESETS = [
  { label: 'Hourly', cron: '0 * * * *' },
  { label: 'Every 6 hours', cron: '0 */6 * * *' },
  { label: 'Daily at 02:00', cron: '0 2 * * *' },
  { label: 'Weekly (Sunday 02:00)', cron: '0 2 * * 0' },
] as const

const count = s.optional(s.number({ int: true, min: 0, max: 10_000 }))
export const retentionSchema = s.object({ keepLast: count, keepDaily: count, keepWeekly: count, keepMonthly: count, maxAgeDays: s.optional(s.number({ min: 0, max: 36_500 })) })
const cron = s.string({ min: 1, max: 200 })
const timezone = s.string({ max: 100 })
const folder = s.string({ max: 4096 })

const scheduleInput = s.object({
  id: s.optional(id),
  name: s.string({ min: 1, max: 100 }),
  target,
  cron,
  timezone: s.optional(timezone),
  enabled: s.optional(s.boolean()),
  /** Empty or missing: <data dir>/backups/<name>. */
  destination: s.optional(folder),
  retention: s.optional(retentionSchema),
  trialRestore: s.optional(s.boolean()),
})

export const backupScheduleMethods = {
  'backupSchedules/list': method<ScheduleView[]>()(s.object({})),
  'backupSchedules/save': method<ScheduleView>()(s.object({ input: scheduleInput })),
  'backupSchedules/delete': method<null>()(s.object({ id })),
  'backupSchedules/setEnabled': method<ScheduleView>()(s.object({ id, enabled: s.boolean() })),
  /** Starts a run now; resolves when it is finished (the UI follows progress on backupSchedules/onEvent). */
  'backupSchedules/runNow': method<BackupRun>()(s.object({ id })),
  'backupSchedules/previewCron': method<CronPreview>()(s.object({ cron, timezone: s.optional(timezone) })),
  /** Which files of the schedule's folder a policy keeps or deletes, before it is saved. */
  'backupSchedules/previewRetention': method<RetentionPreview>()(
    s.object({ id: s.optional(id), destination: s.optional(folder), name: s.optional(s.string({ max: 100 })), retention: retentionSchema, timezone: s.optional(timezone) }),
  ),
  /** Runs, newest first, from the manifests of every schedule (or one). */
  'backupSchedules/history': method<BackupRun[]>()(s.object({ id: s.optional(id), limit: s.optional(s.number({ int: true, min: 1, max: 5000 })) })),
  /** Files that manifests own and that are still on disk, newest first. */
  'backupSchedules/catalog': method<BackupCatalogEntry[]>()(s.object({ id: s.optional(id) })),
  'backupSchedules/verifyFile': method<BackupCatalogEntry>()(s.object({ path: folder })),
  'backupSchedules/deleteFile': method<null>()(s.object({ path: folder })),
  /** Freshness of the newest good backup of a cluster, for the Cluster view header. */
  'backupSchedules/freshness': method<(Freshness & { scheduleId: string; scheduleName: string }) | null>()(s.object({ target })),
} as const

export const backupScheduleStreams = {
  'backupSchedules/onEvent': stream<BackupEvent>()(s.object({})),
} as const
