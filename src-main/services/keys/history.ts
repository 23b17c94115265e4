// The revisions of a key that etcd still has: walk back from the current version with ranges at past
// revisions (mod_revision - 1 shows the version before), until the key's creation or the compaction
// horizon. etcd does not report its compaction revision directly, so it is found by binary search on
// "does a range at revision r fail with 'compacted'?", about log2(revision) tiny requests.

import type { KeyHistory, ValueView } from '../../shared/api/keys'
import { EtcdError } from '../etcd/client'
import type { KvReader } from '../targets'
import { keyName } from './keyBytes'
import { DEFAULT_MAX_BYTES, valueView } from './valueView'

/** A key no one writes: count-only ranges on it cost nothing. */
const PROBE_KEY = Buffer.from('\u0000raftdeck/compaction-probe', 'utf8')

async function readableAt(client: KvReader, revision: bigint): Promise<boolean> {
  try {
    await client.range({ key: PROBE_KEY, count_only: true, revision: revision.toString() })
    return true
  } catch (err) {
    if (err instanceof EtcdError && err.kind === 'compacted') return false
    throw err
  }
}

/** The smallest revision still readable (etcd's compaction revision), '0' when nothing was compacted. */
export async function compactionHorizon(client: KvReader, currentRevision: string): Promise<string> {
  const head = BigInt(currentRevision)
  if (head <= 1n || (await readableAt(client, 1n))) return '0'
  let lo = 1n // not readable
  let hi = head // readable
  while (hi - lo > 1n) {
    const mid = (lo + hi) / 2n
    if (await readableAt(client, mid)) hi = mid
    else lo = mid
  }
  return hi.toString()
}

export async function keyHistory(client: KvReader, key: Buffer, limit: number, maxBytes = DEFAULT_MAX_BYTES): Promise<KeyHistory> {
  const head = await client.range({ key })
  const revision = head.header.revision
  const compactRevision = await compactionHorizon(client, revision)
  const versions: ValueView[] = []
  let kv = head.kvs[0]
  let more = false
  while (kv) {
    versions.push(valueView(key, kv, revision, maxBytes))
    const before = BigInt(kv.mod_revision) - 1n
    if (kv.version === '1' || before < 1n) break
    if (versions.length >= limit || before < BigInt(compactRevision)) {
      more = true
      break
    }
    try {
      const prev = await client.range({ key, revision: before.toString() })
      kv = prev.kvs[0]
    } catch (err) {
      if (err instanceof EtcdError && err.kind === 'compacted') {
        more = true
        break
      }
      throw err
    }
  }
  return { key: keyName(key), versions, compactRevision, more }
}
