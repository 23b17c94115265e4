/**
 * HashKV exactly as etcd computes it, so a raftdeck member and an etcd holding the same history
 * report the same hash (and restore checks can compare them): CRC-32C (Castagnoli) over the
 * bucket name "key", then, for every stored revision up to `rev` in revision order, the bbolt
 * key (8-byte main revision, '_', 8-byte sub revision, plus 't' for a tombstone) followed by the
 * protobuf-encoded mvccpb.KeyValue value as etcd writes it (zero fields omitted).
 */
import type { KeyRevision } from './types'
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

export function crc32c(data: Uint8Array, prev = 0): number {
  let c = ~prev >>> 0
  for (let i = 0; i < data.length; i++) c = TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8)
  return ~c >>> 0
}

function varint(n: bigint, out: number[]): void {
  let v = BigInt.asUintN(64, n)
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80)
    v >>= 7n
  }
  out.push(Number(v))
}

function field(tag: number, n: bigint, out: number[]): void {
  if (n === 0n) return
  out.push(tag)
  varint(n, out)
}

function bytesField(tag: number, b: Uint8Array, out: number[]): Buffer | undefined {
  if (b.length === 0) return undefined
  out.push(tag)
  varint(BigInt(b.length), out)
  return Buffer.from(b)
}

/** mvccpb.KeyValue in proto3 wire form, field order 1..6, zero values left out. */
export function encodeKeyValue(r: KeyRevision): Buffer {
  const key = Buffer.from(r.key, 'latin1')
  const parts: Buffer[] = []
  let head: number[] = []
  const flush = (): void => {
    if (head.length) parts.push(Buffer.from(head))
    head = []
  }
  const k = bytesField(0x0a, key, head)
  flush()
  if (k) parts.push(k)
  if (!r.tombstone) {
    field(0x10, BigInt(r.create), head)
    field(0x18, BigInt(r.mod), head)
    field(0x20, BigInt(r.version), head)
    const v = bytesField(0x2a, r.value, head)
    flush()
    if (v) parts.push(v)
    field(0x30, BigInt(r.lease), head)
  }
  flush()
  return Buffer.concat(parts)
}

export function revisionKey(r: KeyRevision): Buffer {
  const b = Buffer.alloc(r.tombstone ? 18 : 17)
  b.writeBigUInt64BE(BigInt(r.mod), 0)
  b[8] = 0x5f
  b.writeBigUInt64BE(BigInt(r.sub), 9)
  if (r.tombstone) b[17] = 0x74
  return b
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
    h = crc32c(revisionKey(r), h)
    h = crc32c(encodeKeyValue(r), h)
  }
  return h
}

/**
 * hashKV over a frozen store view, in slices of at most `sliceMs` with a turn of the event loop
 * between them: a Kubernetes-sized history is hundreds of thousands of revisions, which a member
 * must not hash in one go on its Raft thread. Same result as hashKV.
 */
export async function hashKVOfView(view: StoreView, upTo: number, sliceMs = 5): Promise<number> {
  let t0 = performance.now()
  const pause = async (): Promise<void> => {
    if (performance.now() - t0 < sliceMs) return
    await new Promise((r) => setImmediate(r))
    t0 = performance.now()
  }
  // Below the compaction revision: at most one revision per key, sorted once.
  const old: KeyRevision[] = []
  let n = 0
  for (const r of view.survivors()) {
    if (r.mod <= upTo) old.push(r)
    if ((++n & 1023) === 0) await pause()
  }
  old.sort((a, b) => a.mod - b.mod || a.sub - b.sub)
  await pause()
  const ordered = function* (): Generator<KeyRevision> {
    yield* old
    for (const r of view.changes) {
      if (r.mod > upTo) return
      yield r
    }
  }
  // Each key's newest revision at upTo (the keep rule below needs the live ones).
  const latest = new Map<string, KeyRevision>()
  n = 0
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
    if (!(r.mod <= compactRev && anyLive && (r.tombstone || latest.get(r.key) !== r))) {
      h = crc32c(revisionKey(r), h)
      h = crc32c(encodeKeyValue(r), h)
    }
    if ((++n & 255) === 0) await pause()
  }
  return h
}
