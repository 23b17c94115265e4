// `etcdctl snapshot status` for etcd 3.4, number for number: run the consistency check,
// then CRC-32C every top-level bucket's name followed by each key and value in order,
// count every key/value pair in every bucket, take the revision from the last key of the
// `key` bucket, and report the size as high-water mark × page size.

import { Crc32c } from './crc32c'
import { compareBytes, utf8 } from './bytes'
import { checkConsistency } from './consistency'
import type { BoltDb } from './db'
import { openDb } from './db'
import type { OpenOptions } from './db'
import { forEachEntry, topLevelBuckets } from './cursor'
import { InconsistentDbError } from './errors'
import { decodeRevisionKey } from './etcdSchema'

export interface SnapshotStatus {
  /** CRC-32C as etcdctl computes it (its JSON prints this number in decimal). */
  readonly hash: number
  readonly revision: number
  readonly totalKey: number
  readonly totalSize: number
}

const KEY_BUCKET = utf8('key')

export function statusOfDb(db: BoltDb, options: { skipCheck?: boolean } = {}): SnapshotStatus {
  if (!options.skipCheck) {
    const report = checkConsistency(db)
    if (!report.ok) throw new InconsistentDbError(db.name, report.problems)
  }
  const crc = new Crc32c()
  let totalKey = 0
  let revision = 0n
  for (const { name, bucket } of topLevelBuckets(db)) {
    crc.update(name)
    const isKeyBucket = compareBytes(name, KEY_BUCKET) === 0
    let lastKey: Uint8Array | null = null
    forEachEntry(db, bucket, (key, value, isBucket) => {
      crc.update(key)
      // bbolt's ForEach passes a nil value for nested buckets, so nothing is hashed for them.
      if (!isBucket) crc.update(value)
      if (isKeyBucket) lastKey = key
      totalKey++
    })
    // etcdctl decodes every key and keeps the last; decoding only the last one gives the
    // same answer. It reads the first 8 bytes without checking the length.
    const last = lastKey as Uint8Array | null
    if (isKeyBucket && last && last.length >= 8) revision = decodeMainRevision(last)
  }
  return { hash: crc.value, revision: Number(revision), totalKey, totalSize: db.size }
}

function decodeMainRevision(k: Uint8Array): bigint {
  try {
    return decodeRevisionKey(k).main
  } catch {
    let v = 0n
    for (let i = 0; i < 8; i++) v = (v << 8n) | BigInt(k[i]!)
    return BigInt.asIntN(64, v)
  }
}

/** Status of a snapshot or db file, like `etcdctl snapshot status FILE -w json`. */
export function snapshotStatus(path: string, options: OpenOptions = {}): SnapshotStatus {
  const db = openDb(path, options)
  try {
    return statusOfDb(db)
  } finally {
    db.close()
  }
}
