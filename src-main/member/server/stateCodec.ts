/**
 * The state machine in a snapshot: a small JSON header (revisions, leases, membership, alarms,
 * auth) followed by every retained key revision in a compact binary form.
 *
 * Both directions work in pieces, so neither ever holds the whole state in one buffer and a large
 * state never stalls the member's event loop for long:
 *   - `freezeState` captures the state synchronously (small tables by value, the key history as a
 *     frozen store view), then `encodeStateChunks` yields it as buffers of up to ~256 KiB (smaller, or empty,
 *     when making one took 5 ms: see encodeRecordChunks), on demand;
 *   - `StateDecoder` takes the bytes in chunks of any size and builds a new store as it goes.
 *
 * Format 2 (`RDSNAP2\n`): `[magic][u32 header length][header JSON]`, then records:
 *   `[u8 1][u32 key length][u32 value length][f64 create][f64 mod][u32 sub][f64 version]
 *    [u8 flags: 1 tombstone, 2 lease][i64 lease if flag 2][key][value]`
 * and an end record `[u8 0][f64 record count][f64 current revision]` (the header's currentRev may be 0
 * when the writer only learns it at the end, as a restore streaming an etcd snapshot does). Each key's
 * revisions come oldest first, and every change from the compaction revision on in (mod, sub) order:
 * a member's own snapshot writes what lies below the compaction revision first, in key order, then
 * the changes; a restore writes etcd's key bucket as it is, in (main, sub) order. The watch log is
 * rebuilt as the records arrive.
 * Format 1 (`RDSNAP1\n`, written by earlier versions) is still read.
 */
import type { AuthStore } from '../auth/store'
import type { Lessor } from '../lease/lessor'
import { StoreLoader, type LoadedStore, type MvccStore, type StoreView } from '../mvcc/store'
import { KeyRevision } from '../mvcc/types'
import { SpillReader } from '../mvcc/valueSpill'
import type { AlarmStore } from './alarms'
import type { ClusterMembers } from './cluster'

/** What a snapshot is made of (the state machine's parts). */
export interface EncodableState {
  readonly appliedIndex: number
  readonly appliedTerm: number
  readonly store: MvccStore
  readonly lessor: Lessor
  readonly cluster: ClusterMembers
  readonly alarms: AlarmStore
  readonly auth: AuthStore
  readonly clusterVersion: string
}

/** The small part of a snapshot, as JSON at its start. */
export interface Header {
  appliedIndex: number
  appliedTerm: number
  currentRev: number
  compactRev: number
  /** Absent in snapshots of older members: then compacted iff compactRev > 0. */
  everCompacted?: boolean
  leases: Array<{ id: string; ttl: number; remainingTTL: number }>
  cluster: ReturnType<ClusterMembers['toJSON']>
  alarms: string[]
  auth: ReturnType<AuthStore['toJSON']>
  /** Format 1 only: the number of records. */
  revisions?: number
  clusterVersion: string
}

/** Everything a snapshot holds, decoded; the state machine loads it with `adoptImage`. */
export interface StateImage {
  appliedIndex: number
  appliedTerm: number
  store: LoadedStore
  leases: Header['leases']
  cluster: Header['cluster']
  alarms: string[]
  auth: Header['auth']
  clusterVersion: string
}

const MAGIC_V1 = Buffer.from('RDSNAP1\n')
const MAGIC = Buffer.from('RDSNAP2\n')
const REC_REVISION = 1
const REC_END = 0
const FIXED = 1 + 4 + 4 + 8 + 8 + 4 + 8 + 1
const FLAG_TOMBSTONE = 1
const FLAG_LEASE = 2
const END_BYTES = 1 + 8 + 8
/** Target size of one encoded chunk. */
export const CHUNK_BYTES = 256 * 1024
/** Longest time spent making one chunk, and how many records go by between looks at the clock. */
const CHUNK_MS = 5
const LOOK_EVERY = 256
/** Values at least this big are handed out as they are instead of being copied into a chunk. */
const DIRECT_VALUE = 64 * 1024

/** The state at one applied index, captured in one step; release() once written. */
export interface FrozenState {
  readonly header: Header
  readonly view: StoreView
  release(): void
}

