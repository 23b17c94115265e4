// Backup schedules: one JSON file (0600) in the data folder, the same for the app, the browser shell
// and the `raftdeck backup schedule` commands. Every read goes to disk (the file is small and another
// process may have changed it); every change is a read-modify-write under a lock file, written
// atomically. Schedules hold no secrets: they reference a saved connection (whose password is sealed)
// or a playground.

import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { randomUUID } from 'node:crypto'
import { AppError, ErrorCode, msg } from '../../shared'
import type { BackupSchedule } from '../../shared/api/backupSchedules'
import { writeFileAtomic } from '../fsAtomic'
import { acquireLock } from './fileLock'

interface StoreFile {
  version: 1
  schedules: BackupSchedule[]
}

export const SCHEDULES_FILE = 'backup-schedules.json'

export class ScheduleStore {
  readonly file: string

  constructor(dataDir: string) {
    this.file = path.join(dataDir, SCHEDULES_FILE)
  }

  async list(): Promise<BackupSchedule[]> {
    try {
      const parsed = JSON.parse(await readFile(this.file, 'utf8')) as StoreFile
      return Array.isArray(parsed.schedules) ? parsed.schedules : []
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw new AppError(ErrorCode.Internal, msg('backup.schedule.storeUnreadable', { file: this.file, detail: (err as Error).message }), msg('backup.schedule.storeUnreadableHint'))
    }
  }

  async get(idOrName: string): Promise<BackupSchedule> {
    const list = await this.list()
    const s = list.find((x) => x.id === idOrName) ?? list.find((x) => x.name.toLowerCase() === idOrName.toLowerCase())
    if (!s) throw new AppError(ErrorCode.NotFound, msg('backup.schedule.noSuch', { name: idOrName }), list.length ? msg('backup.schedule.noSuchHintList', { names: list.map((x) => x.name).join(', ') }) : msg('backup.schedule.noSuchHintNone'))
    return s
  }

  /** Applies `change` to the list under the store's lock and writes the result. */
  async update<T>(change: (list: BackupSchedule[]) => { list: BackupSchedule[]; result: T }): Promise<T> {
    const lock = await this.lockWithRetry()
    try {
      const { list, result } = change(await this.list())
      await writeFileAtomic(this.file, JSON.stringify({ version: 1, schedules: list } satisfies StoreFile, null, 2), 0o600)
      return result
    } finally {
      await lock.release()
    }
  }

  private async lockWithRetry() {
    // Writers hold it for milliseconds: wait a little instead of failing.
    const deadline = Date.now() + 5000
    for (;;) {
      try {
        return await acquireLock(`${this.file}.lock`, 'editing backup schedules')
      } catch (err) {
        if (Date.now() > deadline) throw new AppError(ErrorCode.Unavailable, msg('backup.schedule.storeBusy', { detail: (err as Error).message }), msg('backup.schedule.storeBusyHint'))
        await new Promise((r) => setTimeout(r, 50))
      }
    }
  }

  async save(input: Omit<BackupSchedule, 'id' | 'createdAt' | 'updatedAt'> & { id?: string }, now = Date.now()): Promise<BackupSchedule> {
    return this.update((list) => {
      const existing = input.id ? list.find((s) => s.id === input.id) : undefined
      if (input.id && !existing) throw new AppError(ErrorCode.NotFound, msg('backup.schedule.noSuchId', { id: input.id }))
      const clash = list.find((s) => s.name.toLowerCase() === input.name.toLowerCase() && s.id !== input.id)
      if (clash) throw new AppError(ErrorCode.Conflict, msg('backup.schedule.nameTaken', { name: clash.name }), msg('backup.schedule.nameTakenHint'))
      const next: BackupSchedule = { ...input, id: existing?.id ?? randomUUID(), createdAt: existing?.createdAt ?? now, updatedAt: now }
      const out = existing ? list.map((s) => (s.id === next.id ? next : s)) : [...list, next]
      return { list: out, result: next }
    })
  }

  async remove(id: string): Promise<BackupSchedule> {
    return this.update((list) => {
      const s = list.find((x) => x.id === id)
      if (!s) throw new AppError(ErrorCode.NotFound, msg('backup.schedule.noSuchId', { id }))
      return { list: list.filter((x) => x.id !== id), result: s }
    })
  }
}
