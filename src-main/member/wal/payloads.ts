/** Binary payloads of WAL records (see record.ts for the framing). */

export interface WalEntry {
  term: number
  index: number
  type: number
  data: Uint8Array
}

export interface WalHardState {
  term: number
  vote: string
  commit: number
}

export interface WalMetadata {
  memberId: string
  clusterId: string
  /** Membership the member started with (the bootstrap conf changes carry only IDs). */
  initialMembers?: Array<{ ID: string; name: string; peerURLs: string[]; clientURLs: string[]; isLearner: boolean }>
}

export interface WalSnapshotMark {
  index: number
  term: number
}

export function encodeEntry(e: WalEntry): Buffer {
  const b = Buffer.allocUnsafe(17 + e.data.length)
  b.writeDoubleLE(e.term, 0)
  b.writeDoubleLE(e.index, 8)
  b[16] = e.type
  b.set(e.data, 17)
  return b
}

export function decodeEntry(b: Buffer): WalEntry {
  // Copy: the source buffer is a whole segment file we do not want to keep alive.
  return { term: b.readDoubleLE(0), index: b.readDoubleLE(8), type: b[16]!, data: Buffer.from(b.subarray(17)) }
}

export function encodeHardState(h: WalHardState): Buffer {
  const vote = Buffer.from(h.vote, 'latin1')
  const b = Buffer.allocUnsafe(16 + vote.length)
  b.writeDoubleLE(h.term, 0)
  b.writeDoubleLE(h.commit, 8)
  b.set(vote, 16)
  return b
}

export function decodeHardState(b: Buffer): WalHardState {
  return { term: b.readDoubleLE(0), commit: b.readDoubleLE(8), vote: b.subarray(16).toString('latin1') }
}

export function encodeMetadata(m: WalMetadata): Buffer {
  return Buffer.from(JSON.stringify(m))
}

export function decodeMetadata(b: Buffer): WalMetadata {
  return JSON.parse(b.toString()) as WalMetadata
}

export function encodeSnapshotMark(s: WalSnapshotMark): Buffer {
  const b = Buffer.allocUnsafe(16)
  b.writeDoubleLE(s.index, 0)
  b.writeDoubleLE(s.term, 8)
  return b
}

export function decodeSnapshotMark(b: Buffer): WalSnapshotMark {
  return { index: b.readDoubleLE(0), term: b.readDoubleLE(8) }
}
