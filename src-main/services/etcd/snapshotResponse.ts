// A decoder for Maintenance.Snapshot's response message, written by hand because a snapshot is
// thousands of them (one per 32 KiB): the generic protobufjs decoder builds its objects field by
// field and turns every 64-bit number into a Long and then a decimal string. This one gives the same
// result (test/unit/backup/snapshotResponse.test.ts compares both; a message without a header reads
// as a header of zeros), returns the blob as a view of gRPC's message buffer (no copy) and skips
// unknown fields by wire type as any protobuf reader does. A malformed message (truncated, a length
// past its end, a known field with the wrong wire type, groups) throws; grpc-js then ends the call
// with that message, and the run fails with it (nothing is kept).
//
//   message SnapshotResponse { ResponseHeader header = 1; uint64 remaining_bytes = 2; bytes blob = 3; }
//   message ResponseHeader { uint64 cluster_id = 1; uint64 member_id = 2; int64 revision = 3; uint64 raft_term = 4; }

import type { ResponseHeader, SnapshotResponse } from './messages'

function malformed(why: string): Error {
  return new Error(`malformed SnapshotResponse: ${why}`)
}

// The read position of the message being decoded. Decoding is synchronous, so one cursor serves all.
let pos = 0

/** The varint at `pos` (advanced past it), as a decimal string of a 64-bit unsigned or signed value. */
function varint(b: Uint8Array, end: number, signed: boolean): string {
  let value = 0
  let mult = 1
  for (let i = 0; ; i++) {
    if (i >= 10) throw malformed('varint longer than 10 bytes')
    if (pos >= end) throw malformed('truncated varint')
    const byte = b[pos++]!
    value += (byte & 0x7f) * mult
    if ((byte & 0x80) === 0) {
      // Up to 7 bytes (49 bits) the number is exact; longer ones are rare (IDs): redo them in BigInt.
      if (i < 7) return String(value)
      let big = 0n
      for (let j = i; j >= 0; j--) big = (big << 7n) | BigInt(b[pos - 1 - (i - j)]! & 0x7f)
      return (signed ? BigInt.asIntN(64, big) : BigInt.asUintN(64, big)).toString()
    }
    mult *= 128
  }
}

/** A tag or length varint: small by construction, refused when it is not. */
function smallVarint(b: Uint8Array, end: number): number {
  let value = 0
  let mult = 1
  for (let i = 0; ; i++) {
    if (i >= 5) throw malformed('tag or length varint longer than 5 bytes')
    if (pos >= end) throw malformed('truncated varint')
    const byte = b[pos++]!
    value += (byte & 0x7f) * mult
    if ((byte & 0x80) === 0) return value
    mult *= 128
  }
}

/** Skips a field of `wire` type that this decoder does not read. */
function skip(b: Uint8Array, end: number, wire: number, field: number): void {
  if (wire === 0) varint(b, end, false)
  else if (wire === 2) {
    const len = smallVarint(b, end)
    if (pos + len > end) throw malformed(`field ${field} runs past the message`)
    pos += len
  } else if (wire === 1 || wire === 5) {
    pos += wire === 1 ? 8 : 4
    if (pos > end) throw malformed(`field ${field} runs past the message`)
  } else throw malformed(`unsupported wire type ${wire} for field ${field}`)
}

function header(b: Uint8Array, end: number, into: ResponseHeader): void {
  while (pos < end) {
    const tag = smallVarint(b, end)
    const field = tag >>> 3
    const wire = tag & 7
    if (field === 0) throw malformed('field number 0 in the header')
    if (field >= 1 && field <= 4) {
      if (wire !== 0) throw malformed(`header field ${field} has wire type ${wire}, expected 0 (varint)`)
      const v = varint(b, end, field === 3)
      if (field === 1) into.cluster_id = v
      else if (field === 2) into.member_id = v
      else if (field === 3) into.revision = v
      else into.raft_term = v
    } else skip(b, end, wire, field)
  }
}

/** Decodes one SnapshotResponse message (what gRPC hands over, without its 5-byte frame). */
export function decodeSnapshotResponse(b: Buffer): SnapshotResponse {
  const out: SnapshotResponse = { header: { cluster_id: '0', member_id: '0', revision: '0', raft_term: '0' }, remaining_bytes: '0', blob: b.subarray(0, 0) }
  pos = 0
  const end = b.length
  while (pos < end) {
    const tag = smallVarint(b, end)
    const field = tag >>> 3
    const wire = tag & 7
    if (field === 0) throw malformed('field number 0')
    if (field >= 1 && field <= 3 && wire !== (field === 2 ? 0 : 2))
      throw malformed(`field ${field} has wire type ${wire}, expected ${field === 2 ? '0 (varint)' : '2 (length-delimited)'}`)
    if (field === 1) {
      const len = smallVarint(b, end)
      if (pos + len > end) throw malformed('the header runs past the message')
      header(b, pos + len, out.header)
    } else if (field === 2) out.remaining_bytes = varint(b, end, false)
    else if (field === 3) {
      const len = smallVarint(b, end)
      if (pos + len > end) throw malformed('the blob runs past the message')
      out.blob = b.subarray(pos, pos + len)
      pos += len
    } else skip(b, end, wire, field)
  }
  return out
}
