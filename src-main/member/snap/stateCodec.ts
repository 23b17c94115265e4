/**
 * Serialises the whole state machine for a snapshot: a small JSON header (revisions, leases,
 * membership, alarms, auth) followed by every retained key revision in a compact binary form.
 */
import type { KeyRevision } from '../mvcc/types'
import type { StateMachine } from '../server/stateMachine'

const MAGIC = Buffer.from('RDSNAP1\n')

interface Header {
  appliedIndex: number
  appliedTerm: number
  currentRev: number
  compactRev: number
  leases: Array<{ id: string; ttl: number; remainingTTL: number }>
  cluster: ReturnType<StateMachine['cluster']['toJSON']>
  alarms: string[]
  auth: ReturnType<StateMachine['auth']['toJSON']>
  revisions: number
  clusterVersion: string
}

export function encodeState(sm: StateMachine): Buffer {
  const revs = [...sm.store.allRevisions()]
  const header: Header = {
    appliedIndex: sm.appliedIndex,
    appliedTerm: sm.appliedTerm,
    currentRev: sm.store.currentRev,
    compactRev: sm.store.compactRev,
    leases: [...sm.lessor.leases.values()].map((l) => ({ id: l.id, ttl: l.ttl, remainingTTL: sm.lessor.remaining(l.id) })),
    cluster: sm.cluster.toJSON(),
    alarms: [...sm.alarms],
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

export function decodeStateInto(sm: StateMachine, data: Buffer): void {
  if (!data.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error('snap: not a raftdeck state snapshot')
  let off = MAGIC.length
  const hlen = data.readUInt32LE(off)
  off += 4
  const header = JSON.parse(data.subarray(off, off + hlen).toString()) as Header
  off += hlen
  const revs: KeyRevision[] = []
  for (let i = 0; i < header.revisions; i++) {
    const klen = data.readUInt32LE(off)
    const vlen = data.readUInt32LE(off + 4)
    const llen = data[off + 8]!
    const create = data.readDoubleLE(off + 9)
    const mod = data.readDoubleLE(off + 17)
    const sub = data.readDoubleLE(off + 25)
    const version = data.readDoubleLE(off + 33)
    const tombstone = data.readDoubleLE(off + 41) === 1
    off += 49
    const key = data.subarray(off, off + klen).toString('latin1')
    off += klen
    const value = Buffer.from(data.subarray(off, off + vlen))
    off += vlen
    const lease = data.subarray(off, off + llen).toString('latin1')
    off += llen
    revs.push({ key, value, create, mod, sub, version, lease, tombstone })
  }
  sm.store.restore(revs, header.currentRev, header.compactRev)
  sm.lessor.restore(header.leases)
  sm.cluster.restore(header.cluster)
  sm.alarms.clear()
  for (const a of header.alarms) sm.alarms.add(a)
  sm.auth.restore(header.auth)
  sm.clusterVersion = header.clusterVersion ?? ''
  sm.appliedIndex = header.appliedIndex
  sm.appliedTerm = header.appliedTerm
}

function u32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4)
  b.writeUInt32LE(n, 0)
  return b
}
