/**
 * With a NOSPACE alarm raised the store is capped (etcd's applierV3Capped): puts, txns that put and
 * lease grants fail with "database space exceeded"; reads, deletes and compaction still go through,
 * so an operator can make room and disarm the alarm.
 */
import { Errors } from '../../errors'
import type { PutResponse, TxnRequest, TxnResponse } from '../pb'
import { PassThrough, type AuthInfo, type LeaseGrantResult } from './applier'
import { txnCost } from './quota'

export class CappedApplier extends PassThrough {
  override put(): PutResponse {
    throw Errors.noSpace()
  }
  override txn(r: TxnRequest, ai: AuthInfo | undefined): TxnResponse {
    if (txnCost(r) > 0) throw Errors.noSpace()
    return this.next.txn(r, ai)
  }
  override leaseGrant(): LeaseGrantResult {
    throw Errors.noSpace()
  }
}