export function freezeState(sm: EncodableState): FrozenState {
  const view = sm.store.view()
  return { header: stateHeader(sm, view.currentRev, view.compactRev, sm.store.everCompacted), view, release: () => view.release() }
}

/** Everything but the key history, as a snapshot's header holds it (copied: it is written later). */
export function stateHeader(sm: Omit<EncodableState, 'store'>, currentRev: number, compactRev: number, everCompacted = compactRev > 0): Header {
  return {
    appliedIndex: sm.appliedIndex,
    appliedTerm: sm.appliedTerm,
    currentRev,
    compactRev,
    everCompacted,
    leases: [...sm.lessor.leases.values()].map((l) => ({ id: l.id, ttl: l.ttl, remainingTTL: sm.lessor.remaining(l.id) })),
    cluster: sm.cluster.toJSON(),
    alarms: sm.alarms.toJSON(),
    // toJSON copies: the auth store changes user and role objects in place.
    auth: JSON.parse(JSON.stringify(sm.auth.toJSON())) as Header['auth'],
    clusterVersion: sm.clusterVersion,
  }
}

/** The frozen state as ~CHUNK_BYTES buffers (large values as they are), produced on demand. */
export function* encodeStateChunks(f: FrozenState, reuse = false): Generator<Buffer> {
  const records = function* (): Generator<KeyRevision | null> {
    for (const batch of f.view.survivorBatches()) {
      yield* batch
      // Walking a batch's keys takes time even when few or none of them have a record to write:
      // a look at the clock per batch (1024 keys), whatever came of it.
      yield null
    }
    yield* f.view.changes
  }
  yield* encodeRecordChunks(f.header, records(), () => f.header.currentRev, reuse)
}

/**
 * A snapshot's bytes from its header and its revisions (see the format above), ~CHUNK_BYTES at a
 * time, and sooner once CHUNK_MS of work went by (a loaded machine, a run of records with nothing to
 * write): a consumer on the member's thread takes a turn of the event loop per chunk, so no chunk
 * may take long to make. An empty chunk means only that: take a turn. `null` among the records
 * marks such a run, so the clock is looked at. `currentRev` is asked for once every record has been
 * written.
 *
 * With `reuse`, a chunk's buffer is written over once the consumer pulls the next one: for a consumer
 * done with each chunk by then (a file writer), which then needs one buffer where a snapshot of a
 * long history made a few hundred.
 */
export function* encodeRecordChunks(header: Header, records: Iterable<KeyRevision | null>, currentRev: () => number, reuse = false): Generator<Buffer> {
  const head = Buffer.from(JSON.stringify(header))
  let buf = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, MAGIC.length + 4 + head.length))
  let off = 0
  MAGIC.copy(buf, 0)
  off = buf.writeUInt32LE(head.length, MAGIC.length)
  off += head.copy(buf, off)
  let count = 0
  // When this generator last resumed: the consumer's time between two pulls (a write, other work on
  // the event loop) is not this chunk's work.
  let resumed = performance.now()
  const flush = (): Buffer => {
    const out = buf.subarray(0, off)
    if (off > 0 && !(reuse && buf.length === CHUNK_BYTES)) buf = Buffer.allocUnsafe(CHUNK_BYTES)
    off = 0
    return out
  }
  let sinceLook = 0
  // The history's spilled values, read a block of their files at a time.
  const spilled = new SpillReader()
  for (const r of records) {
    if (r === null || ++sinceLook === LOOK_EVERY) {
      sinceLook = 0
      if (performance.now() - resumed >= CHUNK_MS) {
        yield flush()
        resumed = performance.now()
      }
      if (r === null) continue
    }
    count++
    const klen = r.key.length
    const vlen = r.valueLength
    const hasLease = !r.tombstone && r.lease !== '0'
    const fixed = FIXED + (hasLease ? 8 : 0)
    const direct = vlen >= DIRECT_VALUE
    const need = fixed + klen + (direct ? 0 : vlen)
    if (off + need > buf.length) {
      if (off > 0) {
        yield flush()
        resumed = performance.now()
      }
      if (need > buf.length) buf = Buffer.allocUnsafe(need)
    }
    buf[off] = REC_REVISION
    buf.writeUInt32LE(klen, off + 1)
    buf.writeUInt32LE(vlen, off + 5)
    buf.writeDoubleLE(r.create, off + 9)
    buf.writeDoubleLE(r.mod, off + 17)
    buf.writeUInt32LE(r.sub, off + 25)
    buf.writeDoubleLE(r.version, off + 29)
    buf[off + 37] = (r.tombstone ? FLAG_TOMBSTONE : 0) | (hasLease ? FLAG_LEASE : 0)
    off += FIXED
    if (hasLease) off = buf.writeBigInt64LE(BigInt(r.lease), off)
    off += buf.write(r.key, off, 'latin1')
    if (direct) {
      yield flush()
      yield r.value
      resumed = performance.now()
    } else {
      off += r.copyValueTo(buf, off, spilled)
    }
  }
  if (off + END_BYTES > buf.length) yield flush()
  buf[off] = REC_END
  off = buf.writeDoubleLE(count, off + 1)
  off = buf.writeDoubleLE(currentRev(), off)
  yield buf.subarray(0, off)
}

