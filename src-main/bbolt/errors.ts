// One class per way a db or snapshot can be wrong, each with a stable code and a hint
// that tells the user what to do. Messages cross IPC as {code, message, hint}, so every
// field that matters is a plain string.

export type BboltErrorCode =
  | 'SNAPSHOT_NOT_FOUND'
  | 'SNAPSHOT_UNREADABLE'
  | 'SNAPSHOT_NOT_BBOLT'
  | 'SNAPSHOT_META_CORRUPT'
  | 'SNAPSHOT_TRUNCATED'
  | 'SNAPSHOT_MISSING_HASH'
  | 'SNAPSHOT_HASH_MISMATCH'
  | 'SNAPSHOT_SIZE_MISMATCH'
  | 'SNAPSHOT_INCONSISTENT'
  | 'SNAPSHOT_SCHEMA_INVALID'
  | 'BBOLT_PAGE_CORRUPT'
  | 'BBOLT_BUCKET_NOT_FOUND'
  | 'BBOLT_WRITE_INVALID_INPUT'

export abstract class BboltError extends Error {
  abstract readonly code: BboltErrorCode
  readonly hint: string
  constructor(message: string, hint: string) {
    super(message)
    this.name = new.target.name
    this.hint = hint
  }
  toJSON(): { code: BboltErrorCode; message: string; hint: string } {
    return { code: this.code, message: this.message, hint: this.hint }
  }
}

export class SnapshotNotFoundError extends BboltError {
  readonly code = 'SNAPSHOT_NOT_FOUND' as const
  constructor(readonly path: string) {
    super(`snapshot file ${path} does not exist`, 'Check the path; a snapshot is the file written by `snapshot save`.')
  }
}

export class SnapshotUnreadableError extends BboltError {
  readonly code = 'SNAPSHOT_UNREADABLE' as const
  constructor(readonly path: string, cause: string) {
    super(`cannot read ${path}: ${cause}`, 'Check file permissions and that the path is a regular file.')
  }
}

export class NotBboltFileError extends BboltError {
  readonly code = 'SNAPSHOT_NOT_BBOLT' as const
  constructor(readonly path: string, detail: string) {
    super(
      `${path} is not a bbolt database: ${detail}`,
      'Pick an etcd snapshot (from `etcdctl snapshot save`) or an etcd member/snap/db file; this file has no bbolt meta page.',
    )
  }
}

export class MetaCorruptError extends BboltError {
  readonly code = 'SNAPSHOT_META_CORRUPT' as const
  constructor(readonly path: string, detail: string) {
    super(
      `${path}: both bbolt meta pages are invalid (${detail})`,
      'The file header is damaged and the database cannot be opened. Use another snapshot.',
    )
  }
}

export class TruncatedSnapshotError extends BboltError {
  readonly code = 'SNAPSHOT_TRUNCATED' as const
  constructor(readonly path: string, readonly actualSize: number, readonly expectedSize: number) {
    super(
      `${path} is truncated: it has ${actualSize} bytes but its meta page says the database alone is ${expectedSize} bytes`,
      'The file was cut short (interrupted download or copy, full disk). Copy the snapshot again from its source.',
    )
  }
}

export class MissingHashError extends BboltError {
  readonly code = 'SNAPSHOT_MISSING_HASH' as const
  constructor(readonly path: string, readonly actualSize: number) {
    super(
      `${path} has no SHA-256 trailer (size ${actualSize} is not a multiple of 512 plus 32); etcd restore refuses it with "snapshot missing hash"`,
      'If this is a raw member/snap/db copy, restore it with --skip-hash-check after checking it; otherwise the snapshot was cut and must be copied again.',
    )
  }
}

export class HashMismatchError extends BboltError {
  readonly code = 'SNAPSHOT_HASH_MISMATCH' as const
  constructor(readonly path: string, readonly expected: string, readonly actual: string) {
    super(
      `${path} is corrupt: its SHA-256 trailer is ${expected} but the data hashes to ${actual}`,
      'Some bytes changed after the snapshot was saved (disk, transfer or edit). Use another copy of the snapshot.',
    )
  }
}

export class SizeMismatchError extends BboltError {
  readonly code = 'SNAPSHOT_SIZE_MISMATCH' as const
  constructor(readonly path: string, readonly actualSize: number, readonly expectedSize: number) {
    super(
      `${path}: database part is ${actualSize} bytes but its meta page says ${expectedSize} bytes`,
      'The snapshot has extra data or was assembled wrongly. Save a new snapshot.',
    )
  }
}

export class InconsistentDbError extends BboltError {
  readonly code = 'SNAPSHOT_INCONSISTENT' as const
  constructor(readonly path: string, readonly problems: readonly string[]) {
    super(
      `${path}: bbolt consistency check failed with ${problems.length} problem(s): ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? '; …' : ''}`,
      'The page structure is damaged even though the file looks complete. Use another snapshot.',
    )
  }
}

export class SchemaError extends BboltError {
  readonly code = 'SNAPSHOT_SCHEMA_INVALID' as const
  constructor(readonly path: string, detail: string) {
    super(
      `${path} is a valid bbolt file but not a valid etcd backend: ${detail}`,
      'The file is not an etcd snapshot, or it comes from an incompatible etcd version.',
    )
  }
}

export class PageCorruptError extends BboltError {
  readonly code = 'BBOLT_PAGE_CORRUPT' as const
  constructor(readonly pgid: number, detail: string) {
    super(`page ${pgid}: ${detail}`, 'The database is damaged; run verify for a full report.')
  }
}

export class BucketNotFoundError extends BboltError {
  readonly code = 'BBOLT_BUCKET_NOT_FOUND' as const
  constructor(readonly bucket: string) {
    super(`bucket ${JSON.stringify(bucket)} not found`, 'The database does not contain this bucket.')
  }
}

export class WriterInputError extends BboltError {
  readonly code = 'BBOLT_WRITE_INVALID_INPUT' as const
  constructor(detail: string) {
    super(`cannot write bbolt db: ${detail}`, 'Bucket contents must be sorted, unique, and within bbolt size limits.')
  }
}
