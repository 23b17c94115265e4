// Streams Maintenance.Snapshot from one member into a `.part` file, hashing on the way: SHA-256 over
// everything but the last 32 bytes, which etcd sends as the trailer. The stream is complete only if it
// ended where the server said (remaining_bytes 0) and the trailer equals the digest; then the file is
// fsynced. On any failure the `.part` is removed.
//
// Writes are batched and asynchronous (snapshotWriter.ts): etcd sends 32 KiB messages, and one
// write(2) each on the main thread was a third of the client's CPU time; batches of about 1 MiB go
// to the thread pool while the next ones arrive. Memory stays flat: when the writes in flight reach
// their bound, the stream pauses (HTTP/2 flow control holds etcd back) until the disk catches up.

import { createHash } from 'node:crypto'
import { SNAPSHOT_HASH_SIZE } from '../../bbolt/constants'
import { AppError, ErrorCode, msg, type Msg } from '../../shared'
import type { EtcdClient } from '../etcd/client'
import { SnapshotWriter } from './snapshotWriter'
import { collectYoungGeneration } from './youngGc'

/** Bytes received between two scavenges (youngGc.ts): 2 MiB kept peak RSS at 125–135 MiB, 4 MiB at 140. */
const COLLECT_EVERY = 2 * 1024 * 1024

export interface StreamedSnapshot<T = undefined> {
  bytes: number
  /** SHA-256 of the database part (hex), equal to the trailer. */
  sha256: string
  /** What `whileSyncing` returned. */
  checked: T
}

export class StreamError extends AppError {
  constructor(message: Msg, hint: Msg) {
    super(ErrorCode.Unavailable, message, hint)
  }
}

/**
 * SHA-256 over a snapshot's bytes but the last 32, which it keeps apart: the trailer etcd appends.
 * The bytes may come in pieces of any size; where the trailer starts is known only at the end.
 */
export class TrailerHash {
  private readonly hash = createHash('sha256')
  // The last 32 bytes seen so far: the trailer, unless more data follows.
  private tail = Buffer.alloc(0)

  push(blob: Uint8Array): void {
    if (blob.length >= SNAPSHOT_HASH_SIZE) {
      if (this.tail.length) this.hash.update(this.tail)
      this.hash.update(blob.subarray(0, blob.length - SNAPSHOT_HASH_SIZE))
      this.tail = Buffer.from(blob.subarray(blob.length - SNAPSHOT_HASH_SIZE))
    } else {
      const joined = Buffer.concat([this.tail, blob])
      const cut = Math.max(0, joined.length - SNAPSHOT_HASH_SIZE)
      this.hash.update(joined.subarray(0, cut))
      this.tail = Buffer.from(joined.subarray(cut))
    }
  }

  /** The digest of all but the last 32 bytes, and those bytes (fewer if fewer came). */
  finish(): { sha256: Buffer; trailer: Buffer } {
    return { sha256: this.hash.digest(), trailer: this.tail }
  }
}

export async function streamSnapshotToFile<T = undefined>(
  client: EtcdClient,
  endpoint: string,
  part: string,
  opts: {
    signal?: AbortSignal
    onProgress?: (received: number, total: number | null) => void
    onChunk?: (blob: Buffer) => void
    /** Runs when the stream is complete, checked and written, while the file's fsync is in flight. */
    whileSyncing?: (streamed: { bytes: number; sha256: string }) => T
  } = {},
): Promise<StreamedSnapshot<T>> {
  const writer = await SnapshotWriter.create(part)
  const digest = new TrailerHash()
  let received = 0
  let total: number | null = null
  let lastRemaining = ''
  let lastReport = 0
  let lastCollect = 0
  try {
    await client.snapshot(
      endpoint,
      (blob, remaining) => {
        if (total === null && remaining !== '0') total = Number(remaining) + blob.length
        received += blob.length
        lastRemaining = remaining
        if (received - lastCollect >= COLLECT_EVERY) {
          lastCollect = received
          collectYoungGeneration()
        }
        digest.push(blob)
        opts.onChunk?.(blob)
        if (opts.onProgress && (received - lastReport > 4 * 1024 * 1024 || remaining === '0')) {
          lastReport = received
          opts.onProgress(received, total)
        }
        // The writer copies `blob` into its batch; a promise (every batch waits for the disk) pauses the stream.
        return writer.write(blob)
      },
      opts.signal,
    )
    if (received === 0) throw new StreamError(msg('backup.stream.empty', { endpoint }), msg('backup.stream.emptyHint'))
    if (lastRemaining !== '0')
      throw new StreamError(msg('backup.stream.endedEarly', { endpoint, remaining: String(lastRemaining) }), msg('backup.stream.endedEarlyHint'))
    if (received % 512 !== SNAPSHOT_HASH_SIZE)
      throw new StreamError(msg('backup.stream.noTrailer', { endpoint, bytes: String(received) }), msg('backup.stream.noTrailerHint'))
    const { sha256, trailer } = digest.finish()
    if (!sha256.equals(trailer))
      throw new StreamError(msg('backup.stream.shaMismatch', { endpoint, computed: sha256.toString('hex'), trailer: trailer.toString('hex') }), msg('backup.stream.shaMismatchHint'))
    // Every byte written, then fsync: the file is complete on disk before anyone renames it.
    const done = { bytes: received, sha256: sha256.toString('hex') }
    const whileSyncing = opts.whileSyncing
    const checked = await writer.finish(received, () => whileSyncing?.(done) as T)
    return { ...done, checked }
  } catch (err) {
    await writer.abort()
    throw err
  }
}
