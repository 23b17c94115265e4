// Checks on a destination folder before a run writes anything: it exists, it is a folder, this user
// can create files in it, and it has room for at least twice the last snapshot. Each failure says
// exactly what is wrong and what to do. A custom destination is never created: a missing NFS mount
// would otherwise be silently replaced by a folder on the local disk.

import { mkdir, open, stat, statfs, unlink } from 'node:fs/promises'
import path from 'node:path'
import { AppError, ErrorCode, msg, type Msg } from '../../shared'

export class DestinationError extends AppError {
  constructor(
    readonly problem: 'missing' | 'not-a-folder' | 'not-writable' | 'no-space' | 'unreadable',
    message: Msg,
    hint: Msg,
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
  if (!path.isAbsolute(dir)) throw new DestinationError('missing', msg('backup.dest.notAbsolute', { dir }), msg('backup.dest.notAbsoluteHint'))
  let st
  try {
    st = await stat(dir)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' && createIfMissing) {
      await mkdir(dir, { recursive: true, mode: 0o700 })
      st = await stat(dir)
    } else if (code === 'ENOENT')
      throw new DestinationError('missing', msg('backup.dest.missing', { dir }), msg('backup.dest.missingHint'))
    else throw new DestinationError('unreadable', msg('backup.dest.unreadable', { dir, code: code ?? (err as Error).message }), msg('backup.dest.unreadableHint'))
  }
  if (!st.isDirectory()) throw new DestinationError('not-a-folder', msg('backup.dest.notFolder', { dir }), msg('backup.dest.notFolderHint'))

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
    const why =
      code === 'EROFS'
        ? msg('backup.dest.why.readOnly')
        : code === 'EACCES' || code === 'EPERM'
          ? msg('backup.dest.why.noPermission', { uid: String(process.getuid?.() ?? '?') })
          : code === 'ENOSPC' || code === 'EDQUOT'
            ? msg('backup.dest.why.full')
            : msg('backup.dest.why.createFailed', { code: code ?? (err as Error).message })
    if (code === 'ENOSPC' || code === 'EDQUOT') throw new DestinationError('no-space', msg('backup.dest.noSpace', { dir, why }), msg('backup.dest.noSpaceHint'))
    throw new DestinationError('not-writable', msg('backup.dest.notWritable', { dir, why }), code === 'EROFS' ? msg('backup.dest.readOnlyHint') : msg('backup.dest.permissionHint'))
  }

  const fs = await statfs(dir)
  const freeBytes = Number(fs.bavail) * Number(fs.bsize)
  if (freeBytes < neededBytes)
    throw new DestinationError(
      'no-space',
      msg('backup.dest.tooSmall', { dir, free: mb(freeBytes), needed: mb(neededBytes), last: mb(neededBytes / 2) }),
      msg('backup.dest.tooSmallHint'),
    )
  return { freeBytes, neededBytes }
}
