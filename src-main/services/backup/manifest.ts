// The manifest of a destination folder: `manifest.jsonl`, one JSON object per line, appended and
// fsynced, never rewritten. A run writes one line per state transition before it starts the next
// state, so whatever point a crash stops it at, the next start can say what happened; its last line
// ('done') repeats the whole record, so `grep '"state":"done"'` alone gives the history. Lines about
// files (re-verified, deleted) follow the runs that wrote them. The files a manifest owns are the ones
// its runs committed and nobody deleted since: retention never touches anything else.

import { open, readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import type { BackupRun, RunState, RunTrigger, TrialRestoreResult } from '../../shared/api/backupSchedules'
import { isMsg, type Msg } from '../../shared/i18n/message'

export const MANIFEST_NAME = 'manifest.jsonl'
export const MANIFEST_VERSION = 1

export type RunLine = { v: 1; run: string; at: number; state: RunState } & Partial<Omit<BackupRun, 'run' | 'state'>>

export type FileLine =
  | { v: 1; event: 'reverified'; at: number; file: string; ok: boolean; message: string | null; messageMsg?: Msg }
  | { v: 1; event: 'deleted'; at: number; file: string; by: 'retention' | 'user'; run?: string }

export type ManifestLine = RunLine | FileLine

export interface ManifestState {
  runs: Map<string, BackupRun>
  /** Committed files not deleted since, by file name, with the run that wrote them. */
  owned: Map<string, { run: string; at: number }>
  reverified: Map<string, { at: number; ok: boolean; message: string | null; messageMsg?: Msg }>
  /** Lines that could not be parsed (a torn last line after a power cut, or a hand edit). */
  badLines: number
}

export function emptyRun(run: string, at: number, raftdeckVersion: string): BackupRun {
  return {
    run,
    scheduleId: '',
    scheduleName: '',
    trigger: 'schedule' as RunTrigger,
    state: 'started',
    outcome: 'running',
    reason: null,
    hint: null,
    startedAt: at,
    endedAt: null,
    cluster: null,
    clusterId: null,
    memberId: null,
    memberName: null,
    endpoint: null,
    pickReason: null,
    etcdVersion: null,
    revision: null,
    totalKey: null,
    liveKeys: null,
    bytes: null,
    sha256: null,
    file: null,
    restorable: null,
    trial: null as TrialRestoreResult | null,
    pruned: [],
    durationMs: null,
    raftdeckVersion,
  }
}

export function emptyState(): ManifestState {
  return { runs: new Map(), owned: new Map(), reverified: new Map(), badLines: 0 }
}

/** Folds one line into the state (pure; the order of lines is the order of events). */
export function applyLine(st: ManifestState, line: ManifestLine): void {
  if ('event' in line) {
    if (line.event === 'deleted') {
      st.owned.delete(line.file)
      st.reverified.delete(line.file)
    } else st.reverified.set(line.file, { at: line.at, ok: line.ok, message: line.message, ...(isMsg(line.messageMsg) ? { messageMsg: line.messageMsg } : {}) })
    return
  }
  const { v: _v, at, ...fields } = line
  const prev = st.runs.get(line.run) ?? emptyRun(line.run, at, line.raftdeckVersion ?? '')
  const next: BackupRun = { ...prev }
  for (const [k, val] of Object.entries(fields)) if (val !== undefined) (next as unknown as Record<string, unknown>)[k] = val
  if (line.state === 'started') next.startedAt = line.startedAt ?? at
  if (line.state === 'committed' && line.file) st.owned.set(line.file, { run: line.run, at })
  st.runs.set(line.run, next)
}

function isLine(x: unknown): x is ManifestLine {
  if (typeof x !== 'object' || x === null) return false
  const o = x as Record<string, unknown>
  if (typeof o.at !== 'number') return false
  if (typeof o.event === 'string') return typeof o.file === 'string' && !o.file.includes('/') && !o.file.includes('\\')
  return typeof o.run === 'string' && typeof o.state === 'string' && (o.file === undefined || o.file === null || (typeof o.file === 'string' && !o.file.includes('/') && !o.file.includes('\\')))
}

export function parseManifest(text: string, st: ManifestState = emptyState()): ManifestState {
  for (const raw of text.split('\n')) {
    const l = raw.trim()
    if (!l) continue
    try {
      const parsed: unknown = JSON.parse(l)
      if (isLine(parsed)) applyLine(st, parsed)
      else st.badLines++
    } catch {
      st.badLines++
    }
  }
  return st
}

/**
 * Reads manifests incrementally: a manifest only grows, so each read parses the bytes appended since
 * the last one (a year of hourly runs is tens of MB; the UI asks often).
 */
export class ManifestReader {
  private readonly cache = new Map<string, { offset: number; state: ManifestState; tail: string }>()
  /** One read at a time per file: two overlapping reads would both advance the offset. */
  private readonly queue = new Map<string, Promise<unknown>>()

  read(dir: string): Promise<ManifestState> {
    const file = path.join(dir, MANIFEST_NAME)
    const next = (this.queue.get(file) ?? Promise.resolve()).catch(() => {}).then(() => this.readNow(file))
    this.queue.set(file, next)
    void next.finally(() => {
      if (this.queue.get(file) === next) this.queue.delete(file)
    }).catch(() => {})
    return next
  }

  private async readNow(file: string): Promise<ManifestState> {
    let size: number
    try {
      size = (await stat(file)).size
    } catch {
      this.cache.delete(file)
      return emptyState()
    }
    let c = this.cache.get(file)
    if (!c || size < c.offset) {
      c = { offset: 0, state: emptyState(), tail: '' }
      this.cache.set(file, c)
    }
    if (size > c.offset) {
      const fh = await open(file, 'r')
      try {
        const buf = Buffer.alloc(size - c.offset)
        const { bytesRead } = await fh.read(buf, 0, buf.length, c.offset)
        const text = c.tail + buf.subarray(0, bytesRead).toString('utf8')
        // Keep an unfinished last line for the next read: it may be mid-append.
        const cut = text.lastIndexOf('\n')
        parseManifest(cut >= 0 ? text.slice(0, cut) : '', c.state)
        c.tail = cut >= 0 ? text.slice(cut + 1) : text
        c.offset += bytesRead
      } finally {
        await fh.close()
      }
    }
    return c.state
  }

  forget(dir: string): void {
    this.cache.delete(path.join(dir, MANIFEST_NAME))
  }
}

/** Appends one line and fsyncs it: the line is on disk before the caller moves on. */
export async function appendLine(dir: string, line: ManifestLine): Promise<void> {
  const fh = await open(path.join(dir, MANIFEST_NAME), 'a', 0o600)
  try {
    await fh.write(JSON.stringify(line) + '\n')
    await fh.sync()
  } finally {
    await fh.close()
  }
}

/** Reads a whole manifest once (the CLI; tests). */
export async function readManifestOnce(dir: string): Promise<ManifestState> {
  try {
    return parseManifest(await readFile(path.join(dir, MANIFEST_NAME), 'utf8'))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyState()
    throw err
  }
}
