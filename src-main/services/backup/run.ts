// One backup run, as an explicit state machine:
//
//   started → picked → streamed → verified → committed → latest → [trial] → [pruned] → done
//
// Each state is appended to the destination's manifest (fsynced) before the next one starts, so a
// crash anywhere leaves a record the next start can explain (a run without 'done' is interrupted, and
// the `.part` it names is removed). A failure ends the run with 'done' outcome 'failed' and its
// reason; it removes only the `.part` of this run, never an earlier backup, and retention runs only
// after a run whose file was verified (and, when asked, restored). A destination that cannot be used
// at all (missing, read-only, full) gets its record in the data folder's journal instead.

import { copyFile, link, open, rename, rm, stat, unlink } from 'node:fs/promises'
import path from 'node:path'
import { randomUUID } from 'node:crypto'
import { BboltError, readEtcdSnapshot, StreamingVerifier, verifySnapshot } from '../../bbolt'
import { AppError, formatMessage, msg, type Msg } from '../../shared'
import type { BackupRun, BackupSchedule, RunState, RunTrigger, TrialRestoreResult } from '../../shared/api/backupSchedules'
import type { EtcdClient } from '../etcd/client'
import type { Logger } from '../log'
import { checkDestination, DestinationError } from './destination'
import { appendLine, emptyRun, type ManifestState, type RunLine } from './manifest'
import { NoHealthyMemberError, pickMember, type PickedMember } from './pickMember'
import { planRetention } from './retention'
import { streamSnapshotToFile } from './streamToFile'
import type { TrialExpectations } from './trialRestore'

export const safeName = (name: string) => name.replace(/[^a-zA-Z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '') || 'cluster'

/** 2026-05-01T02:00:00.123Z → 20260501T020000Z: sortable, no characters that need quoting. */
export function utcStamp(at: number): string {
  return new Date(at).toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '')
}

export function backupFileName(cluster: string, at: number, revision: number): string {
  return `${safeName(cluster)}-${utcStamp(at)}-rev${revision}.db`
}

/** What a run does after it reached a state (for messages: "FAILED while streaming the snapshot"). */
export const RUN_STEP: Record<RunState, string> = {
  started: 'choosing a member',
  picked: 'streaming the snapshot',
  streamed: 'verifying the snapshot',
  verified: 'committing the file',
  committed: 'updating the latest copy',
  latest: 'restoring on trial',
  trial: 'applying retention',
  pruned: 'finishing',
  done: 'checking the destination',
}

export const latestName = (cluster: string) => `${safeName(cluster)}-latest.db`

export interface RunDeps {
  now(): number
  log: Logger
  version: string
  /** Journal for runs whose destination cannot take a record. */
  journalDir: string
  /** Null to skip the trial restore (disabled, or not possible here). */
  trial: ((file: string, expected: TrialExpectations, bytes: number) => Promise<TrialRestoreResult>) | null
  /** Reads the destination's manifest (cached reader). */
  readManifest(dir: string): Promise<ManifestState>
  onState?(run: BackupRun): void
  signal?: AbortSignal
}

export interface RunTarget {
  name: string
  client: EtcdClient
  endpoints: string[]
}

export interface RunRequest {
  schedule: BackupSchedule
  trigger: RunTrigger
  /** Why it runs when that is worth saying (a catch-up after missed runs), in English and as a message. */
  note?: string
  noteMsg?: Msg
  /** The default destination under the data dir may be created; a custom one never is. */
  createDestination: boolean
  resolveTarget(): Promise<RunTarget>
}

/** Why a run failed: the English sentence the manifest keeps, and the message the UI translates when there is one. */
class RunFailed extends Error {
  readonly reason: string
  readonly hint: string | null
  constructor(
    readonly reasonMsg: Msg | null,
    readonly hintMsg: Msg | null,
    english?: { reason: string; hint: string | null },
  ) {
    const reason = english?.reason ?? (reasonMsg ? formatMessage(reasonMsg) : '')
    super(reason)
    this.reason = reason
    this.hint = english ? english.hint : hintMsg ? formatMessage(hintMsg) : null
  }
}

