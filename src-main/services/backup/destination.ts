// Checks on a destination folder before a run writes anything: it exists, it is a folder, this user
// can create files in it, and it has room for at least twice the last snapshot. Each failure says
// exactly what is wrong and what to do. A custom destination is never created: a missing NFS mount
// would otherwise be silently replaced by a folder on the local disk.

import { mkdir, open, stat, statfs, unlink } from 'node:fs/promises'
import path from 'node:path'
import { AppError, ErrorCode } from '../../shared'

export class DestinationError extends AppError {
  constructor(
    readonly problem: 'missing' | 'not-a-folder' | 'not-writable' | 'no-space' | 'unreadable',
    message: string,
    hint: string,
  ) {
    super(ErrorCode.FailedPrecondition, message, hint)
  }
}

const mb = (n: number) => `${(n / (1024 * 1024)).toFixed(n < 10 * 1024 * 1024 ? 1 : 0)} MiB`

export interface DestinationCheck {
  freeBytes: number
  neededBytes: number
}

/**
 * `neededBytes` is twice the last snapshot (or twice the member's db size when there is none yet).
 * `createIfMissing` only for the default folder under the data dir.
 */
export async function checkDestination(dir: string, neededBytes: number, createIfMissing: boolean): Promise<DestinationCheck> {
  if (!path.isAbsolute(dir)) throw new DestinationError('missing', `The destination "${dir}" is not an absolute path.`, 'Give the full path of the folder, e.g. /var/backups/etcd.')
  let st
  try {
    st = await stat(dir)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' && createIfMissing) {
      await mkdir(dir, { recursive: true, mode: 0o700 })
      st = await stat(dir)
    } else if (code === 'ENOENT')
      throw new DestinationError('missing', `The destination folder ${dir} does not exist.`, 'Create it (or mount the share it lives on) and run again; Raftdeck does not create a custom destination, so that a missing mount is never replaced by a folder on the local disk.')
    else throw new DestinationError('unreadable', `The destination ${dir} cannot be read (${code ?? (err as Error).message}).`, 'Check the permissions of the folder and of its parents.')
  }
  if (!st.isDirectory()) throw new DestinationError('not-a-folder', `The destination ${dir} is not a folder.`, 'Point the schedule at a folder.')

  // Create, fsync and remove a probe file: access(W_OK) says yes to root on a read-only mount.
  const probe = path.join(dir, `.raftdeck-write-test-${process.pid}`)
  try {
    const fh = await open(probe, 'wx', 0o600)
    try {
      await fh.write('probe')
      await fh.sync()
    } finally {
      await fh.close()
    }
    await unlink(probe)
  } catch (err) {
    await unlink(probe).catch(() => {})
    const code = (err as NodeJS.ErrnoException).code
    const why = code === 'EROFS' ? 'it is on a read-only file system' : code === 'EACCES' || code === 'EPERM' ? `this user (uid ${process.getuid?.() ?? '?'}) may not create files in it` : code === 'ENOSPC' || code === 'EDQUOT' ? 'the disk is full' : `creating a file failed (${code ?? (err as Error).message})`
    if (code === 'ENOSPC' || code === 'EDQUOT') throw new DestinationError('no-space', `The destination ${dir} has no free space: ${why}.`, 'Free some space or move the destination.')
    throw new DestinationError('not-writable', `The destination ${dir} is not writable: ${why}.`, code === 'EROFS' ? 'Remount it read-write or choose another folder.' : 'Give this user write permission on the folder, or choose another one.')
  }

  const fs = await statfs(dir)
  const freeBytes = Number(fs.bavail) * Number(fs.bsize)
  if (freeBytes < neededBytes)
    throw new DestinationError(
      'no-space',
      `The destination ${dir} has ${mb(freeBytes)} free; at least ${mb(neededBytes)} is needed (twice the last snapshot, ${mb(neededBytes / 2)}).`,
      'Free some space (a tighter retention policy helps) or move the destination.',
    )
  return { freeBytes, neededBytes }
}
