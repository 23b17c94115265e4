// Typed trace events for the visualisation and for debugging simulations.
// Tracing is off unless Config.trace is set (or Raft.setTrace switches it on);
// every emit site checks the callback first so a disabled trace costs one
// property read.

import type { Message, NodeId, Role } from './types'

export type TraceEvent =
  | { readonly kind: 'role'; readonly node: NodeId; readonly term: number; readonly from: Role; readonly to: Role; readonly lead: NodeId }
  | { readonly kind: 'term'; readonly node: NodeId; readonly from: number; readonly to: number }
  /** A vote cast by `voter` (seen at the voter, or counted at the candidate): `node` is where it was observed. */
  | { readonly kind: 'vote'; readonly node: NodeId; readonly term: number; readonly voter: NodeId; readonly candidate: NodeId; readonly preVote: boolean; readonly granted: boolean }
  | { readonly kind: 'commit'; readonly node: NodeId; readonly term: number; readonly from: number; readonly to: number }
  | { readonly kind: 'apply'; readonly node: NodeId; readonly from: number; readonly to: number }
  | { readonly kind: 'send'; readonly node: NodeId; readonly message: Message }
  | { readonly kind: 'receive'; readonly node: NodeId; readonly message: Message }
  | { readonly kind: 'progress'; readonly node: NodeId; readonly peer: NodeId; readonly state: string; readonly match: number; readonly next: number }
  | { readonly kind: 'confChange'; readonly node: NodeId; readonly voters: readonly NodeId[]; readonly learners: readonly NodeId[] }
  | { readonly kind: 'dropped'; readonly node: NodeId; readonly what: string; readonly reason: string }

export type TraceSink = (event: TraceEvent) => void
