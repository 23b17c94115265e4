// Verify a snapshot file without writing anything: the SHA-256 trailer etcd restore
// checks, the size the meta page promises, bbolt's consistency check, and etcd's schema.
// Each failure is its own error class so the UI can say exactly what is wrong.

import { createHash } from 'node:crypto'
import { closeSync, openSync, readSync, statSync } from 'node:fs'
import { SNAPSHOT_HASH_SIZE, SNAPSHOT_SIZE_ALIGN } from './constants'
import { toHex } from './bytes'
import { checkConsistency } from './consistency'
import type { ConsistencyReport } from './consistency'
import { openDb } from './db'
import {
  HashMismatchError,
  InconsistentDbError,
  MissingHashError,
  SchemaError,
  SnapshotNotFoundError,
  SnapshotUnreadableError,
  TruncatedSnapshotError,
} from './errors'
import { validateEtcdSchema } from './etcdSnapshot'
import { statusOfDb } from './snapshotStatus'
import type { SnapshotStatus } from './snapshotStatus'

export interface VerifyOptions {
  /** Accept a file without trailer (a raw member/snap/db copy), like restore --skip-hash-check. */
  skipHashCheck?: boolean
  /** Skip the etcd schema parse, for plain bbolt files. */
  skipSchema?: boolean
  /**
   * Skip `etcdctl snapshot status`'s numbers (a CRC-32C of every record): a restore reads every
   * record anyway and needs only the integrity checks.
   */
  skipStatus?: boolean
  /**
   * SHA-256 (hex) of the database part, already computed while the file was written (a backup
   * hashes the stream as it arrives): the file is not read a second time for it.
   */
  knownSha256?: string
}

export interface VerifyResult {
  /** With skipStatus only the size is filled in (hash, revision and key count 0). */
  readonly status: SnapshotStatus
  readonly hasHash: boolean
  /** SHA-256 of the database part, hex. */
  readonly sha256: string
  readonly pageSize: number
  readonly fileSize: number
  readonly consistency: ConsistencyReport
  /** Oddities that etcd tolerates (e.g. bytes beyond the high-water mark). */
  readonly warnings: string[]
}

/** True when etcd would treat the file as carrying a SHA-256 trailer. */
export const hasSnapshotHash = (size: number): boolean => size % SNAPSHOT_SIZE_ALIGN === SNAPSHOT_HASH_SIZE

export function verifySnapshot(path: string, options: VerifyOptions = {}): VerifyResult {
  let fileSize: number
  try {
    const st = statSync(path)
    if (!st.isFile()) throw new SnapshotUnreadableError(path, 'not a regular file')
    fileSize = st.size
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new SnapshotNotFoundError(path)
    if (e instanceof SnapshotUnreadableError) throw e
    throw new SnapshotUnreadableError(path, (e as Error).message)
  }
  const hasHash = hasSnapshotHash(fileSize)
  const dbPart = hasHash ? fileSize - SNAPSHOT_HASH_SIZE : fileSize
  // Opening reads only the meta pages; it throws NotBboltFileError / MetaCorruptError.
  const db = openDb(path, { limit: dbPart })
  try {
    const expected = db.size
    const warnings: string[] = []
    if (dbPart < expected) throw new TruncatedSnapshotError(path, fileSize, expected)
    if (!hasHash && !options.skipHashCheck) throw new MissingHashError(path, fileSize)
    const sha = options.knownSha256 ?? sha256OfRange(path, dbPart)
    if (hasHash) {
      const trailer = readRange(path, dbPart, SNAPSHOT_HASH_SIZE)
      const stored = toHex(trailer)
      if (stored !== sha) throw new HashMismatchError(path, stored, sha)
    }
    if (dbPart > expected) {
      warnings.push(`${dbPart - expected} bytes after the high-water mark (a raw db copy with preallocated space?); etcd ignores them`)
    }
    if (db.metaReport.problems[0] || db.metaReport.problems[1]) {
      const bad = db.metaReport.problems[0] ? 0 : 1
      warnings.push(`meta page ${bad} is invalid (${db.metaReport.problems[bad]}); bbolt uses the other one`)
    }
    const consistency = checkConsistency(db)
    if (!consistency.ok) throw new InconsistentDbError(path, consistency.problems)
    if (!options.skipSchema) {
      const problems = validateEtcdSchema(db)
      if (problems.length) throw new SchemaError(path, problems.join('; '))
    }
    const status = options.skipStatus ? { hash: 0, revision: 0, totalKey: 0, totalSize: db.size } : statusOfDb(db, { skipCheck: true })
    return { status, hasHash, sha256: sha, pageSize: db.pageSize, fileSize, consistency, warnings }
  } finally {
    db.close()
  }
}

function readRange(path: string, offset: number, length: number): Uint8Array {
  const fd = openSync(path, 'r')
  try {
    const buf = new Uint8Array(length)
    let done = 0
    while (done < length) {
      const n = readSync(fd, buf, done, length - done, offset + done)
      if (n === 0) break
      done += n
    }
    return buf.subarray(0, done)
  } finally {
    closeSync(fd)
  }
}

/** SHA-256 of the first `length` bytes, streamed in 1 MiB chunks. */
export function sha256OfRange(path: string, length: number): string {
  const hash = createHash('sha256')
  const fd = openSync(path, 'r')
  try {
    const buf = new Uint8Array(1024 * 1024)
    let pos = 0
    while (pos < length) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, length - pos), pos)
      if (n === 0) break
      hash.update(buf.subarray(0, n))
      pos += n
    }
  } finally {
    closeSync(fd)
  }
  return hash.digest('hex')
}
