/**
 * Maintenance.Snapshot: the member's state at one applied index as an etcd 3.4 snapshot file
 * (bbolt db + SHA-256), streamed in messages with `remaining_bytes`.
 *
 * The member's Raft loop shares this thread, so the work is cut into short slices: the state is
 * frozen in one synchronous copy of references, the layout pass is sliced by the bbolt layer, and
 * the bytes are encoded at most SLICE_MS (or MESSAGE_BYTES) at a time, with a turn of the event
 * loop between messages and a wait for the client whenever gRPC's buffer is full. Heartbeats and
 * applies keep flowing while a large snapshot streams.
 */
import type * as grpc from '@grpc/grpc-js'
import { etcdSnapshotStreamAsync } from '../../bbolt/index'
import type { ResponseHeader } from '../server/pb'
import type { StateMachine } from '../server/stateMachine'
import { freezeState } from './export'

/** Upper bound for one SnapshotResponse blob (etcd sends 32 KiB; bigger is fewer messages, still far below gRPC limits). */
export const MESSAGE_BYTES = 1024 * 1024
/** Encode at most this long before giving the event loop a turn. */
export const SLICE_MS = 4

interface SnapshotCall {
  write(msg: unknown): boolean
  end(): void
  once(ev: 'drain' | 'cancelled' | 'close', fn: () => void): unknown
  removeListener(ev: string, fn: () => void): unknown
  readonly cancelled: boolean
  readonly destroyed?: boolean
}

/** What a snapshot is streamed from: the applied state, response headers, the log. */
export interface SnapshotSource {
  readonly state: StateMachine
  header(revision?: number): ResponseHeader
  log(line: string): void
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

export async function streamSnapshot(server: SnapshotSource, call: SnapshotCall | grpc.ServerWritableStream<unknown, unknown>): Promise<{ bytes: number; appliedIndex: number }> {
  const c = call as SnapshotCall
  let stopped = false
  const onStop = (): void => {
    stopped = true
  }
  c.once('cancelled', onStop)
  c.once('close', onStop)
  const frozen = freezeState(server.state)
  try {
    await frozen.prepare()
    const stream = await etcdSnapshotStreamAsync(frozen.state, { sliceMs: SLICE_MS })
    server.log(`sending database snapshot to client: ${stream.totalBytes} bytes at index ${frozen.appliedIndex} (revision ${frozen.revision})`)
    let sent = 0
    let pending: Uint8Array[] = []
    let pendingBytes = 0
    let sliceStart = performance.now()
    const flush = async (): Promise<void> => {
      const blob = pending.length === 1 ? Buffer.from(pending[0]!) : Buffer.concat(pending, pendingBytes)
      pending = []
      pendingBytes = 0
      sent += blob.length
      const ok = c.write({ header: server.header(), remaining_bytes: String(stream.totalBytes - sent), blob })
      if (!ok) await drained(c)
      else await turn()
      sliceStart = performance.now()
    }
    for (const chunk of stream.chunks) {
      if (stopped || c.cancelled) throw new Error('snapshot: the client went away')
      pending.push(chunk)
      pendingBytes += chunk.length
      if (pendingBytes >= MESSAGE_BYTES || performance.now() - sliceStart >= SLICE_MS) await flush()
    }
    if (pendingBytes > 0) await flush()
    if (sent !== stream.totalBytes) throw new Error(`snapshot: sent ${sent} bytes, expected ${stream.totalBytes}`)
    c.end()
    server.log(`sent database snapshot to client: ${sent} bytes`)
    return { bytes: sent, appliedIndex: frozen.appliedIndex }
  } finally {
    frozen.release()
    c.removeListener('cancelled', onStop)
    c.removeListener('close', onStop)
  }
}

function drained(c: SnapshotCall): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      c.removeListener('drain', done)
      c.removeListener('cancelled', done)
      c.removeListener('close', done)
      resolve()
    }
    c.once('drain', done)
    c.once('cancelled', done)
    c.once('close', done)
  })
}