/** The whole state in one buffer (tests and small states only: a member streams the chunks). */
export function encodeState(sm: EncodableState): Buffer {
  const f = freezeState(sm)
  try {
    return Buffer.concat([...encodeStateChunks(f)])
  } finally {
    f.release()
  }
}

/** Bytes arriving in chunks, read at a moving offset; reads within one chunk are views, not copies. */
class ChunkQueue {
  private chunks: Buffer[] = []
  /** Index of the first chunk still in use (the array is compacted now and then, not shifted). */
  private first = 0
  private off = 0
  available = 0

  push(b: Buffer): void {
    if (b.length === 0) return
    const last = this.chunks[this.chunks.length - 1]
    if (last && this.chunks.length > this.first && last.buffer === b.buffer && last.byteOffset + last.length === b.byteOffset) {
      // The next piece of the same buffer (a file chunk fed in pieces): one longer view, so a record
      // across the seam is read in place rather than copied.
      this.chunks[this.chunks.length - 1] = Buffer.from(b.buffer, last.byteOffset, last.length + b.length)
      this.available += b.length
      return
    }
    if (this.first > 64 && this.first * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.first)
      this.first = 0
    }
    this.chunks.push(b)
    this.available += b.length
  }

  /** The next n bytes without consuming them (a copy only when they span chunks). */
  peek(n: number): Buffer {
    const head = this.chunks[this.first]!
    if (this.off + n <= head.length) return head.subarray(this.off, this.off + n)
    const out = Buffer.allocUnsafe(n)
    let got = 0
    let off = this.off
    for (let i = this.first; got < n; i++) {
      const c = this.chunks[i]!
      const take = Math.min(n - got, c.length - off)
      c.copy(out, got, off, off + take)
      got += take
      off = 0
    }
    return out
  }

  skip(n: number): void {
    this.available -= n
    while (n > 0) {
      const head = this.chunks[this.first]!
      const left = head.length - this.off
      if (n < left) {
        this.off += n
        return
      }
      n -= left
      this.first++
      this.off = 0
    }
  }

  take(n: number): Buffer {
    const b = this.peek(n)
    this.skip(n)
    return b
  }

  /** The chunk being read (undefined when empty) and where in it; for reading records in place. */
  get head(): Buffer | undefined {
    return this.chunks[this.first]
  }

  get offset(): number {
    return this.off
  }

  /** Moves the read offset inside the head chunk to `to` (at most its length). */
  consumeTo(to: number): void {
    const head = this.chunks[this.first]!
    this.available -= to - this.off
    if (to < head.length) {
      this.off = to
      return
    }
    this.first++
    this.off = 0
  }
}

/** Thrown for bytes that are not a state snapshot this member can read. */
export class SnapshotFormatError extends Error {}

/**
 * Decodes a snapshot's state from chunks of any size (`push`), building a new store as records
 * arrive; `finish()` checks the end record and returns the image.
 */
