/**
 * With a CORRUPT alarm raised, this member's data cannot be trusted to agree with the others':
 * nothing that reads or writes keys or leases is applied until the alarm is disarmed (etcd's
 * applierV3Corrupt). Alarms, membership and auth still go through, so an operator can repair.
 */
import { Errors } from '../../errors'
import type { DeleteRangeResponse, PutResponse, TxnResponse } from '../pb'
import { PassThrough, type LeaseGrantResult } from './applier'

export class CorruptApplier extends PassThrough {
  override put(): PutResponse {
    throw Errors.corrupt()
  }
  override deleteRange(): DeleteRangeResponse {
    throw Errors.corrupt()
  }
  override txn(): TxnResponse {
    throw Errors.corrupt()
  }
  override compaction(): object {
    throw Errors.corrupt()
  }
  override leaseGrant(): LeaseGrantResult {
    throw Errors.corrupt()
  }
  override leaseRevoke(): object {
    throw Errors.corrupt()
  }
}
