/**
 * Copies of bytes a member keeps for a long time (stored values, Raft log entries), packed into
 * slabs of their own.
 *
 * Why: a small Buffer that Node makes (`Buffer.from`, `allocUnsafe`, protobufjs' writer) is a view
 * of an 8 KiB pool slab shared with whatever else was allocated at the time: request frames,
 * response headers, WAL records, all of them garbage a moment later. A value kept by the store
 * keeps its whole slab alive. Measured on a leader after 30 s of puts of 256-byte values (about
 * 120,000 revisions): 12,836 such slabs, 100 MB, held by stored values and log entries
 * (docs/member.md, "Pool slabs the store kept alive"). Here a slab holds only kept bytes.
 *
 * A slab lives while any copy in it lives. Bytes kept together mostly die together (a compaction
 * drops old revisions, a log compaction drops old entries). Where they do not (one value that stays
 * among many that a compaction drops), the slab stays for it: slabs are the size of Node's pool
 * slabs, so that this worst case is never worse than keeping the pooled buffer was, while the usual
 * case is dense. Larger copies get an allocation of their own (about 300 bytes of bookkeeping each,
 * measured, which is why small ones share).
 *
 * Kept bytes are shared rather than copied again (`isKept`): a put's value stays where the Raft
 * log's copy of its entry is, so a revision still in the log costs its bytes once, not twice, and
 * after the log drops the entry the revision keeps the entry's bytes (its value plus the request's
 * few dozen bytes of framing) instead of a copy of the value.
 */

/** Size of one shared slab: Node's own pool slab size. */
export const SLAB_BYTES = 8 * 1024
/**
 * Size of the Raft log's slabs: each is a memory mapping of its own, exactly 32 pages with malloc's
 * chunk header, given back to the system when the slab is freed (members run with malloc's mmap
 * threshold fixed below this size: nodeFlags.ts). Bytes the log keeps die together when the log
 * drops its oldest entries, and the store moves the live values still in them out first
 * (MvccStore.promoteLiveValues), so these slabs are not left pinned by a few survivors.
 */
export const LOG_SLAB_BYTES = 128 * 1024 - 32
/** Copies longer than this are allocated alone (their end-of-slab waste would be too large). */
export const MAX_SHARED_BYTES = 2 * 1024

const EMPTY = Buffer.alloc(0)

/** The memory of every arena's slabs and own allocations: bytes in it are kept copies already. */
const keptMemory = new WeakSet<ArrayBufferLike>()

/**
 * Whether `b` lies in memory a ByteArena made: a copy kept for a long time, which another holder
 * may keep too instead of copying it again (the store keeps a put's value where the Raft log keeps
 * its entry). Kept bytes are never written after their copy.
 */
export function isKept(b: Uint8Array): boolean {
  return keptMemory.has(b.buffer)
}

export class ByteArena {
  private slab: Buffer = EMPTY
  private used = 0
  /** Memory this arena allocated (slabs and own allocations), numbered in the order it was made. */
  private readonly made = new WeakMap<ArrayBufferLike, number>()
  private allocations = 0

  constructor(private readonly slabBytes = SLAB_BYTES) {}

  /** In what order this arena made `b` (0 first), or undefined when it did not. */
  orderOf(b: ArrayBufferLike): number | undefined {
    return this.made.get(b)
  }

  /** A copy of `src` that shares memory with nothing but other copies made here. */
  copy(src: Uint8Array): Buffer {
    const n = src.length
    if (n === 0) return EMPTY
    if (n > MAX_SHARED_BYTES) {
      const own = Buffer.allocUnsafeSlow(n)
      own.set(src)
      this.keep(own.buffer)
      return own
    }
    if (this.used + n > this.slab.length) {
      this.slab = Buffer.allocUnsafeSlow(this.slabBytes)
      this.used = 0
      this.keep(this.slab.buffer)
    }
    const out = this.slab.subarray(this.used, this.used + n)
    out.set(src)
    this.used += n
    return out
  }

  private keep(b: ArrayBufferLike): void {
    keptMemory.add(b)
    this.made.set(b, this.allocations++)
  }
}
