const NO_BYTES = Buffer.alloc(0)

/**
 * One stored revision of a key: a put, or a tombstone left by a delete.
 *
 * The value is kept as a range of a buffer it shares with other values (a slab of the store's
 * ByteArena, a chunk of the snapshot file it was loaded from), not as a Buffer view of its own: a
 * view is ~96 bytes and one more object for the collector to mark, per revision, for as long as the
 * revision is kept (docs/member.md, "Pool slabs the store kept alive").
 */
export class KeyRevision {
  /** Holds the value's bytes at [at, at + valueLength), among other values'. */
  private readonly bytes: ArrayBufferLike
  private readonly at: number
  readonly valueLength: number

  constructor(
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
    /** Position of the change inside its revision (several changes share one revision in a txn). */
    readonly sub: number,
    readonly version: number,
    /** Lease ID as a decimal string, '0' for none. */
    readonly lease: string,
    readonly tombstone: boolean,
    valueFrom = 0,
    valueTo = value.length,
  ) {
    this.bytes = value.buffer
    this.at = value.byteOffset + valueFrom
    this.valueLength = valueTo - valueFrom
  }

  /** The value: a new view at each read, so read it once where it is used. */
  get value(): Buffer {
    return this.valueLength === 0 ? NO_BYTES : Buffer.from(this.bytes, this.at, this.valueLength)
  }

  /** Whether `v` is a view of this revision's very bytes (not merely equal ones). */
  holds(v: Uint8Array): boolean {
    return v.buffer === this.bytes && v.byteOffset === this.at && v.length === this.valueLength
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
