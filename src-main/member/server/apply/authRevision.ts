/**
 * Permissions checked again when an entry is applied (etcd's authApplierV3). The API checks a
 * request before proposing it, but roles and permissions may change in the log between that check
 * and this entry; here every member checks against the auth state at this exact point of the log,
 * and a request checked at an older auth revision fails with "revision of auth store is old" (the
 * proposer then retries with the current revision, see server/proposer.ts).
 */
import type { AuthStore } from '../../auth/store'
import type { Lessor } from '../../lease/lessor'
import type { MvccStore } from '../../mvcc/store'
import type { DeleteRangeRequest, DeleteRangeResponse, InternalRequest, PutRequest, PutResponse, RequestOp, TxnRequest, TxnResponse } from '../pb'
import { PassThrough, type Applier, type AuthInfo, type LeaseRevokeRequest } from './applier'

const SINGLE_KEY = ''
const latin1 = (b: Buffer): string => b.toString('latin1')

/** Requests only a root user may make (etcd's needAdminPermission). */
const ADMIN_REQUESTS = new Set([
  'auth_enable',
  'auth_disable',
  'auth_user_add',
  'auth_user_delete',
  'auth_user_change_password',
  'auth_user_grant_role',
  'auth_user_revoke_role',
  'auth_role_add',
  'auth_role_delete',
  'auth_role_grant_permission',
  'auth_role_revoke_permission',
])

export class AuthApplier extends PassThrough {
  constructor(
    next: Applier,
    private readonly auth: AuthStore,
    private readonly lessor: Lessor,
    private readonly store: MvccStore,
  ) {
    super(next)
  }

  /** Auth is on and the entry says who made it: the only case with anything to check. */
  private checks(ai: AuthInfo | undefined): ai is AuthInfo {
    return ai !== undefined && this.auth.enabled
  }

  override put(r: PutRequest, ai: AuthInfo | undefined): PutResponse {
    if (this.checks(ai)) {
      this.auth.checkOp(ai, 'WRITE', latin1(r.key), SINGLE_KEY)
      // Attaching a lease whose keys this user may not write would let them delete those keys by revoking it.
      this.checkLeaseKeys(r.lease, ai)
      if (r.prev_kv) this.auth.checkOp(ai, 'READ', latin1(r.key), SINGLE_KEY)
    }
    return this.next.put(r, ai)
  }

  override deleteRange(r: DeleteRangeRequest, ai: AuthInfo | undefined): DeleteRangeResponse {
    if (this.checks(ai)) {
      this.auth.checkOp(ai, 'WRITE', latin1(r.key), latin1(r.range_end))
      if (r.prev_kv) this.auth.checkOp(ai, 'READ', latin1(r.key), latin1(r.range_end))
    }
    return this.next.deleteRange(r, ai)
  }

  override txn(r: TxnRequest, ai: AuthInfo | undefined): TxnResponse {
    if (this.checks(ai)) this.checkTxn(r, ai)
    return this.next.txn(r, ai)
  }

  override leaseRevoke(r: LeaseRevokeRequest, ai: AuthInfo | undefined): object {
    if (this.checks(ai)) this.checkLeaseKeys(r.ID, ai)
    return this.next.leaseRevoke(r, ai)
  }

  override control(req: InternalRequest, ai: AuthInfo | undefined): unknown {
    if (this.checks(ai) && ADMIN_REQUESTS.has(req.request ?? '')) this.auth.checkAdmin(ai)
    return this.next.control(req, ai)
  }

  private checkTxn(t: TxnRequest, ai: AuthInfo): void {
    for (const c of t.compare) this.auth.checkOp(ai, 'READ', latin1(c.key), latin1(c.range_end))
    for (const ops of [t.success, t.failure]) for (const op of ops) this.checkOp(op, ai)
  }

  private checkOp(op: RequestOp, ai: AuthInfo): void {
    if (op.request_range) this.auth.checkOp(ai, 'READ', latin1(op.request_range.key), latin1(op.request_range.range_end))
    else if (op.request_put) {
      this.auth.checkOp(ai, 'WRITE', latin1(op.request_put.key), SINGLE_KEY)
      // Stricter than etcd 3.4, which lets a txn's put return the previous value without read permission.
      if (op.request_put.prev_kv) this.auth.checkOp(ai, 'READ', latin1(op.request_put.key), SINGLE_KEY)
    }
    else if (op.request_delete_range) {
      const d = op.request_delete_range
      if (d.prev_kv) this.auth.checkOp(ai, 'READ', latin1(d.key), latin1(d.range_end))
      this.auth.checkOp(ai, 'WRITE', latin1(d.key), latin1(d.range_end))
    } else if (op.request_txn) this.checkTxn(op.request_txn, ai)
  }

  /** Every key attached to the lease must be writable by the user (admins may do anything). */
  private checkLeaseKeys(leaseId: string, ai: AuthInfo): void {
    if (!leaseId || leaseId === '0' || !this.lessor.leases.has(leaseId)) return
    try {
      this.auth.checkAdmin(ai)
      return
    } catch {
      // not an admin: check each key
    }
    for (const key of this.store.keysOfLease(leaseId)) this.auth.checkOp(ai, 'WRITE', key, SINGLE_KEY)
  }
}
