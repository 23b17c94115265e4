// Public surface of the Raft core. Everything else in this folder is internal.

export type { Config, Faults } from './config'
export { encodeConfChange, decodeConfChange } from './confChange'
export {
  CompactedError,
  RaftInvariantError,
  SnapshotOutOfDateError,
  SnapshotTemporarilyUnavailableError,
  UnavailableError,
} from './errors'
export type { Status, ProgressStatus } from './raft'
export { RawNode, canSendBeforePersist } from './rawNode'
export { seededRandom } from './random'
export type { RandomSource } from './random'
export { MemoryStorage } from './storage'
export type { InitialState, Storage } from './storage'
export type { TraceEvent, TraceSink } from './trace'
export type {
  ConfChange,
  ConfChangeType,
  ConfState,
  Entry,
  HardState,
  Message,
  NodeId,
  ReadState,
  Ready,
  Role,
  Snapshot,
  SnapshotMetadata,
  SoftState,
} from './types'
export { EMPTY_SNAPSHOT, EntryType, MessageType, NO_NODE, isEmptySnapshot, makeMessage } from './types'
