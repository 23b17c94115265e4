/**
 * The last layer: the request changes the state (etcd's applierV3backend). Keys go to the MVCC
 * store with etcd's KV semantics (kvApply.ts), leases to the lessor, alarms to the alarm store,
 * membership to the cluster, logins and users and roles to the auth store.
 */
import type { AuthStore, PermType } from '../../auth/store'
import { Errors } from '../../errors'
import type { Lessor } from '../../lease/lessor'
import type { MvccStore, WriteTxn } from '../../mvcc/store'
import type { AlarmMember, AlarmStore, AlarmType } from '../alarms'
import type { ClusterMembers } from '../cluster'
import { applyDelete, applyPut, applyTxn } from '../kvApply'
import type { DeleteRangeRequest, DeleteRangeResponse, InternalRequest, Member, PutRequest, PutResponse, TxnRequest, TxnResponse } from '../pb'
import type { Applier, CompactionRequest, LeaseGrantRequest, LeaseGrantResult, LeaseRevokeRequest } from './applier'

/** The parts of the state machine the backend changes. */
export interface BackendState {
  readonly store: MvccStore
  readonly lessor: Lessor
  readonly cluster: ClusterMembers
  readonly auth: AuthStore
  readonly alarms: AlarmStore
  clusterVersion: string
}

export class BackendApplier implements Applier {
  constructor(private readonly s: BackendState) {}

  put(r: PutRequest): PutResponse {
    return this.atomically((txn) => applyPut(txn, this.s.lessor, r))
  }

  deleteRange(r: DeleteRangeRequest): DeleteRangeResponse {
    return this.atomically((txn) => applyDelete(txn, r))
  }

  txn(r: TxnRequest): TxnResponse {
    return this.atomically((txn) => applyTxn(txn, this.s.lessor, r))
  }

  /** One write transaction: committed when `fn` returns, rolled back entirely when it throws. */
  private atomically<T>(fn: (txn: WriteTxn) => T): T {
    const txn = this.s.store.write()
    let res: T
    try {
      res = fn(txn)
    } catch (err) {
      txn.abort()
      throw err
    }
    txn.end()
    return res
  }

  compaction(r: CompactionRequest): object {
    this.s.store.compact(Number(r.revision))
    return {}
  }

  leaseGrant(r: LeaseGrantRequest): LeaseGrantResult {
    const l = this.s.lessor.grant(r.ID, Number(r.TTL))
    return { ID: l.id, TTL: String(l.ttl), error: '' }
  }

  /** Revoking deletes the lease's keys in one revision, then the lease. */
  leaseRevoke(r: LeaseRevokeRequest): object {
    const { store, lessor } = this.s
    if (!lessor.leases.has(r.ID)) throw Errors.leaseNotFound()
    const keys = store.keysOfLease(r.ID)
    if (keys.length) {
      const txn = store.write()
      for (const k of keys) txn.deleteRange(k, undefined)
      txn.end()
    }
    store.forgetLease(r.ID)
    lessor.revoke(r.ID)
    return {}
  }

  control(req: InternalRequest): unknown {
    const s = this.s
    switch (req.request) {
      case 'lease_checkpoints':
        for (const c of req.lease_checkpoints!.checkpoints) s.lessor.checkpoint(c.ID, Number(c.TTL))
        return {}
      case 'alarm':
        return this.alarm(req.alarm!)
      case 'member_attributes': {
        const a = req.member_attributes!
        s.cluster.setAttributes(a.memberID, a.name, a.clientURLs)
        return {}
      }
      case 'member_change':
        return this.memberChange(req.member_change!.kind, req.member_change!.member)
      case 'noop':
        return {}
      case 'cluster_version':
        s.clusterVersion = req.cluster_version!.ver
        return {}
      default:
        return this.authChange(req)
    }
  }

  /**
   * etcd's Alarm apply: ACTIVATE raises exactly the named alarm for the named member (any type,
   * even NONE); DEACTIVATE clears exactly that one (clients disarm everything by listing first, as
   * etcdctl does); GET lists the alarms of a type, every alarm for NONE; an unknown action does
   * nothing.
   */
  private alarm(a: NonNullable<InternalRequest['alarm']>): unknown {
    const alarms = this.s.alarms
    const type = a.alarm as AlarmType
    const sameType = (x: AlarmMember) => type === 'NONE' || x.alarm === type
    switch (a.action) {
      case 'ACTIVATE':
        alarms.activate(a.memberID, type)
        return { alarms: [{ memberID: a.memberID, alarm: type }] }
      case 'DEACTIVATE':
        return { alarms: alarms.deactivate(a.memberID, type) ? [{ memberID: a.memberID, alarm: type }] : [] }
      case 'GET':
        return { alarms: alarms.list().filter(sameType) }
      default:
        return {}
    }
  }

  private memberChange(kind: string, m: Member): unknown {
    const c = this.s.cluster
    switch (kind) {
      case 'ADD':
        if (!c.get(m.ID)) c.add(m)
        break
      case 'REMOVE':
        c.remove(m.ID)
        break
      case 'UPDATE':
        c.update(m.ID, m.peerURLs)
        break
      case 'PROMOTE':
        c.promote(m.ID)
        break
    }
    return { members: c.list() }
  }

  private authChange(req: InternalRequest): unknown {
    const a = this.s.auth
    switch (req.request) {
      case 'auth_enable':
        a.enable()
        return {}
      case 'auth_authenticate':
        a.assignToken(req.auth_authenticate!.name, req.auth_authenticate!.simple_token)
        return {}
      case 'auth_disable':
        a.disable()
        return {}
      case 'auth_user_add':
        a.userAdd(req.auth_user_add!.name, req.auth_user_add!.password)
        return {}
      case 'auth_user_delete':
        a.userDelete(req.auth_user_delete!.name)
        return {}
      case 'auth_user_change_password':
        a.userChangePassword(req.auth_user_change_password!.name, req.auth_user_change_password!.password)
        return {}
      case 'auth_user_grant_role':
        a.userGrantRole(req.auth_user_grant_role!.user, req.auth_user_grant_role!.role)
        return {}
      case 'auth_user_revoke_role':
        a.userRevokeRole(req.auth_user_revoke_role!.name, req.auth_user_revoke_role!.role)
        return {}
      case 'auth_role_add':
        a.roleAdd(req.auth_role_add!.name)
        return {}
      case 'auth_role_delete':
        a.roleDelete(req.auth_role_delete!.role)
        return {}
      case 'auth_role_grant_permission': {
        const { name, perm } = req.auth_role_grant_permission!
        // etcd 3.4 dereferenced the missing permission here and every member exited (etcd PR 13086).
        if (!perm) throw Errors.permissionNotGiven()
        a.roleGrantPermission(name, { permType: perm.permType as PermType, key: perm.key.toString('latin1'), rangeEnd: perm.range_end.toString('latin1') })
        return {}
      }
      case 'auth_role_revoke_permission': {
        const r = req.auth_role_revoke_permission!
        a.roleRevokePermission(r.role, r.key.toString('latin1'), r.range_end.toString('latin1'))
        return {}
      }
      default:
        throw new Error(`apply: unknown request ${String(req.request)}`)
    }
  }
}
