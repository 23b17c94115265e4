// Saving a snapshot to a file so that the file is either complete and restorable, or absent: stream
// into FILE.part, check the stream ended where the server said, fsync, verify (SHA-256 trailer,
// bbolt consistency, etcd schema), then rename. Used by `raftdeck snapshot save` and the Backups area.

import fs from 'node:fs'
import { verifySnapshot } from '../../bbolt'
import { AppError, ErrorCode, msg } from '../../shared'
import type { EtcdClient } from '../etcd/client'

export interface SavedSnapshot {
  path: string
  bytes: number
}

/** An aborted `signal` stops the stream; the partial file is removed like on any other failure. */
export async function saveSnapshotFile(client: EtcdClient, endpoint: string, target: string, onProgress?: (received: number, remaining: number) => void, signal?: AbortSignal): Promise<SavedSnapshot> {
  const part = `${target}.part`
  const fd = fs.openSync(part, 'w', 0o600)
  let closed = false
  let received = 0
  let lastRemaining = ''
  try {
    await client.snapshot(endpoint, (blob, remaining) => {
      fs.writeSync(fd, blob)
      received += blob.length
      lastRemaining = remaining
      onProgress?.(received, Number(remaining))
    }, signal)
    if (received === 0) throw new AppError(ErrorCode.Unavailable, msg('backup.stream.empty', { endpoint }), msg('backup.stream.emptyHint'))
    if (lastRemaining !== '0') throw new AppError(ErrorCode.Unavailable, msg('backup.stream.endedEarly', { endpoint, remaining: lastRemaining }), msg('backup.stream.endedEarlyHint'))
    fs.fsyncSync(fd)
    fs.closeSync(fd)
    closed = true
    // Never keep a file that etcd could not restore.
    verifySnapshot(part)
    fs.renameSync(part, target)
    return { path: target, bytes: received }
  } catch (err) {
    if (!closed) fs.closeSync(fd)
    fs.rmSync(part, { force: true })
    throw err
  }
}
