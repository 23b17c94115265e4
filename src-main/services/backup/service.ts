// Snapshots kept by Raftdeck under <data dir>/backups/<source>/<time>.db, taken from the target's
// leader (the freshest member) and verified before they are listed.

import { mkdir, readdir, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { BboltError, snapshotStatus, verifySnapshot } from '../../bbolt'
import { AppError, ErrorCode, formatMessage, msg, type Target } from '../../shared'
import type { BackupFile, SnapshotInspection, SnapshotProblem } from '../../shared/api/backups'
import type { Logger } from '../log'
import type { TargetResolver } from '../targets'
import { stoppedError, throwIfStopped } from '../cancel'
import type { Cancellable } from '../types'
import { saveSnapshotFile } from './snapshotFile'

const safe = (name: string) => name.replace(/[^a-zA-Z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'cluster'

function problemOf(err: unknown): SnapshotProblem {
  if (err instanceof BboltError) return { code: err.code, message: err.message, hint: err.hint }
  const hintMsg = msg('backup.oneOff.unreadableHint')
  return { code: 'UNREADABLE', message: err instanceof Error ? err.message : String(err), hint: formatMessage(hintMsg), hintMsg }
}

export class BackupService {
  readonly root: string
  /** Verifying reads the whole file: remember results per (path, size, mtime). */
  private readonly checked = new Map<string, { key: string; info: SnapshotInspection }>()

  constructor(
    dataDir: string,
    private readonly targets: TargetResolver,
    private readonly log: Logger,
  ) {
    this.root = path.join(dataDir, 'backups')
  }

  async inspect(file: string): Promise<SnapshotInspection> {
    const abs = path.resolve(file)
    let bytes = 0
    try {
      bytes = (await stat(abs)).size
    } catch {
      const m = msg('backup.oneOff.noFile', { path: abs })
      const hintMsg = msg('backup.oneOff.noFileHint')
      return { path: abs, bytes: 0, status: null, problem: { code: 'NOT_FOUND', message: formatMessage(m), hint: formatMessage(hintMsg), msg: m, hintMsg } }
    }
    try {
      verifySnapshot(abs)
      const st = snapshotStatus(abs)
      return { path: abs, bytes, status: { hash: st.hash, revision: Number(st.revision), totalKey: st.totalKey, totalSize: st.totalSize }, problem: null }
    } catch (err) {
      return { path: abs, bytes, status: null, problem: problemOf(err) }
    }
  }

  async list(): Promise<BackupFile[]> {
    const out: BackupFile[] = []
    let sources: string[] = []
    try {
      sources = await readdir(this.root)
    } catch {
      return out
    }
    for (const source of sources) {
      let files: string[] = []
      try {
        files = (await readdir(path.join(this.root, source))).filter((f) => f.endsWith('.db'))
      } catch {
        continue
      }
      for (const f of files) {
        const p = path.join(this.root, source, f)
        const st = await stat(p)
        const key = `${st.size}:${st.mtimeMs}`
        let info = this.checked.get(p)?.key === key ? this.checked.get(p)!.info : null
        if (!info) {
          info = await this.inspect(p)
          this.checked.set(p, { key, info })
        }
        out.push({ path: p, source, createdAt: st.mtimeMs, bytes: info.bytes, status: info.status, problem: info.problem })
      }
    }
    return out.sort((a, b) => b.createdAt - a.createdAt)
  }

  /** Cancelled (or timed out) part-way, it leaves no file behind. */
  async saveNow(target: Target, call: Cancellable = {}): Promise<BackupFile> {
    const client = await this.targets.client(target)
    const policy = await this.targets.policy(target)
    // The leader has applied everything committed; any member would do, but the leader is freshest.
    let endpoint = policy.endpoints[0]!
    for (const e of policy.endpoints) {
      throwIfStopped(call.signal, 'No file was written.')
      try {
        const st = await client.status(e, 2000)
        if (st.leader === st.header.member_id) {
          endpoint = e
          break
        }
      } catch {
        // try the next one
      }
    }
    const dir = path.join(this.root, safe(policy.name))
    await mkdir(dir, { recursive: true, mode: 0o700 })
    const file = path.join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}.db`)
    const t0 = Date.now()
    try {
      const phase = `Streaming the snapshot from ${endpoint}`
      call.progress?.({ phase, done: 0, total: null, unit: 'bytes' })
      const progress = (received: number, remaining: number) => call.progress?.({ phase, done: received, total: received + remaining, unit: 'bytes' })
      await saveSnapshotFile(client, endpoint, file, progress, call.signal)
    } catch (err) {
      if (call.signal?.aborted) throw stoppedError(call.signal, 'No file was written.')
      if (err instanceof BboltError) throw new AppError(ErrorCode.Internal, msg('backup.oneOff.verifyFailed', { endpoint, detail: err.message }), err.hint)
      throw err
    }
    const info = await this.inspect(file)
    this.log.info(`saved a snapshot of "${policy.name}" from ${endpoint} (${info.bytes} bytes, revision ${info.status?.revision}) in ${Date.now() - t0} ms`)
    return { path: file, source: safe(policy.name), createdAt: Date.now(), bytes: info.bytes, status: info.status, problem: info.problem }
  }

  async remove(file: string): Promise<void> {
    const abs = path.resolve(file)
    if (!abs.startsWith(this.root + path.sep) || !abs.endsWith('.db'))
      throw new AppError(ErrorCode.PermissionDenied, msg('backup.oneOff.ownFolderOnly'), msg('backup.oneOff.ownFolderOnlyHint', { dir: this.root }))
    await rm(abs, { force: true })
    this.log.info(`deleted the snapshot ${abs}`)
  }
}
