/**
 * The first frame of a peer connection: who is calling, whom they want, and which cluster they are
 * in (`{from, to, clusterId}`), a joining member's question `{query: 'cluster'}`, or a member's
 * requests connection `{query: 'requests', from, clusterId}`. It arrives from
 * whoever connected to the peer port, so it is parsed strictly: anything else is a bad hello, and
 * the connection is dropped with a log line.
 */

export type Hello =
  | { kind: 'peer'; from: string; to: string; clusterId: string }
  | { kind: 'query' }
  /** A member's requests connection (peer/requests.ts). */
  | { kind: 'requests'; from: string; clusterId: string }

export class BadHello extends Error {}

const UINT64_MAX = (1n << 64n) - 1n

/** A member or cluster ID as the hello carries it: a decimal uint64, not 0. */
function memberId(v: unknown, field: string): string {
  if (typeof v !== 'string' || !/^[0-9]{1,20}$/.test(v)) throw new BadHello(`${field} is not a decimal ID`)
  const n = BigInt(v)
  if (n === 0n || n > UINT64_MAX) throw new BadHello(`${field} ${v} is out of range`)
  return n.toString()
}

export function parseHello(frame: Buffer): Hello {
  let v: unknown
  try {
    v = JSON.parse(frame.toString('utf8'))
  } catch {
    throw new BadHello('not JSON')
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new BadHello('not an object')
  const o = v as Record<string, unknown>
  if (o.query !== undefined) {
    if (o.query === 'cluster') return { kind: 'query' }
    if (o.query === 'requests') return { kind: 'requests', from: memberId(o.from, 'from'), clusterId: memberId(o.clusterId, 'clusterId') }
    throw new BadHello(`unknown query ${JSON.stringify(o.query).slice(0, 40)}`)
  }
  return { kind: 'peer', from: memberId(o.from, 'from'), to: memberId(o.to, 'to'), clusterId: memberId(o.clusterId, 'clusterId') }
}

/** A short, printable description of bytes we could not make sense of (for log lines). */
export function describeBytes(b: Buffer, max = 32): string {
  const head = b.subarray(0, max)
  const printable = head.every((c) => c >= 0x20 && c < 0x7f)
  const shown = printable ? JSON.stringify(head.toString('latin1')) : head.toString('hex')
  return `${shown}${b.length > max ? `… (${b.length} bytes)` : ''}`
}