export class StateDecoder {
  private readonly q = new ChunkQueue()
  private header: Header | undefined
  private loader: StoreLoader | undefined
  private records = 0
  private done = false
  private currentRev = 0
  /** Format 1 states are read whole (they were written whole, and are small). */
  private v1: Buffer[] | undefined
  private readonly leaseIds = new Map<number, Map<number, string>>()

  push(chunk: Uint8Array): void {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    if (this.v1) {
      this.v1.push(b)
      return
    }
    this.q.push(b)
    this.parse()
  }

  private parse(): void {
    const q = this.q
    if (!this.header) {
      if (q.available < MAGIC.length + 4) return
      const magic = q.peek(MAGIC.length)
      if (magic.equals(MAGIC_V1)) {
        this.v1 = [q.take(q.available)]
        return
      }
      if (!magic.equals(MAGIC)) throw new SnapshotFormatError('snap: not a raftdeck state snapshot')
      const hlen = q.peek(MAGIC.length + 4).readUInt32LE(MAGIC.length)
      if (q.available < MAGIC.length + 4 + hlen) return
      q.skip(MAGIC.length + 4)
      this.header = JSON.parse(q.take(hlen).toString()) as Header
      this.loader = new StoreLoader(this.header.compactRev, this.header.everCompacted ?? this.header.compactRev > 0)
    }
    const loader = this.loader!
    while (!this.done && q.available > 0) {
      this.parseInPlace(loader)
      if (q.available === 0) return
      const kind = q.peek(1)[0]
      if (kind === REC_END) {
        if (q.available < END_BYTES) return
        const end = q.take(END_BYTES)
        const count = end.readDoubleLE(1)
        this.currentRev = smallInt(end.readDoubleLE(9))
        if (count !== this.records) throw new SnapshotFormatError(`snap: end record says ${count} revisions, read ${this.records}`)
        this.done = true
        if (q.available > 0) throw new SnapshotFormatError('snap: bytes after the end record')
        return
      }
      if (kind !== REC_REVISION) throw new SnapshotFormatError(`snap: unknown record type ${kind}`)
      if (q.available < FIXED) return
      const h = q.peek(FIXED)
      const klen = h.readUInt32LE(1)
      const vlen = h.readUInt32LE(5)
      const flags = h[37]!
      const leaseLen = flags & FLAG_LEASE ? 8 : 0
      const total = FIXED + leaseLen + klen + vlen
      if (q.available < total) return
      const create = smallInt(h.readDoubleLE(9))
      const mod = smallInt(h.readDoubleLE(17))
      const sub = h.readUInt32LE(25)
      const version = smallInt(h.readDoubleLE(29))
      q.skip(FIXED)
      const lease = leaseLen ? this.leaseId(q.take(8), 0) : '0'
      const key = q.take(klen).toString('latin1')
      // A view into the chunk it arrived in (or a copy when it spans two): no per-value copy.
      const value = vlen ? q.take(vlen) : EMPTY
      loader.add(KeyRevision.make(key, value, create, mod, sub, version, lease, (flags & FLAG_TOMBSTONE) !== 0))
      this.records++
    }
  }

  /**
   * Reads the records that lie wholly inside the chunk being read straight from it: no Buffer per
   * field, only the key string and the value's view (a restart decodes ~300k records, so the
   * temporary objects of the general path cost more than the records themselves). Stops at the end
   * record, at a record that spans chunks, and at anything unexpected (the general path reports it).
   */
  private parseInPlace(loader: StoreLoader): void {
    const q = this.q
    const b = q.head
    if (!b) return
    const end = b.length
    let off = q.offset
    let records = this.records
    while (off + FIXED <= end && b[off] === REC_REVISION) {
      const klen = b.readUInt32LE(off + 1)
      const vlen = b.readUInt32LE(off + 5)
      const flags = b[off + 37]!
      const leaseLen = flags & FLAG_LEASE ? 8 : 0
      const keyAt = off + FIXED + leaseLen
      const valueAt = keyAt + klen
      const next = valueAt + vlen
      if (next > end) break
      loader.add(
        KeyRevision.make(
          b.toString('latin1', keyAt, valueAt),
          // The value where it lies in the chunk: no copy, and no view either. An empty one must
          // not keep the chunk.
          vlen ? b : EMPTY,
          smallInt(b.readDoubleLE(off + 9)),
          smallInt(b.readDoubleLE(off + 17)),
          b.readUInt32LE(off + 25),
          smallInt(b.readDoubleLE(off + 29)),
          leaseLen ? this.leaseId(b, off + FIXED) : '0',
          (flags & FLAG_TOMBSTONE) !== 0,
          vlen ? valueAt : 0,
          vlen ? next : 0,
        ),
      )
      records++
      off = next
    }
    this.records = records
    if (off > q.offset) q.consumeTo(off)
  }

