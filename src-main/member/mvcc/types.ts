/** One stored revision of a key: a put, or a tombstone left by a delete. */
export interface KeyRevision {
  /** latin1 binary string of the key bytes (see keyIndex.ts). */
  key: string
  value: Buffer
  create: number
  /** Main revision of the change. */
  mod: number
  /** Position of the change inside its revision (several changes share one revision in a txn). */
  sub: number
  version: number
  /** Lease ID as a decimal string, '0' for none. */
  lease: string
  tombstone: boolean
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
