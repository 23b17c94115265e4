// Typed failures of the storage boundary and of caller misuse.

/** The requested index is below the storage's first index: it was compacted into a snapshot. */
export class CompactedError extends Error {
  constructor(index: number) {
    super(`raft: index ${index} is compacted`)
    this.name = 'CompactedError'
  }
}

/** The requested index is beyond what storage holds. */
export class UnavailableError extends Error {
  constructor(index: number) {
    super(`raft: index ${index} is unavailable`)
    this.name = 'UnavailableError'
  }
}

/** The snapshot is being produced; the leader retries at the next heartbeat. */
export class SnapshotTemporarilyUnavailableError extends Error {
  constructor() {
    super('raft: snapshot is temporarily unavailable')
    this.name = 'SnapshotTemporarilyUnavailableError'
  }
}

/** A snapshot or compaction request older than what storage already has. */
export class SnapshotOutOfDateError extends Error {
  constructor(index: number, have: number) {
    super(`raft: snapshot at ${index} is older than the current one at ${have}`)
    this.name = 'SnapshotOutOfDateError'
  }
}

/** A broken invariant inside the core or a caller contract violation; never expected in production. */
export class RaftInvariantError extends Error {
  constructor(message: string) {
    super(`raft: ${message}`)
    this.name = 'RaftInvariantError'
  }
}
