/**
 * Member, cluster, request and lease IDs derived the way etcd derives them, so restore plans and
 * the app can predict them. IDs are uint64 and travel as canonical decimal strings (bigint inside).
 */
import { createHash } from 'node:crypto'

function first8(hash: Buffer): bigint {
  return hash.readBigUInt64BE(0)
}

/**
 * Member ID: first 8 bytes (big-endian) of SHA-1 over the member's peer URLs, sorted and
 * concatenated, then the cluster token; a member added at runtime also appends the Unix time in
 * seconds, which makes re-adding the same URLs produce a new ID.
 */
export function memberIdFor(peerURLs: readonly string[], token: string, unixSeconds?: number): string {
  const sorted = [...peerURLs].sort()
  let text = sorted.join('') + token
  if (unixSeconds !== undefined) text += String(unixSeconds)
  return first8(createHash('sha1').update(text).digest()).toString()
}

/** Cluster ID: first 8 bytes of SHA-1 over the sorted member IDs as 8-byte big-endian values. */
export function clusterIdFor(memberIds: readonly string[]): string {
  const sorted = memberIds.map((id) => BigInt(id)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  const buf = Buffer.alloc(8 * sorted.length)
  sorted.forEach((id, i) => buf.writeBigUInt64BE(id, 8 * i))
  return first8(createHash('sha1').update(buf).digest()).toString()
}

export function toHex(id: string): string {
  return BigInt(id).toString(16)
}

/**
 * etcd's ID generator: the low 16 bits of the member ID, then 40 bits of the start time in ms,
 * then an 8-bit counter; the time and counter part is incremented for each ID, so IDs from one
 * member are unique and those of different members differ in the prefix.
 */
export class IdGenerator {
  private readonly prefix: bigint
  private suffix: bigint
  private static readonly SUFFIX_BITS = 48n
  private static readonly SUFFIX_MASK = (1n << 48n) - 1n

  constructor(memberId: string, nowMs = Date.now()) {
    this.prefix = (BigInt(memberId) & 0xffffn) << IdGenerator.SUFFIX_BITS
    this.suffix = (BigInt(nowMs) & ((1n << 40n) - 1n)) << 8n
  }

  next(): bigint {
    this.suffix++
    return this.prefix | (this.suffix & IdGenerator.SUFFIX_MASK)
  }
}
