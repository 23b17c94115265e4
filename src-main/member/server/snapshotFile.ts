/**
 * What a member's snapshot file holds after its CRC: the Raft configuration beside the state,
 * `[u32 LE length][conf JSON][state]` (state: stateCodec.ts). Both directions stream.
 *
 * In the Raft log the snapshot's data is empty: the state lives in the file named by the
 * snapshot's term and index, which the transport streams to a peer that needs it.
 */
import type { ConfState } from '../../raft/index'
import { encodeStateChunks, SnapshotFormatError, StateDecoder, type FrozenState, type StateImage } from './stateCodec'

/** The data of a Raft snapshot whose state is in the member's snapshot file. */
export const SNAPSHOT_DATA_IN_FILE = new Uint8Array(0)

function confPrefix(confState: ConfState): Buffer {
  const conf = Buffer.from(JSON.stringify(confState))
  const len = Buffer.allocUnsafe(4)
  len.writeUInt32LE(conf.length, 0)
  return Buffer.concat([len, conf])
}

/**
 * The file's data chunk by chunk, encoded as they are pulled. A chunk may be small, or empty: an
 * empty one asks the consumer for a turn of the event loop (see encodeRecordChunks). With `reuse`
 * a chunk's buffer is written over once the next is pulled (encodeRecordChunks).
 */
export function* snapshotFileChunks(confState: ConfState, state: FrozenState | Iterable<Buffer>, reuse = false): Generator<Buffer> {
  yield confPrefix(confState)
  yield* Symbol.iterator in state ? state : encodeStateChunks(state, reuse)
}

/** The file's data in one buffer (tests and small states). */
export function encodeSnapshotFile(confState: ConfState, state: Buffer): Buffer {
  return Buffer.concat([confPrefix(confState), state])
}

/** Reads a snapshot file's data from chunks: the configuration, then the state. */
export class SnapshotFileDecoder {
  private prefix: Buffer[] | undefined = []
  private prefixBytes = 0
  confState: ConfState | undefined
  private readonly state: { push(c: Uint8Array): void }

  constructor(state: { push(c: Uint8Array): void } = new StateDecoder()) {
    this.state = state
  }

  push(chunk: Buffer): void {
    if (!this.prefix) {
      this.state.push(chunk)
      return
    }
    this.prefix.push(chunk)
    this.prefixBytes += chunk.length
    if (this.prefixBytes < 4) return
    const head = Buffer.concat(this.prefix)
    const len = head.readUInt32LE(0)
    if (head.length < 4 + len) {
      this.prefix = [head]
      return
    }
    try {
      this.confState = JSON.parse(head.subarray(4, 4 + len).toString()) as ConfState
    } catch {
      throw new SnapshotFormatError('snap: unreadable Raft configuration in a snapshot file')
    }
    this.prefix = undefined
    if (head.length > 4 + len) this.state.push(head.subarray(4 + len))
  }
}

/** Decodes a whole snapshot file's data held in memory (tests). */
export function decodeSnapshotFile(data: Buffer): { confState: ConfState; image: StateImage } {
  const state = new StateDecoder()
  const d = new SnapshotFileDecoder(state)
  d.push(data)
  if (!d.confState) throw new SnapshotFormatError('snap: snapshot file ends early')
  return { confState: d.confState, image: state.finish() }
}

/** Bytes decoded between two looks at the clock, and the longest decode slice. */
const DECODE_PIECE = 64 * 1024
const DECODE_SLICE_MS = 5

/** A state being restored: fed the state's bytes, swapped in by the caller once all arrived. */
export interface StateSink {
  push(chunk: Uint8Array): void
}

/**
 * Feeds a snapshot file's data chunks (as Snapshotter.read yields them) to `state` and returns the
 * Raft configuration. A decode error in a file whose CRC then fails is reported as the CRC failure
 * (the bytes were damaged, not written by another version). `stopped` aborts between chunks.
 */
export async function readSnapshotFile(chunks: AsyncIterable<Buffer>, state: StateSink, stopped: () => boolean = () => false): Promise<ConfState> {
  const d = new SnapshotFileDecoder(state)
  let decodeError: unknown
  let t0 = performance.now()
  for await (const c of chunks) {
    if (stopped()) throw new Error('snap: stopped while reading a snapshot')
    if (decodeError) continue
    try {
      // A 1 MiB chunk of small revisions is tens of thousands of records: decode it in pieces,
      // with a turn of the event loop whenever a slice's time is up.
      for (let off = 0; off < c.length; off += DECODE_PIECE) {
        d.push(off === 0 && c.length <= DECODE_PIECE ? c : c.subarray(off, off + DECODE_PIECE))
        if (performance.now() - t0 >= DECODE_SLICE_MS) {
          await new Promise((r) => setImmediate(r))
          t0 = performance.now()
        }
      }
    } catch (err) {
      // Read on to the end: the CRC check there tells damage from an unknown format.
      decodeError = err
    }
  }
  if (decodeError) throw decodeError
  if (!d.confState) throw new SnapshotFormatError('snap: snapshot file ends early')
  return d.confState
}
