// A lock file shared by every process on this machine that uses the same data folder: the app, the
// browser shell and `raftdeck backup run` started by cron or a systemd timer. Created with O_EXCL, it
// names its holder (pid, host, purpose); a lock whose process is gone (same host, pid not alive) is
// stale and taken over, so a crash never blocks a schedule for good.

import { hostname } from 'node:os'
import { mkdir, open, readFile, stat, unlink } from 'node:fs/promises'
import path from 'node:path'

export interface LockHolder {
  pid: number
  host: string
  since: number
  purpose: string
}

export interface HeldLock {
  readonly file: string
  release(): Promise<void>
}

export class LockedError extends Error {
  constructor(
    readonly file: string,
    readonly holder: LockHolder | null,
  ) {
    super(holder ? `held by process ${holder.pid} on ${holder.host} since ${new Date(holder.since).toISOString()} (${holder.purpose})` : 'held by another process')
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function readHolder(file: string): Promise<LockHolder | null> {
  try {
    const h = JSON.parse(await readFile(file, 'utf8')) as LockHolder
    return typeof h.pid === 'number' ? h : null
  } catch {
    return null
  }
}

/** Whoever holds the lock, or null when it is free or stale. */
export async function lockHolder(file: string): Promise<LockHolder | null> {
  const h = await readHolder(file)
  if (!h) return null
  if (h.host === hostname() && !alive(h.pid)) return null
  return h
}

export async function acquireLock(file: string, purpose: string): Promise<HeldLock> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 })
  const me: LockHolder = { pid: process.pid, host: hostname(), since: Date.now(), purpose }
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(file, 'wx', 0o600)
      try {
        await fh.write(JSON.stringify(me))
        await fh.sync()
      } finally {
        await fh.close()
      }
      let released = false
      return {
        file,
        release: async () => {
          if (released) return
          released = true
          const h = await readHolder(file)
          if (h && h.pid === me.pid && h.since === me.since && h.host === me.host) await unlink(file).catch(() => {})
        },
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
    const holder = await readHolder(file)
    const stale = holder ? holder.host === me.host && !alive(holder.pid) : await olderThan(file, 10_000)
    if (!stale) throw new LockedError(file, holder)
    // Take over a stale lock: remove it only if it is still the same file we judged stale.
    const before = await stat(file).catch(() => null)
    const again = await readHolder(file)
    if (before && JSON.stringify(again) === JSON.stringify(holder)) await unlink(file).catch(() => {})
  }
  throw new LockedError(file, await readHolder(file))
}

/** An unreadable lock (torn write by a crash) counts as stale once it is a little old. */
async function olderThan(file: string, ms: number): Promise<boolean> {
  try {
    return Date.now() - (await stat(file)).mtimeMs > ms
  } catch {
    return true
  }
}
