// Streams Maintenance.Snapshot from one member into a `.part` file. Each chunk is written as it
// arrives (synchronously, so nothing queues up in memory whatever the snapshot's size) and hashed on
// the way: SHA-256 over everything but the last 32 bytes, which etcd sends as the trailer. The stream
// is complete only if it ended where the server said (remaining_bytes 0) and the trailer equals the
// digest; then the file is fsynced. On any failure the `.part` is removed.

import { createHash } from 'node:crypto'
import fs from 'node:fs'
import { SNAPSHOT_HASH_SIZE } from '../../bbolt/constants'
import { AppError, ErrorCode } from '../../shared'
import type { EtcdClient } from '../etcd/client'

export interface StreamedSnapshot {
  bytes: number
  /** SHA-256 of the database part (hex), equal to the trailer. */
  sha256: string
}

export class StreamError extends AppError {
  constructor(message: string, hint: string) {
    super(ErrorCode.Unavailable, message, hint)
  }
}

export async function streamSnapshotToFile(
  client: EtcdClient,
  endpoint: string,
  part: string,
  opts: { signal?: AbortSignal; onProgress?: (received: number, total: number | null) => void; onChunk?: (blob: Buffer) => void } = {},
): Promise<StreamedSnapshot> {
  const fd = fs.openSync(part, 'wx', 0o600)
  let closed = false
  const hash = createHash('sha256')
  // The last 32 bytes seen so far: the trailer, unless more data follows.
  let tail = Buffer.alloc(0)
  let received = 0
  let total: number | null = null
  let lastRemaining = ''
  let lastReport = 0
  try {
    await client.snapshot(
      endpoint,
      (blob, remaining) => {
        if (total === null && remaining !== '0') total = Number(remaining) + blob.length
        fs.writeSync(fd, blob)
        opts.onChunk?.(blob)
        received += blob.length
        lastRemaining = remaining
        if (blob.length >= SNAPSHOT_HASH_SIZE) {
          if (tail.length) hash.update(tail)
          hash.update(blob.subarray(0, blob.length - SNAPSHOT_HASH_SIZE))
          tail = Buffer.from(blob.subarray(blob.length - SNAPSHOT_HASH_SIZE))
        } else {
          const joined = Buffer.concat([tail, blob])
          const cut = Math.max(0, joined.length - SNAPSHOT_HASH_SIZE)
          hash.update(joined.subarray(0, cut))
          tail = Buffer.from(joined.subarray(cut))
        }
        if (opts.onProgress && (received - lastReport > 4 * 1024 * 1024 || remaining === '0')) {
          lastReport = received
          opts.onProgress(received, total)
        }
      },
      opts.signal,
    )
    if (received === 0) throw new StreamError(`${endpoint} sent an empty snapshot.`, 'Run again; if it repeats, check the member’s log.')
    if (lastRemaining !== '0')
      throw new StreamError(`The snapshot stream from ${endpoint} ended early, with ${lastRemaining} bytes still to come (the connection was lost or the member stopped).`, 'Nothing was kept. Check the member and run again.')
    if (received % 512 !== SNAPSHOT_HASH_SIZE)
      throw new StreamError(`The snapshot from ${endpoint} has no SHA-256 trailer (${received} bytes, not 512·n + 32).`, 'etcd 3.4.8 and later send it; upgrade the member or take the snapshot from another one.')
    const digest = hash.digest()
    if (!digest.equals(tail))
      throw new StreamError(`The snapshot from ${endpoint} does not match its own SHA-256 trailer (computed ${digest.toString('hex')}, trailer ${tail.toString('hex')}): the data was damaged in transit or on the member.`, 'Nothing was kept. Run again; if it repeats, take it from another member.')
    fs.fsyncSync(fd)
    fs.closeSync(fd)
    closed = true
    return { bytes: received, sha256: digest.toString('hex') }
  } catch (err) {
    if (!closed) fs.closeSync(fd)
    fs.rmSync(part, { force: true })
    throw err
  }
}
