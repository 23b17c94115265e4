// A snapshot file as a read-only key source for the key editor: etcd's Range semantics (single key,
// prefix, [key, range_end), "\0" for everything, limit, keys-only, count-only, any revision the file
// still holds) answered from the snapshot index and the bbolt reader, so the tree, values, history,
// leases and Kubernetes decoding work on a file exactly as on a cluster, with no restore.

import { ErrorCode } from '../../shared'
import { EtcdError } from '../etcd/errors'
import type * as pb from '../etcd/messages'
import type { KvReader } from '../targets'
import { latin1, lowerBound, type SnapshotIndex } from './snapshotIndex'

const toBuf = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength)

export class SnapshotSource implements KvReader {
  constructor(private readonly index: SnapshotIndex) {}

  private header(): pb.ResponseHeader {
    return { cluster_id: '0', member_id: '0', revision: String(this.index.headRevision), raft_term: '0' }
  }

  private revisionOf(req: pb.RangeRequest): number {
    const asked = Number(req.revision ?? 0)
    if (!asked) return this.index.headRevision
    if (asked > this.index.headRevision)
      throw new EtcdError('future-revision', ErrorCode.InvalidParams, `Revision ${asked} is newer than the snapshot (revision ${this.index.headRevision}).`, 'Use a revision at or before the snapshot’s.')
    if (asked < this.index.compactRevision)
      throw new EtcdError('compacted', ErrorCode.FailedPrecondition, `The snapshot was compacted at revision ${this.index.compactRevision}: revision ${asked} is no longer in it.`, 'Use a revision at or after the compaction revision.')
    return asked
  }

  async range(req: pb.RangeRequest): Promise<pb.RangeResponse> {
    const revision = this.revisionOf(req)
    const keys = this.index.keys
    const start = latin1(req.key)
    const end = req.range_end && req.range_end.length > 0 ? req.range_end : null
    const lo = lowerBound(keys, start)
    let hi: number
    if (!end) hi = keys[lo] === start ? lo + 1 : lo
    else if (end.length === 1 && end[0] === 0) hi = keys.length
    else hi = Math.max(lo, lowerBound(keys, latin1(end)))
    const limit = Number(req.limit ?? 0)
    const order = req.sort_order ?? 'NONE'
    if (order !== 'NONE' && (req.sort_target ?? 'KEY') !== 'KEY')
      throw new EtcdError('unimplemented', ErrorCode.FailedPrecondition, 'A snapshot file is read in key order only.', 'Sort by key, or restore the snapshot into a playground.')
    const head = revision >= this.index.headRevision
    if (req.count_only) {
      let count = 0
      if (head) count = this.index.liveBetween(lo, hi)
      else for (let i = lo; i < hi; i++) if (this.index.visibleAt(i, revision)) count++
      return { header: this.header(), kvs: [], more: false, count: String(count) }
    }
    const kvs: pb.KeyValue[] = []
    let count = 0
    const descending = order === 'DESCEND'
    for (let n = 0; n < hi - lo; n++) {
      const i = descending ? hi - 1 - n : lo + n
      const rev = this.index.visibleAt(i, revision)
      if (!rev) continue
      count++
      if (limit > 0 && kvs.length >= limit) {
        // etcd reports the total with `more`; at the head it is known without reading on.
        if (head) {
          count = this.index.liveBetween(lo, hi)
          break
        }
        continue
      }
      const kv = this.index.record(rev)
      kvs.push({
        key: toBuf(kv.key),
        create_revision: kv.createRevision.toString(),
        mod_revision: kv.modRevision.toString(),
        version: kv.version.toString(),
        value: req.keys_only ? Buffer.alloc(0) : Buffer.from(kv.value),
        lease: kv.lease.toString(),
      })
    }
    return { header: this.header(), kvs, more: limit > 0 && count > kvs.length, count: String(count) }
  }

  async leaseLeases(): Promise<pb.LeaseLeasesResponse> {
    return { header: this.header(), leases: this.index.leases().map((l) => ({ ID: l.id.toString() })) }
  }

  /** A file does not count down: a lease shows its granted TTL, which is what it gets again when the snapshot is restored. */
  async leaseTimeToLive(id: string, keys = false): Promise<pb.LeaseTimeToLiveResponse> {
    const lease = this.index.leases().find((l) => l.id.toString() === id)
    if (!lease) throw new EtcdError('lease-not-found', ErrorCode.NotFound, 'The lease does not exist in this snapshot.')
    const attached = keys ? (this.index.keysOfLeases().get(id) ?? []).map((k) => Buffer.from(k, 'latin1')) : []
    return { header: this.header(), ID: id, TTL: lease.ttl.toString(), grantedTTL: lease.ttl.toString(), keys: attached }
  }

  /** A snapshot never changes: the watch stays open and silent until it is stopped. */
  watch(_req: unknown, _onResponse: (r: pb.WatchResponse) => void, onEnd: (err: EtcdError | null) => void): () => void {
    return () => onEnd(null)
  }
}
