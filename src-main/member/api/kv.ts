/** etcdserverpb.KV: Range, Put, DeleteRange, Txn, Compact. */
import type * as grpc from '@grpc/grpc-js'
import type { AuthStore } from '../auth/store'
import { putCost, txnCost } from '../server/apply/quota'
import { applyRange, checkDelete, checkPut, checkRange, checkTxnRequest, isTxnReadOnly, applyTxn } from '../server/kvApply'
import type { DeleteRangeRequest, PutRequest, RangeRequest, RequestOp, TxnRequest } from '../server/pb'
import type { ApiContext, LinearizableReads, Proposing, QuotaCheck, Roles } from '../server/ports'
import { authInfoOf, authOf, requirePermission, unary } from './handler'
import { rejectIfLearner } from './learner'

export type KvHost = ApiContext & Proposing & LinearizableReads & QuotaCheck & Pick<Roles, 'isLearner'> & { readonly maxTxnOps: number }

function checkTxnPermissions(auth: AuthStore, md: grpc.Metadata, t: TxnRequest): void {
  for (const c of t.compare) requirePermission(auth, md, 'READ', c.key, c.range_end)
  const ops: RequestOp[] = [...t.success, ...t.failure]
  for (const op of ops) {
    if (op.request_range) requirePermission(auth, md, 'READ', op.request_range.key, op.request_range.range_end)
    else if (op.request_put) checkPutPermissions(auth, md, op.request_put)
    else if (op.request_delete_range) checkDeletePermissions(auth, md, op.request_delete_range)
    else if (op.request_txn) checkTxnPermissions(auth, md, op.request_txn)
  }
}

/** A write, and a read too when the previous value is asked for (prev_kv would otherwise leak it). */
function checkPutPermissions(auth: AuthStore, md: grpc.Metadata, p: PutRequest): void {
  requirePermission(auth, md, 'WRITE', p.key, Buffer.alloc(0))
  if (p.prev_kv) requirePermission(auth, md, 'READ', p.key, Buffer.alloc(0))
}

function checkDeletePermissions(auth: AuthStore, md: grpc.Metadata, d: DeleteRangeRequest): void {
  requirePermission(auth, md, 'WRITE', d.key, d.range_end)
  if (d.prev_kv) requirePermission(auth, md, 'READ', d.key, d.range_end)
}

function txnIsSerializable(t: TxnRequest): boolean {
  for (const op of [...t.success, ...t.failure]) {
    if (op.request_range && !op.request_range.serializable) return false
    if (op.request_txn && !txnIsSerializable(op.request_txn)) return false
  }
  return true
}

export function kvService(member: KvHost): grpc.UntypedServiceImplementation {
  return {
    Range: unary(member, async (req: RangeRequest, call) => {
      checkRange(req)
      if (!req.serializable) rejectIfLearner(member)
      // As etcd: wait for the read index first, then check the caller against the auth state this
      // member has applied by then. Checked before the wait, a follower that has not applied an
      // AuthEnable yet would answer an anonymous read the leader already refuses.
      if (!req.serializable) await member.linearizableBarrier()
      requirePermission(member.state.auth, call.metadata, 'READ', req.key, req.range_end)
      const res = applyRange({ range: (k, e, o) => member.state.store.range(k, e, o) }, req)
      return { header: member.header(), ...res }
    }),
    Put: unary(member, async (req: PutRequest, call) => {
      checkPut(req)
      checkPutPermissions(member.state.auth, call.metadata, req)
      await member.checkQuota(putCost(req))
      const out = await member.propose({ put: req }, { auth: authOf(member.state.auth, call.metadata) })
      return { header: member.header(out.revision), ...(out.result as object) }
    }),
    DeleteRange: unary(member, async (req: DeleteRangeRequest, call) => {
      checkDelete(req)
      checkDeletePermissions(member.state.auth, call.metadata, req)
      const out = await member.propose({ delete_range: req }, { auth: authOf(member.state.auth, call.metadata) })
      return { header: member.header(out.revision), ...(out.result as object) }
    }),
    Txn: unary(member, async (req: TxnRequest, call) => {
      checkTxnRequest(req, member.maxTxnOps)
      const readOnly = isTxnReadOnly(req)
      // No writes: answer from local state after a ReadIndex round, without a log entry. The
      // caller is checked after that round, against the auth state applied by then (as Range).
      if (readOnly && !txnIsSerializable(req)) await member.linearizableBarrier()
      // The token is checked even for a txn with nothing in it (etcd's AuthInfoFromCtx).
      authInfoOf(member.state.auth, call.metadata)
      checkTxnPermissions(member.state.auth, call.metadata, req)
      if (readOnly) {
        const txn = member.state.store.write()
        try {
          return { header: member.header(), ...applyTxn(txn, member.state.lessor, req) }
        } finally {
          // Nothing to commit: a read-only txn changes nothing.
          txn.abort()
        }
      }
      const bytes = txnCost(req)
      if (bytes > 0) await member.checkQuota(bytes)
      const out = await member.propose({ txn: req }, { auth: authOf(member.state.auth, call.metadata) })
      return { header: member.header(out.revision), ...(out.result as object) }
    }),
    Compact: unary(member, async (req: { revision: string; physical: boolean }, call) => {
      // Validated when applied (as etcd does), so every member fails it the same way.
      const out = await member.propose({ compaction: { revision: req.revision, physical: req.physical } }, { auth: authOf(member.state.auth, call.metadata) })
      // As etcd: with physical, answer once this member has removed the compacted revisions.
      if (req.physical) await member.state.store.physicallyCompacted()
      return { header: member.header(out.revision) }
    }),
  }
}
