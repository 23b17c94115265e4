/**
 * HashKV exactly as etcd computes it, so a raftdeck member and an etcd holding the same history
 * report the same hash (and restore checks can compare them): CRC-32C (Castagnoli) over the
 * bucket name "key", then, for every stored revision up to `rev` in revision order, the bbolt
 * key (8-byte main revision, '_', 8-byte sub revision, plus 't' for a tombstone) followed by the
 * protobuf-encoded mvccpb.KeyValue value as etcd writes it (zero fields omitted).
 */
import type { KeyRevision } from './types'
import { KeyMap } from './keyMap'
import { sortSliced, turnsEvery } from './slicedSort'
import type { StoreView } from './store'

const TABLE = (() => {
  const t = new Uint32Array(256)
  for (let i = 0; i < 256; i++) {
    let c = i
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1
    t[i] = c >>> 0
  }
  return t
})()

export function crc32c(data: Uint8Array, prev = 0, start = 0, end = data.length): number {
  let c = ~prev >>> 0
  for (let i = start; i < end; i++) c = TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8)
  return ~c >>> 0
}

/** Scratch space for one revision's bbolt key and the KeyValue fields around its key and value. */
const scratch = Buffer.alloc(512)
/** Keys up to this long are copied into the scratch space with their field header. */
const SHORT_KEY = 400

/** Appends an unsigned varint of a safe integer (no BigInt). */
function putVarint(b: Buffer, off: number, n: number): number {
  while (n >= 0x80) {
    b[off++] = (n % 0x80) | 0x80
    n = Math.floor(n / 0x80)
  }
  b[off++] = n
  return off
}

/**
 * CRC-32C of one revision as hashKV feeds it (bbolt key, then the KeyValue protobuf), continued
 * from `h`, without building either as a buffer of its own.
 */
function hashRevision(r: KeyRevision, h: number): number {
  const b = scratch
  b.writeUInt32BE(Math.floor(r.mod / 2 ** 32), 0)
  b.writeUInt32BE(r.mod >>> 0, 4)
  b[8] = 0x5f
  b.writeUInt32BE(Math.floor(r.sub / 2 ** 32), 9)
  b.writeUInt32BE(r.sub >>> 0, 13)
  let n = 17
  if (r.tombstone) b[n++] = 0x74
  h = crc32c(b, h, 0, n)
  const klen = r.key.length
  if (klen > 0) {
    b[0] = 0x0a
    n = putVarint(b, 1, klen)
    if (klen <= SHORT_KEY) h = crc32c(b, h, 0, n + b.write(r.key, n, 'latin1'))
    else h = crc32c(Buffer.from(r.key, 'latin1'), crc32c(b, h, 0, n))
  }
  if (r.tombstone) return h
  n = 0
  if (r.create) {
    b[n++] = 0x10
    n = putVarint(b, n, r.create)
  }
  if (r.mod) {
    b[n++] = 0x18
    n = putVarint(b, n, r.mod)
  }
  if (r.version) {
    b[n++] = 0x20
    n = putVarint(b, n, r.version)
  }
  if (r.valueLength) {
    b[n++] = 0x2a
    n = putVarint(b, n, r.valueLength)
    h = crc32c(b, h, 0, n)
    h = crc32c(r.value, h)
    n = 0
  }
  if (r.lease !== '0') {
    // Lease IDs are int64: negative ones are ten-byte varints of their two's complement.
    const lease = BigInt.asUintN(64, BigInt(r.lease))
    b[n++] = 0x30
    let v = lease
    while (v >= 0x80n) {
      b[n++] = Number(v & 0x7fn) | 0x80
      v >>= 7n
    }
    b[n++] = Number(v)
  }
  return n ? crc32c(b, h, 0, n) : h
}

/**
 * `revs` are every retained revision of the store, in any order. Like etcd, revisions at or below
 * the compaction revision count only if they are still each key's live revision at `upTo` (so
 * members that compacted at different moments agree), unless no key is live at all.
 */
export function hashKV(revs: Iterable<KeyRevision>, upTo: number, compactRev: number): number {
  const sorted = [...revs].filter((r) => r.mod <= upTo).sort((a, b) => a.mod - b.mod || a.sub - b.sub)
  const latest = new Map<string, KeyRevision>()
  for (const r of sorted) latest.set(r.key, r)
  const keep = new Set<KeyRevision>()
  for (const r of latest.values()) if (!r.tombstone) keep.add(r)
  let h = crc32c(Buffer.from('key'))
  for (const r of sorted) {
    if (r.mod <= compactRev && keep.size > 0 && !keep.has(r)) continue
    h = hashRevision(r, h)
  }
  return h
}

/**
 * hashKV over a frozen store view, in slices of at most `sliceMs` with a turn of the event loop
 * between them: a Kubernetes-sized history is hundreds of thousands of revisions, which a member
 * must not hash in one go on its Raft thread. Same result as hashKV.
 */
export async function hashKVOfView(view: StoreView, upTo: number, sliceMs = 5): Promise<number> {
  const pause = turnsEvery(sliceMs)
  // Below the compaction revision: at most one revision per key, sorted once.
  const old: KeyRevision[] = []
  for (const batch of view.survivorBatches()) {
    for (const r of batch) if (r.mod <= upTo) old.push(r)
    await pause()
  }
  const sorted = await sortSliced(old, (a, b) => a.mod - b.mod || a.sub - b.sub, sliceMs)
  await pause()
  const ordered = function* (): Generator<KeyRevision> {
    yield* sorted
    for (const r of view.changes) {
      if (r.mod > upTo) return
      yield r
    }
  }
  // Each key's newest revision at upTo (the keep rule below needs the live ones). A KeyMap, so
  // growing it to every key of a large store is never one long step.
  const latest = new KeyMap<KeyRevision>()
  let n = 0
  for (const r of ordered()) {
    latest.set(r.key, r)
    if ((++n & 1023) === 0) await pause()
  }
  let anyLive = false
  for (const r of latest.values()) {
    if (!r.tombstone) {
      anyLive = true
      break
    }
  }
  const compactRev = view.compactRev
  let h = crc32c(Buffer.from('key'))
  n = 0
  for (const r of ordered()) {
    if (!(r.mod <= compactRev && anyLive && (r.tombstone || latest.get(r.key) !== r))) h = hashRevision(r, h)
    if ((++n & 255) === 0) await pause()
  }
  return h
}
