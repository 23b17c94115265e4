/**
 * Serialises the whole state machine for a snapshot: a small JSON header (revisions, leases,
 * membership, alarms, auth) followed by every retained key revision in a compact binary form.
 */
import type { AuthStore } from '../auth/store'
import type { Lessor } from '../lease/lessor'
import type { MvccStore } from '../mvcc/store'
import type { KeyRevision } from '../mvcc/types'
import type { AlarmStore } from './alarms'
import type { ClusterMembers } from './cluster'

/** What a snapshot is made of (the state machine's parts). */
export interface EncodableState {
  readonly appliedIndex: number
  readonly appliedTerm: number
  readonly store: MvccStore
  readonly lessor: Lessor
  readonly cluster: ClusterMembers
  readonly alarms: AlarmStore
  readonly auth: AuthStore
  readonly clusterVersion: string
}

/** Everything a snapshot holds, decoded; the state machine loads it with `restore`. */
export interface StateImage {
  appliedIndex: number
  appliedTerm: number
  currentRev: number
  compactRev: number
  everCompacted: boolean
  revisions: KeyRevision[]
  leases: Header['leases']
  cluster: Header['cluster']
  alarms: string[]
  auth: Header['auth']
  clusterVersion: string
}

const MAGIC = Buffer.from('RDSNAP1\n')

interface Header {
  appliedIndex: number
  appliedTerm: number
  currentRev: number
  compactRev: number
  /** Absent in snapshots of older members: then compacted iff compactRev > 0. */
  everCompacted?: boolean
  leases: Array<{ id: string; ttl: number; remainingTTL: number }>
  cluster: ReturnType<ClusterMembers['toJSON']>
  alarms: string[]
  auth: ReturnType<AuthStore['toJSON']>
  revisions: number
  clusterVersion: string
}

export function encodeState(sm: EncodableState): Buffer {
  const revs = [...sm.store.allRevisions()]
  const header: Header = {
    appliedIndex: sm.appliedIndex,
    appliedTerm: sm.appliedTerm,
    currentRev: sm.store.currentRev,
    compactRev: sm.store.compactRev,
    everCompacted: sm.store.everCompacted,
    leases: [...sm.lessor.leases.values()].map((l) => ({ id: l.id, ttl: l.ttl, remainingTTL: sm.lessor.remaining(l.id) })),
    cluster: sm.cluster.toJSON(),
    alarms: sm.alarms.toJSON(),
    auth: sm.auth.toJSON(),
    revisions: revs.length,
    clusterVersion: sm.clusterVersion,
  }
  const head = Buffer.from(JSON.stringify(header))
  const parts: Buffer[] = [MAGIC, u32(head.length), head]
  for (const r of revs) {
    const key = Buffer.from(r.key, 'latin1')
    const lease = Buffer.from(r.lease, 'latin1')
    const fixed = Buffer.allocUnsafe(4 + 4 + 1 + 8 * 5)
    fixed.writeUInt32LE(key.length, 0)
    fixed.writeUInt32LE(r.value.length, 4)
    fixed[8] = lease.length
    fixed.writeDoubleLE(r.create, 9)
    fixed.writeDoubleLE(r.mod, 17)
    fixed.writeDoubleLE(r.sub, 25)
    fixed.writeDoubleLE(r.version, 33)
    fixed.writeDoubleLE(r.tombstone ? 1 : 0, 41)
    parts.push(fixed, key, r.value, lease)
  }
  return Buffer.concat(parts)
}

export function decodeState(data: Uint8Array): StateImage {
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  if (!buf.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error('snap: not a raftdeck state snapshot')
  let off = MAGIC.length
  const hlen = buf.readUInt32LE(off)
  off += 4
  const header = JSON.parse(buf.subarray(off, off + hlen).toString()) as Header
  off += hlen
  const revs: KeyRevision[] = []
  for (let i = 0; i < header.revisions; i++) {
    const klen = buf.readUInt32LE(off)
    const vlen = buf.readUInt32LE(off + 4)
    const llen = buf[off + 8]!
    const create = buf.readDoubleLE(off + 9)
    const mod = buf.readDoubleLE(off + 17)
    const sub = buf.readDoubleLE(off + 25)
    const version = buf.readDoubleLE(off + 33)
    const tombstone = buf.readDoubleLE(off + 41) === 1
    off += 49
    const key = buf.subarray(off, off + klen).toString('latin1')
    off += klen
    const value = Buffer.from(buf.subarray(off, off + vlen))
    off += vlen
    const lease = buf.subarray(off, off + llen).toString('latin1')
    off += llen
    revs.push({ key, value, create, mod, sub, version, lease, tombstone })
  }
  return {
    appliedIndex: header.appliedIndex,
    appliedTerm: header.appliedTerm,
    currentRev: header.currentRev,
    compactRev: header.compactRev,
    everCompacted: header.everCompacted ?? header.compactRev > 0,
    revisions: revs,
    leases: header.leases,
    cluster: header.cluster,
    alarms: header.alarms,
    auth: header.auth,
    clusterVersion: header.clusterVersion ?? '',
  }
}

function u32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4)
  b.writeUInt32LE(n, 0)
  return b
}
