/**
 * The backend quota (--quota-backend-bytes). One `Quota` answers both questions: the API asks it
 * before proposing (and raises NOSPACE when a write would not fit), and the quota layer asks it
 * again when the entry is applied, because writes proposed together may fit one by one but not
 * all together. As in etcd's quotaApplierV3, a write that no longer fits is still applied (every
 * member applies it the same way) and its client is told "database space exceeded"; the alarm
 * raised by the next check caps the store.
 */
import { Errors } from '../../errors'
import type { PutRequest, PutResponse, TxnRequest, TxnResponse } from '../pb'
import { PassThrough, type Applier, type AuthInfo, type LeaseGrantRequest, type LeaseGrantResult } from './applier'

export interface Quota {
  /** Would `cost` more bytes still fit? */
  available(cost: number): boolean
}

/** The store's size against a fixed number of bytes. */
export function backendQuota(sizeInUse: () => number, quotaBytes: number): Quota {
  return { available: (cost) => sizeInUse() + cost <= quotaBytes }
}

export function putCost(r: PutRequest): number {
  return r.key.length + r.value.length
}

/** Bytes the puts of a txn (and of its nested txns) would add. */
export function txnCost(t: TxnRequest): number {
  let n = 0
  for (const ops of [t.success, t.failure]) {
    for (const op of ops) {
      if (op.request_put) n += putCost(op.request_put)
      if (op.request_txn) n += txnCost(op.request_txn)
    }
  }
  return n
}

export class QuotaApplier extends PassThrough {
  constructor(
    next: Applier,
    private readonly quota: Quota,
  ) {
    super(next)
  }

  override put(r: PutRequest, ai: AuthInfo | undefined): PutResponse {
    const fits = this.quota.available(putCost(r))
    const res = this.next.put(r, ai)
    if (!fits) throw Errors.noSpace()
    return res
  }

  override txn(r: TxnRequest, ai: AuthInfo | undefined): TxnResponse {
    // A txn that writes nothing (reads, deletes) always fits.
    const cost = txnCost(r)
    const fits = cost === 0 || this.quota.available(cost)
    const res = this.next.txn(r, ai)
    if (!fits) throw Errors.noSpace()
    return res
  }

  override leaseGrant(r: LeaseGrantRequest, ai: AuthInfo | undefined): LeaseGrantResult {
    const fits = this.quota.available(0)
    const res = this.next.leaseGrant(r, ai)
    if (!fits) throw Errors.noSpace()
    return res
  }
}