function failure(err: unknown): RunFailed {
  if (err instanceof RunFailed) return err
  if (err instanceof BboltError) return new RunFailed(msg('backup.run.verifyFailed', { detail: err.message }), null, { reason: `The snapshot failed verification: ${err.message}`, hint: err.hint ?? null })
  if (err instanceof AppError) return new RunFailed(err.msg ?? null, err.hintMsg ?? null, { reason: err.message, hint: err.hint ?? null })
  return new RunFailed(null, null, { reason: err instanceof Error ? err.message : String(err), hint: null })
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r')
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}

/**
 * Points `to` at the same bytes as `from`, replacing any old `to` atomically (temp name, rename): a
 * hard link where the file system has them, so the newest backup is not written to disk a second
 * time nor stored twice; a copy (fsynced) where it has not.
 */
async function atomicLatest(from: string, to: string): Promise<void> {
  const tmp = path.join(path.dirname(to), `.${path.basename(to)}.${randomUUID().slice(0, 8)}.tmp`)
  try {
    await link(from, tmp)
    await rename(tmp, to)
    return
  } catch {
    await rm(tmp, { force: true })
  }
  try {
    await copyFile(from, tmp)
    const fh = await open(tmp, 'r+')
    try {
      await fh.chmod(0o600)
      await fh.sync()
    } finally {
      await fh.close()
    }
    await rename(tmp, to)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
}

/**
 * Completes the streaming check (the tree walk over page summaries). If it finds a problem, the full
 * verifySnapshot decides and its error is the one reported: the fast path never passes a file the
 * full check would refuse (test/unit/bbolt/streamVerify.test.ts) and never fails one it would pass.
 */
function verifyStreamed(checker: StreamingVerifier, part: string, streamed: { bytes: number; sha256: string }, log: Logger): { revision: number; totalKey: number } {
  if (checker.overBudget) {
    // A database of several GiB: the summaries would not be small any more; read it again instead.
    const v = verifySnapshot(part, { knownSha256: streamed.sha256 })
    return { revision: Number(v.status.revision), totalKey: v.status.totalKey }
  }
  try {
    return checker.finish(part, streamed.bytes - 32)
  } catch (err) {
    if (!(err instanceof BboltError)) throw err
    const v = verifySnapshot(part, { knownSha256: streamed.sha256 })
    log.warn(`the streaming check refused a snapshot that the full check accepts (${err.message}); using the full check's result`)
    return { revision: Number(v.status.revision), totalKey: v.status.totalKey }
  }
}

/**
 * The revision the cluster had when the snapshot was taken, as etcd restores it: the newest revision
 * in the key bucket, but at least the finished compaction's (a compaction can remove the newest
 * records, tombstones) and at least 1 (an empty store). etcdctl's "snapshot status" reports only the
 * first, 0 for an empty store.
 */
function storeRevision(file: string, lastKeyRevision: number): number {
  const r = readEtcdSnapshot(file)
  try {
    return Math.max(1, lastKeyRevision, Number(r.meta().finishedCompactRev?.main ?? 0n))
  } finally {
    r.close()
  }
}

export async function executeRun(req: RunRequest, deps: RunDeps): Promise<BackupRun> {
  const { schedule } = req
  const dest = schedule.destination
  const runId = randomUUID()
  const startedAt = deps.now()
  const record: BackupRun = { ...emptyRun(runId, startedAt, deps.version), scheduleId: schedule.id, scheduleName: schedule.name, trigger: req.trigger, reason: req.note ?? null, ...(req.noteMsg ? { reasonMsg: req.noteMsg } : {}) }
  let sink = dest
  let part: string | null = null

  const write = async (state: RunState, fields: Partial<BackupRun> = {}) => {
    Object.assign(record, fields, { state })
    const line: RunLine = { v: 1, run: runId, at: deps.now(), state, ...fields }
    if (state === 'started') Object.assign(line, { scheduleId: schedule.id, scheduleName: schedule.name, trigger: req.trigger, reason: record.reason, ...(record.reasonMsg ? { reasonMsg: record.reasonMsg } : {}), startedAt, raftdeckVersion: deps.version })
    await appendLine(sink, line)
    deps.onState?.({ ...record })
  }

  const finish = async (outcome: 'ok' | 'failed', f: RunFailed | null) => {
    const endedAt = deps.now()
    Object.assign(record, { outcome, endedAt, durationMs: endedAt - startedAt, reached: record.state })
    const reason = f?.reason ?? null
    if (f) {
      Object.assign(record, { reason: f.reason, hint: f.hint })
      // The keys go alongside the English; null when the cause has none (the English is shown then),
      // which also replaces a catch-up note's key from the 'started' line.
      Object.assign(record, { reasonMsg: f.reasonMsg, hintMsg: f.hintMsg })
    }
    // 'done' carries the whole record: one line per run is enough to read the history.
    const line = { ...record, v: 1 as const, at: endedAt, state: 'done' as const }
    record.state = 'done'
    await appendLine(sink, line).catch(async (err: Error) => {
      // The destination went away mid-run: the record must still land somewhere.
      deps.log.warn(`could not write to the manifest in ${sink}: ${err.message}; recording in the journal`)
      await appendLine(deps.journalDir, line)
    })
    deps.onState?.({ ...record })
    if (outcome === 'failed') deps.log.error(`backup "${schedule.name}" failed: ${reason}`)
    return { ...record }
  }

  // 1. The destination, before anything is written to it.
  let manifest: ManifestState
  try {
    manifest = await deps.readManifest(dest)
    const last = [...manifest.runs.values()].filter((r) => r.outcome === 'ok' && r.bytes).sort((a, b) => b.startedAt - a.startedAt)[0]
    await checkDestination(dest, 2 * (last?.bytes ?? 0), req.createDestination)
  } catch (err) {
    sink = deps.journalDir
    await write('started')
    return finish('failed', failure(err))
  }

  try {
    await write('started')
    // 2. A healthy member.
    const target = await req.resolveTarget()
    record.cluster = target.name
    let picked: PickedMember
    // A catch-up run starts with the app, possibly before a playground's members are up: give the
    // cluster a little while to answer before calling the run failed.
    const patience = req.trigger === 'catch-up' ? 30_000 : 0
    const giveUp = Date.now() + patience
    for (let delay = 500; ; delay = Math.min(5000, delay * 2)) {
      try {
        picked = await pickMember(target.client, target.endpoints)
        break
      } catch (err) {
        if (!(err instanceof NoHealthyMemberError) || err.authFailed || Date.now() + delay > giveUp) throw failure(err)
        await new Promise((r) => setTimeout(r, delay))
      }
    }
    const partName = `.${safeName(target.name)}-${utcStamp(startedAt)}-${runId.slice(0, 8)}.db.part`
    part = path.join(dest, partName)
    await write('picked', {
      cluster: target.name,
      endpoint: picked.endpoint,
      memberId: picked.memberId,
      memberName: picked.memberName,
      clusterId: picked.clusterId,
      etcdVersion: picked.etcdVersion,
      pickReason: picked.reason,
      pickReasonMsg: picked.reasonMsg,
      part: partName,
    })
    deps.log.info(`backup "${schedule.name}": snapshot from ${picked.endpoint} (${picked.reason})`)
    if (!manifest.runs.size || ![...manifest.runs.values()].some((r) => r.outcome === 'ok')) await checkDestination(dest, 2 * picked.dbSize, false)

    // 3. Stream, hashing and checking each page as it arrives.
    // 4. Verify: trailer (checked while streaming), bbolt consistency, etcd's buckets. The last part
    //    of the check (the tree walk) runs while the file's fsync is in flight; a failure is still
    //    reported as the verification's, after the 'streamed' line.
    const checker = new StreamingVerifier()
    const partFile = part
    const streamed = await streamSnapshotToFile(target.client, picked.endpoint, part, {
      ...(deps.signal ? { signal: deps.signal } : {}),
      onChunk: (b) => checker.push(b),
      whileSyncing: (s) => {
        try {
          return { status: verifyStreamed(checker, partFile, s, deps.log) }
        } catch (error) {
          return { error }
        }
      },
    })
    await write('streamed', { bytes: streamed.bytes, sha256: streamed.sha256 })
    if ('error' in streamed.checked) throw streamed.checked.error
    const status = streamed.checked.status
    const revision = storeRevision(part, status.revision)
    let expected: TrialExpectations | null = null
    let liveKeys: number | null = null
    if (deps.trial) {
      // What the source holds at the snapshot's revision, for the trial restore to compare against.
      expected = { revision, liveKeys: null, hashKV: null }
      try {
        const r = await target.client.range({ key: Buffer.from([0]), range_end: Buffer.from([0]), count_only: true, serializable: true, revision: String(revision) }, { endpoint: picked.endpoint })
        expected.liveKeys = liveKeys = Number(r.count)
        expected.hashKV = (await target.client.hashKV(picked.endpoint, String(revision))).hash
      } catch (err) {
        deps.log.warn(`backup "${schedule.name}": the source could not be asked for its keys and HashKV at revision ${revision} (${(err as Error).message}); the trial restore compares the revision only`)
      }
    }
    await write('verified', { revision, totalKey: status.totalKey, ...(liveKeys !== null ? { liveKeys } : {}) })

    // 5. Commit: fsync (done), rename, fsync the folder.
    let file = backupFileName(target.name, startedAt, revision)
    // Two runs in the same second (run now twice): never replace a file another run committed.
    if (await stat(path.join(dest, file)).catch(() => null)) file = file.replace(/\.db$/, `-${runId.slice(0, 8)}.db`)
    await rename(part, path.join(dest, file))
    part = null
    await fsyncDir(dest)
    await write('committed', { file })

    // 6. The `latest` file, replaced atomically.
    await atomicLatest(path.join(dest, file), path.join(dest, latestName(target.name)))
    await fsyncDir(dest)
    await write('latest')

    // 7. Trial restore.
    if (deps.trial && expected) {
      const trial = await deps.trial(path.join(dest, file), expected, streamed.bytes)
      await write('trial', { trial, restorable: trial.restorable })
      if (!trial.restorable) throw new RunFailed(msg('backup.run.trialFailed', { engine: trial.engine, reason: trial.reasonMsg ?? trial.reason ?? '' }), msg('backup.run.trialFailedHint'))
    }

    // 8. Retention: only now, after a verified (and restored) file.
    const pruned = await prune(schedule, dest, deps, runId)
    if (pruned !== null) await write('pruned', { pruned })
    return await finish('ok', null)
  } catch (err) {
    if (part) await rm(part, { force: true }).catch(() => {})
    return finish('failed', deps.signal?.aborted ? new RunFailed(msg('backup.run.cancelled'), msg('backup.run.cancelledHint')) : failure(err))
  }
}

/** Applies the schedule's retention to the files its manifest owns. Null when there is no policy. */
export async function prune(schedule: BackupSchedule, dest: string, deps: Pick<RunDeps, 'now' | 'log' | 'readManifest'>, runId?: string, dryRun = false): Promise<string[] | null> {
  const p = schedule.retention
  if (!(p.keepLast || p.keepDaily || p.keepWeekly || p.keepMonthly || p.maxAgeDays)) return null
  const plan = await retentionPlan(schedule, dest, deps)
  const removed: string[] = []
  for (const d of plan.decisions) {
    if (d.keep) continue
    if (dryRun) {
      removed.push(d.file)
      continue
    }
    const full = path.join(dest, d.file)
    // Never delete a file that changed since its run wrote it (it is no longer what the manifest describes).
    const st = await stat(full).catch(() => null)
    if (!st) continue
    if (st.size !== d.bytes) {
      deps.log.warn(`retention of "${schedule.name}" skipped ${d.file}: its size changed since it was written (${st.size} bytes, the manifest says ${d.bytes})`)
      continue
    }
    await unlink(full)
    await appendLine(dest, { v: 1, event: 'deleted', at: deps.now(), file: d.file, by: 'retention', ...(runId ? { run: runId } : {}) })
    removed.push(d.file)
  }
  if (removed.length && !dryRun) deps.log.info(`retention of "${schedule.name}" deleted ${removed.length} file(s): ${removed.join(', ')}`)
  return removed
}

/** The retention decisions for the owned files that are still there, and the folder's other files. */
export async function retentionPlan(schedule: Pick<BackupSchedule, 'retention' | 'timezone'>, dest: string, deps: Pick<RunDeps, 'now' | 'readManifest'>, retention = schedule.retention) {
  const m = await deps.readManifest(dest)
  const candidates = []
  for (const [file, own] of m.owned) {
    const r = m.runs.get(own.run)
    const st = await stat(path.join(dest, file)).catch(() => null)
    if (!st || !r) continue
    candidates.push({ file, createdAt: r.startedAt, revision: r.revision, bytes: r.bytes ?? st.size })
  }
  return { decisions: planRetention(candidates, retention, schedule.timezone, deps.now()), manifest: m }
}

export { DestinationError }
