/**
 * The apply path as layers (etcd's applierV3 chain): each layer guards some requests and hands
 * the rest to the next, the last one changes the state. Every method returns the response body or
 * throws an EtcdError; the state machine turns a throw into the entry's result, the same on every
 * member. `chain.ts` stacks the layers by the alarms that are raised.
 */
import type { DeleteRangeRequest, DeleteRangeResponse, InternalRequest, PutRequest, PutResponse, TxnRequest, TxnResponse } from '../pb'

/**
 * Who proposed a request and the auth store revision their permissions were checked at (etcd's
 * RequestHeader). Undefined for entries written before members recorded it: they apply unchecked,
 * as they did when they were first applied.
 */
export interface AuthInfo {
  /** '' when auth was off at the proposing member. */
  username: string
  /** 0 when auth was off at the proposing member. */
  revision: number
}

export type CompactionRequest = NonNullable<InternalRequest['compaction']>
export type LeaseGrantRequest = NonNullable<InternalRequest['lease_grant']>
export type LeaseRevokeRequest = NonNullable<InternalRequest['lease_revoke']>

export interface LeaseGrantResult {
  ID: string
  TTL: string
  error: string
}

export interface Applier {
  put(r: PutRequest, ai: AuthInfo | undefined): PutResponse
  deleteRange(r: DeleteRangeRequest, ai: AuthInfo | undefined): DeleteRangeResponse
  txn(r: TxnRequest, ai: AuthInfo | undefined): TxnResponse
  compaction(r: CompactionRequest, ai: AuthInfo | undefined): object
  leaseGrant(r: LeaseGrantRequest, ai: AuthInfo | undefined): LeaseGrantResult
  leaseRevoke(r: LeaseRevokeRequest, ai: AuthInfo | undefined): object
  /** Every other request: alarms, membership, cluster version, logins and auth management. */
  control(req: InternalRequest, ai: AuthInfo | undefined): unknown
}

/** A layer that passes everything on; a guard overrides only what it guards. */
export class PassThrough implements Applier {
  constructor(protected readonly next: Applier) {}
  put(r: PutRequest, ai: AuthInfo | undefined): PutResponse {
    return this.next.put(r, ai)
  }
  deleteRange(r: DeleteRangeRequest, ai: AuthInfo | undefined): DeleteRangeResponse {
    return this.next.deleteRange(r, ai)
  }
  txn(r: TxnRequest, ai: AuthInfo | undefined): TxnResponse {
    return this.next.txn(r, ai)
  }
  compaction(r: CompactionRequest, ai: AuthInfo | undefined): object {
    return this.next.compaction(r, ai)
  }
  leaseGrant(r: LeaseGrantRequest, ai: AuthInfo | undefined): LeaseGrantResult {
    return this.next.leaseGrant(r, ai)
  }
  leaseRevoke(r: LeaseRevokeRequest, ai: AuthInfo | undefined): object {
    return this.next.leaseRevoke(r, ai)
  }
  control(req: InternalRequest, ai: AuthInfo | undefined): unknown {
    return this.next.control(req, ai)
  }
}

/** Hands one request to the top of the chain. */
export function applyRequest(a: Applier, req: InternalRequest, ai: AuthInfo | undefined): unknown {
  switch (req.request) {
    case 'put':
      return a.put(req.put!, ai)
    case 'delete_range':
      return a.deleteRange(req.delete_range!, ai)
    case 'txn':
      return a.txn(req.txn!, ai)
    case 'compaction':
      return a.compaction(req.compaction!, ai)
    case 'lease_grant':
      return a.leaseGrant(req.lease_grant!, ai)
    case 'lease_revoke':
      return a.leaseRevoke(req.lease_revoke!, ai)
    default:
      return a.control(req, ai)
  }
}