  /** Lease IDs repeat (a few leases hold many keys): one string per lease, not one per record. */
  private leaseId(b: Buffer, at: number): string {
    const lo = b.readUInt32LE(at)
    const hi = b.readInt32LE(at + 4)
    let byLo = this.leaseIds.get(hi)
    if (!byLo) this.leaseIds.set(hi, (byLo = new Map()))
    let id = byLo.get(lo)
    if (id === undefined) byLo.set(lo, (id = b.readBigInt64LE(at).toString()))
    return id
  }

  finish(): StateImage {
    if (this.v1) return decodeV1(Buffer.concat(this.v1))
    if (!this.header || !this.done) throw new SnapshotFormatError('snap: state snapshot ends early')
    const h = this.header
    return {
      appliedIndex: h.appliedIndex,
      appliedTerm: h.appliedTerm,
      store: this.loader!.finish(this.currentRev || h.currentRev),
      leases: h.leases,
      cluster: h.cluster,
      alarms: h.alarms,
      auth: h.auth,
      clusterVersion: h.clusterVersion ?? '',
    }
  }
}

const EMPTY = Buffer.alloc(0)

/**
 * A revision number read as a double, returned as a small integer when it is one. V8 keeps a field
 * that has held a double in a box of its own (16 bytes and a pointer) in every object of that
 * shape: three such fields per revision were 900,000 boxes, 14 MB of heap, for 300,000 revisions.
 * Values too large for a small integer stay doubles (the shape then boxes; nothing changes but size).
 */
function smallInt(x: number): number {
  return x >= -0x40000000 && x < 0x40000000 ? x | 0 : x
}

export function decodeState(data: Uint8Array): StateImage {
  const d = new StateDecoder()
  d.push(data)
  return d.finish()
}

/** Format 1: one JSON header and fixed-size records, written in one piece by earlier versions. */
function decodeV1(buf: Buffer): StateImage {
  let off = MAGIC_V1.length
  const hlen = buf.readUInt32LE(off)
  off += 4
  const header = JSON.parse(buf.subarray(off, off + hlen).toString()) as Header
  off += hlen
  const revs: KeyRevision[] = []
  for (let i = 0; i < (header.revisions ?? 0); i++) {
    const klen = buf.readUInt32LE(off)
    const vlen = buf.readUInt32LE(off + 4)
    const llen = buf[off + 8]!
    const create = smallInt(buf.readDoubleLE(off + 9))
    const mod = smallInt(buf.readDoubleLE(off + 17))
    const sub = smallInt(buf.readDoubleLE(off + 25))
    const version = smallInt(buf.readDoubleLE(off + 33))
    const tombstone = buf.readDoubleLE(off + 41) === 1
    off += 49
    const key = buf.subarray(off, off + klen).toString('latin1')
    off += klen
    const value = Buffer.from(buf.subarray(off, off + vlen))
    off += vlen
    const lease = buf.subarray(off, off + llen).toString('latin1')
    off += llen
    revs.push(KeyRevision.make(key, value, create, mod, sub, version, lease, tombstone))
  }
  revs.sort((a, b) => a.mod - b.mod || a.sub - b.sub)
  const loader = new StoreLoader(header.compactRev, header.everCompacted ?? header.compactRev > 0)
  for (const r of revs) loader.add(r)
  return {
    appliedIndex: header.appliedIndex,
    appliedTerm: header.appliedTerm,
    store: loader.finish(header.currentRev),
    leases: header.leases,
    cluster: header.cluster,
    alarms: header.alarms,
    auth: header.auth,
    clusterVersion: header.clusterVersion ?? '',
  }
}
