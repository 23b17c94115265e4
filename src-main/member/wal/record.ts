/**
 * WAL record framing: `[u32 LE payload length][u32 LE CRC-32 of type+payload][u8 type][payload]`.
 *
 * A record is only trusted when its whole frame is present and its CRC matches, so a crash in
 * the middle of a write (a torn tail) or garbage left by a failed disk shows up as a bad frame and
 * replay stops there instead of loading it.
 */
import { crc32 } from 'node:zlib'

export const RecordType = {
  /** First record of every segment: member and cluster IDs (so a data dir belongs to one cluster). */
  Metadata: 1,
  Entry: 2,
  HardState: 3,
  /** A snapshot was saved at (index, term); entries before it are no longer needed. */
  Snapshot: 4,
} as const
export type RecordType = (typeof RecordType)[keyof typeof RecordType]

export const FRAME_HEADER = 9
/** Longest payload we accept when reading; anything larger is a corrupt length field. */
export const MAX_RECORD = 256 * 1024 * 1024

export function encodeRecord(type: RecordType, payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER + payload.length)
  frame.writeUInt32LE(payload.length, 0)
  frame[8] = type
  frame.set(payload, FRAME_HEADER)
  frame.writeUInt32LE(crc32(frame.subarray(8)), 4)
  return frame
}

/** Disks write whole sectors: a write a crash interrupted leaves whole sectors unwritten. */
const SECTOR = 512

/**
 * etcd's isTornEntry: a record whose CRC fails is a torn write when some sector-aligned piece of it
 * is all zeros (the preallocated space a crash left unwritten); a CRC failure with every sector
 * written is damage (a bit flip, a bad disk, a stray write) and must not be cut away as if it were
 * a crash.
 */
function isTornWrite(buf: Buffer, from: number, to: number): boolean {
  let at = from
  while (at < to) {
    const next = Math.min(to, (Math.floor(at / SECTOR) + 1) * SECTOR)
    let zero = true
    for (let i = at; i < next; i++) {
      if (buf[i] !== 0) {
        zero = false
        break
      }
    }
    if (zero) return true
    at = next
  }
  return false
}

export interface DecodedRecord {
  type: RecordType
  payload: Buffer
  /** Offset just past this record. */
  end: number
}

export type DecodeResult = { ok: true; record: DecodedRecord } | { ok: false; reason: 'end' | 'torn' | 'corrupt' }

/**
 * Decode the record at `offset`. 'torn' = the frame runs past the data, or fails its CRC with a
 * sector left unwritten; 'corrupt' = any other bad CRC, an impossible length or type.
 */
export function decodeRecord(buf: Buffer, offset: number): DecodeResult {
  if (offset === buf.length) return { ok: false, reason: 'end' }
  if (buf.length - offset < FRAME_HEADER) return { ok: false, reason: 'torn' }
  const len = buf.readUInt32LE(offset)
  if (len > MAX_RECORD) return { ok: false, reason: 'corrupt' }
  const end = offset + FRAME_HEADER + len
  if (end > buf.length) return { ok: false, reason: 'torn' }
  const crc = buf.readUInt32LE(offset + 4)
  if (crc32(buf.subarray(offset + 8, end)) !== crc) return { ok: false, reason: isTornWrite(buf, offset + 4, end) ? 'torn' : 'corrupt' }
  const type = buf[offset + 8] as RecordType
  if (type < RecordType.Metadata || type > RecordType.Snapshot) return { ok: false, reason: 'corrupt' }
  return { ok: true, record: { type, payload: buf.subarray(offset + FRAME_HEADER, end), end } }
}
