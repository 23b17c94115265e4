// etcd's v1 single-member configuration change: the wire form inside a
// ConfChange entry, and how applying one changes the tracker.
//
// Encoding (our own, stable, versioned by its first byte):
//   [0] version = 1   [1] type (0 add, 1 remove, 2 add learner)
//   [2..9] node id as big-endian uint64   [10..] context bytes

import { RaftInvariantError } from './errors'
import type { ConfChange, ConfChangeType, NodeId } from './types'

const VERSION = 1
const TYPES: readonly ConfChangeType[] = ['addNode', 'removeNode', 'addLearnerNode']

export function encodeConfChange(cc: ConfChange): Uint8Array {
  const out = new Uint8Array(10 + cc.context.byteLength)
  out[0] = VERSION
  out[1] = TYPES.indexOf(cc.type)
  const view = new DataView(out.buffer)
  view.setBigUint64(2, BigInt(cc.nodeId))
  out.set(cc.context, 10)
  return out
}

export function decodeConfChange(data: Uint8Array): ConfChange {
  if (data.byteLength < 10 || data[0] !== VERSION || data[1] >= TYPES.length) {
    throw new RaftInvariantError('malformed ConfChange entry')
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  const nodeId: NodeId = view.getBigUint64(2).toString()
  return { type: TYPES[data[1]], nodeId, context: data.slice(10) }
}
