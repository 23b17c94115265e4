/**
 * The replicated state machine: the MVCC store, leases, membership, alarms and auth. Committed
 * log entries are applied here in order on every member, so each applies the same changes with
 * the same results (errors included: a Put with a missing lease fails identically everywhere).
 */
import { AuthStore, type PermType } from '../auth/store'
import { EtcdError, Errors } from '../errors'
import { Lessor } from '../lease/lessor'
import { MvccStore } from '../mvcc/store'
import { applyDelete, applyPut, applyTxn } from './kvApply'
import { ClusterMembers } from './cluster'
import type { InternalRequest, Member } from './pb'

export type AlarmName = 'NOSPACE' | 'CORRUPT'

export interface ApplyOutcome {
  /** Response body without header, or the error the client must see. */
  result: unknown
  error?: EtcdError
  /** Store revision right after applying (goes into the response header). */
  revision: number
}

export class StateMachine {
  readonly store = new MvccStore()
  readonly lessor: Lessor
  readonly cluster: ClusterMembers
  readonly auth = new AuthStore()
  /** `${memberID}/${alarm}` for every raised alarm. */
  readonly alarms = new Set<string>()
  /** Set by the first leader (etcd's cluster version), '' until then. */
  clusterVersion = ''
  /** Index of the last applied entry (etcd's consistent index). */
  appliedIndex = 0
  appliedTerm = 0
  /** Called after a membership change is applied, so the transport and Raft can follow. */
  onMembershipChange: (kind: string, m: Member) => void = () => {}

  constructor(clusterId: string, localId: string, minLeaseTTL: number) {
    this.lessor = new Lessor(minLeaseTTL)
    this.cluster = new ClusterMembers(clusterId, localId)
  }

  hasAlarm(name: AlarmName): boolean {
    for (const a of this.alarms) if (a.endsWith(`/${name}`)) return true
    return false
  }

  alarmList(): Array<{ memberID: string; alarm: AlarmName }> {
    return [...this.alarms].sort().map((a) => {
      const [memberID, alarm] = a.split('/') as [string, AlarmName]
      return { memberID, alarm }
    })
  }

  apply(index: number, term: number, req: InternalRequest): ApplyOutcome {
    this.appliedIndex = index
    this.appliedTerm = term
    try {
      const result = this.dispatch(req)
      return { result, revision: this.store.currentRev }
    } catch (err) {
      if (err instanceof EtcdError) return { result: undefined, error: err, revision: this.store.currentRev }
      throw err
    }
  }

  private dispatch(req: InternalRequest): unknown {
    const noSpace = this.hasAlarm('NOSPACE')
    switch (req.request) {
      case 'put': {
        // With NOSPACE raised only reads, deletes and compactions go through (etcd's capped applier).
        if (noSpace) throw Errors.noSpace()
        const txn = this.store.write()
        try {
          return applyPut(txn, this.lessor, req.put!)
        } finally {
          txn.end()
        }
      }
      case 'delete_range': {
        const txn = this.store.write()
        try {
          return applyDelete(txn, req.delete_range!)
        } finally {
          txn.end()
        }
      }
      case 'txn': {
        if (noSpace && hasPut(req.txn!)) throw Errors.noSpace()
        const txn = this.store.write()
        try {
          return applyTxn(txn, this.lessor, req.txn!)
        } finally {
          txn.end()
        }
      }
      case 'compaction':
        this.store.compact(Number(req.compaction!.revision))
        return {}
      case 'lease_grant': {
        if (noSpace) throw Errors.noSpace()
        const l = this.lessor.grant(req.lease_grant!.ID, Number(req.lease_grant!.TTL))
        return { ID: l.id, TTL: String(l.ttl), error: '' }
      }
      case 'lease_revoke':
        this.revokeLease(req.lease_revoke!.ID)
        return {}
      case 'lease_checkpoints':
        for (const c of req.lease_checkpoints!.checkpoints) this.lessor.checkpoint(c.ID, Number(c.TTL))
        return {}
      case 'alarm':
        return this.applyAlarm(req.alarm!)
      case 'member_attributes': {
        const a = req.member_attributes!
        this.cluster.setAttributes(a.memberID, a.name, a.clientURLs)
        return {}
      }
      case 'member_change':
        return this.applyMemberChange(req.member_change!.kind, req.member_change!.member)
      case 'noop':
        return {}
      case 'cluster_version':
        this.clusterVersion = req.cluster_version!.ver
        return {}
      default:
        return this.applyAuth(req)
    }
  }

  /** Revoking deletes the lease's keys in one revision, then the lease. */
  revokeLease(id: string): void {
    if (!this.lessor.leases.has(id)) throw Errors.leaseNotFound()
    const keys = this.store.keysOfLease(id)
    if (keys.length) {
      const txn = this.store.write()
      for (const k of keys) txn.deleteRange(k, undefined)
      txn.end()
    }
    this.store.forgetLease(id)
    this.lessor.revoke(id)
  }

  private applyAlarm(a: NonNullable<InternalRequest['alarm']>): unknown {
    if (a.action === 'ACTIVATE' && a.alarm !== 'NONE') {
      this.alarms.add(`${a.memberID}/${a.alarm}`)
      return { alarms: [{ memberID: a.memberID, alarm: a.alarm }] }
    }
    if (a.action === 'DEACTIVATE') {
      const out = []
      for (const x of this.alarmList()) {
        if ((a.memberID === '0' || x.memberID === a.memberID) && (a.alarm === 'NONE' || a.alarm === x.alarm)) {
          this.alarms.delete(`${x.memberID}/${x.alarm}`)
          out.push(x)
        }
      }
      return { alarms: out }
    }
    return { alarms: this.alarmList().filter((x) => a.alarm === 'NONE' || x.alarm === a.alarm) }
  }

  /**
   * The error a membership change would fail with now, if any (re-checked at apply time). Lenient
   * where the change is already in effect: a member that joined with the current member list, or a
   * restart without a snapshot, replays changes its seeded list already contains.
   */
  checkMemberChange(req: InternalRequest): EtcdError | undefined {
    const change = req.member_change
    if (!change) return undefined
    const m = change.member
    const existing = this.cluster.get(m.ID)
    switch (change.kind) {
      case 'ADD': {
        if (existing) return undefined
        if (this.cluster.removed.has(m.ID)) return Errors.memberExist()
        const urls = new Set(m.peerURLs)
        for (const other of this.cluster.members.values()) if (other.peerURLs.some((u) => urls.has(u))) return Errors.peerURLExist()
        return undefined
      }
      case 'PROMOTE':
      case 'UPDATE':
        return existing ? undefined : Errors.memberNotFound()
      default:
        return undefined
    }
  }

  private applyMemberChange(kind: string, m: Member): unknown {
    switch (kind) {
      case 'ADD':
        if (!this.cluster.get(m.ID)) this.cluster.add(m)
        break
      case 'REMOVE':
        this.cluster.remove(m.ID)
        break
      case 'UPDATE':
        this.cluster.update(m.ID, m.peerURLs)
        break
      case 'PROMOTE':
        this.cluster.promote(m.ID)
        break
    }
    this.onMembershipChange(kind, m)
    return { members: this.cluster.list() }
  }

  private applyAuth(req: InternalRequest): unknown {
    const a = this.auth
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

function hasPut(t: NonNullable<InternalRequest['txn']>): boolean {
  for (const ops of [t.success, t.failure]) {
    for (const op of ops) {
      if (op.request_put) return true
      if (op.request_txn && hasPut(op.request_txn)) return true
    }
  }
  return false
}
