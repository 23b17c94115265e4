import { SpillSegment, type SpillReader } from './valueSpill'

const NO_BYTES = Buffer.alloc(0)

/**
 * One stored revision of a key: a put, or a tombstone left by a delete.
 *
 * The value is kept as a range of a buffer it shares with other values (a slab of the store's
 * ByteArena, a chunk of the snapshot file it was loaded from), not as a Buffer view of its own: a
 * view is ~96 bytes and one more object for the collector to mark, per revision, for as long as the
 * revision is kept (docs/member.md, "Pool slabs the store kept alive").
 *
 * A store keeps one of these per revision of its history, so their size is most of its heap. Most
 * revisions are a plain put: the only change of its transaction (`sub` 0), with no lease. Those are
 * a PlainRevision, 80 bytes; the others (a transaction's later changes, a key with a lease, a
 * tombstone) carry the three fields more, 104 bytes (docs/member.md, "The history's objects,
 * smaller"). Make either with `KeyRevision.make`.
 */
export abstract class KeyRevision {
  /**
   * Holds the value's bytes at [at, at + valueLength), among other values': in memory, or in a file
   * once the value was spilled (valueSpill.ts).
   */
  private bytes: ArrayBufferLike | SpillSegment
  private at: number
  readonly valueLength: number

  protected constructor(
    /**
     * latin1 binary string of the key bytes (see keyIndex.ts). Replaced by an equal string when a
     * store shares one string per key.
     */
    public key: string,
    /**
     * The value, or a buffer holding it at [valueFrom, valueTo) (a snapshot decoder's chunk: no view
     * made only to be dropped). The revision keeps the memory under it, not the view.
     */
    value: Uint8Array,
    readonly create: number,
    /** Main revision of the change. */
    readonly mod: number,
    readonly version: number,
    valueFrom: number,
    valueTo: number,
  ) {
    this.bytes = value.buffer
    this.at = value.byteOffset + valueFrom
    this.valueLength = valueTo - valueFrom
  }

  /** Position of the change inside its revision (several changes share one revision in a txn). */
  abstract get sub(): number
  /** Lease ID as a decimal string, '0' for none. */
  abstract get lease(): string
  abstract get tombstone(): boolean

  /** A revision of `key`; its value is `value`, or the bytes at [valueFrom, valueTo) of it. */
  static make(
    key: string,
    value: Uint8Array,
    create: number,
    mod: number,
    sub: number,
    version: number,
    lease: string,
    tombstone: boolean,
    valueFrom = 0,
    valueTo = value.length,
  ): KeyRevision {
    if (sub === 0 && lease === '0' && !tombstone) return new PlainRevision(key, value, create, mod, version, valueFrom, valueTo)
    return new MarkedRevision(key, value, create, mod, version, valueFrom, valueTo, sub, lease, tombstone)
  }

  /** The value: a new view at each read (a read of the file once spilled), so read it once where it is used. */
  get value(): Buffer {
    if (this.valueLength === 0) return NO_BYTES
    const b = this.bytes
    return b instanceof SpillSegment ? b.read(this.at, this.valueLength) : Buffer.from(b, this.at, this.valueLength)
  }

  /**
   * Copies the value into `out` at `off` and returns its length; a spilled one through `reader`, which
   * reads the file a block at a time for a walk over many values (a snapshot's encoding).
   */
  copyValueTo(out: Uint8Array, off: number, reader: SpillReader): number {
    const n = this.valueLength
    if (n === 0) return 0
    const b = this.bytes
    if (b instanceof SpillSegment) reader.copy(b, this.at, n, out, off)
    else out.set(new Uint8Array(b, this.at, n), off)
    return n
  }

  /** Whether the value was moved to a spill file. */
  get spilled(): boolean {
    return this.bytes instanceof SpillSegment
  }

  /** The value is now at `at` in `segment` (ValueSpill, after writing it there); its memory can go. */
  moveValueTo(segment: SpillSegment, at: number): void {
    this.bytes = segment
    this.at = at
  }

  /** The memory the value is in, or undefined once it was spilled. */
  get memory(): ArrayBufferLike | undefined {
    const b = this.bytes
    return b instanceof SpillSegment ? undefined : b
  }

  /**
   * The value is now `copy` (the same bytes, elsewhere in memory: MvccStore.promoteLiveValues), so
   * the memory it was in can go. A view of the old bytes handed out before stays valid.
   */
  relocate(copy: Uint8Array): void {
    this.bytes = copy.buffer
    this.at = copy.byteOffset
  }

  /** Whether `v` is a view of this revision's very bytes (not merely equal ones). */
  holds(v: Uint8Array): boolean {
    return v.buffer === this.bytes && v.byteOffset === this.at && v.length === this.valueLength
  }
}

/** The only change of its transaction, without a lease, not a tombstone. */
class PlainRevision extends KeyRevision {
  constructor(key: string, value: Uint8Array, create: number, mod: number, version: number, valueFrom: number, valueTo: number) {
    super(key, value, create, mod, version, valueFrom, valueTo)
  }

  get sub(): number {
    return 0
  }

  get lease(): string {
    return '0'
  }

  get tombstone(): boolean {
    return false
  }
}

/** Any other revision. */
class MarkedRevision extends KeyRevision {
  constructor(
    key: string,
    value: Uint8Array,
    create: number,
    mod: number,
    version: number,
    valueFrom: number,
    valueTo: number,
    private readonly subIndex: number,
    private readonly leaseId: string,
    private readonly isTombstone: boolean,
  ) {
    super(key, value, create, mod, version, valueFrom, valueTo)
  }

  get sub(): number {
    return this.subIndex
  }

  get lease(): string {
    return this.leaseId
  }

  get tombstone(): boolean {
    return this.isTombstone
  }
}

export interface MvccEvent {
  type: 'PUT' | 'DELETE'
  kv: KeyRevision
}

/** Wire shape of mvccpb.KeyValue with the loader's options (int64 as decimal strings). */
export interface KeyValue {
  key: Buffer
  create_revision: string
  mod_revision: string
  version: string
  value: Buffer
  lease: string
}

export function toKeyValue(r: KeyRevision, keysOnly = false): KeyValue {
  if (r.tombstone) {
    // A delete event carries only the key and the delete's revision, as in etcd.
    return { key: Buffer.from(r.key, 'latin1'), create_revision: '0', mod_revision: String(r.mod), version: '0', value: Buffer.alloc(0), lease: '0' }
  }
  return {
    key: Buffer.from(r.key, 'latin1'),
    create_revision: String(r.create),
    mod_revision: String(r.mod),
    version: String(r.version),
    value: keysOnly ? Buffer.alloc(0) : r.value,
    lease: r.lease,
  }
}
