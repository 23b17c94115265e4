/** etcdserverpb.KV: Range, Put, DeleteRange, Txn, Compact. */
import type * as grpc from '@grpc/grpc-js'
import type { EtcdServer } from '../server/etcdServer'
import { applyRange, checkDelete, checkPut, checkRange, checkTxn, isTxnReadOnly, applyTxn } from '../server/kvApply'
import type { DeleteRangeRequest, PutRequest, RangeRequest, RequestOp, TxnRequest } from '../server/pb'
import { requirePermission, unary } from './handler'
import { rejectIfLearner } from './learner'

function checkTxnPermissions(server: EtcdServer, md: grpc.Metadata, t: TxnRequest): void {
  for (const c of t.compare) requirePermission(server, md, 'READ', c.key, c.range_end)
  const ops: RequestOp[] = [...t.success, ...t.failure]
  for (const op of ops) {
    if (op.request_range) requirePermission(server, md, 'READ', op.request_range.key, op.request_range.range_end)
    else if (op.request_put) requirePermission(server, md, 'WRITE', op.request_put.key, Buffer.alloc(0))
    else if (op.request_delete_range) requirePermission(server, md, 'WRITE', op.request_delete_range.key, op.request_delete_range.range_end)
    else if (op.request_txn) checkTxnPermissions(server, md, op.request_txn)
  }
}

function txnIsSerializable(t: TxnRequest): boolean {
  for (const op of [...t.success, ...t.failure]) {
    if (op.request_range && !op.request_range.serializable) return false
    if (op.request_txn && !txnIsSerializable(op.request_txn)) return false
  }
  return true
}

function txnPutBytes(t: TxnRequest): number {
  let n = 0
  for (const op of [...t.success, ...t.failure]) {
    if (op.request_put) n += op.request_put.key.length + op.request_put.value.length
    if (op.request_txn) n += txnPutBytes(op.request_txn)
  }
  return n
}

export function kvService(server: EtcdServer): grpc.UntypedServiceImplementation {
  const store = () => server.sm.store
  return {
    Range: unary(server, async (req: RangeRequest, call) => {
      checkRange(req)
      if (!req.serializable) rejectIfLearner(server)
      requirePermission(server, call.metadata, 'READ', req.key, req.range_end)
      if (!req.serializable) await server.linearizableBarrier()
      const res = applyRange({ range: (k, e, o) => store().range(k, e, o) }, req)
      return { header: server.header(), ...res }
    }),
    Put: unary(server, async (req: PutRequest, call) => {
      checkPut(req)
      rejectIfLearner(server)
      requirePermission(server, call.metadata, 'WRITE', req.key, Buffer.alloc(0))
      await server.checkQuota(req.key.length + req.value.length)
      const out = await server.propose({ put: req })
      return { header: server.header(out.revision), ...(out.result as object) }
    }),
    DeleteRange: unary(server, async (req: DeleteRangeRequest, call) => {
      checkDelete(req)
      rejectIfLearner(server)
      requirePermission(server, call.metadata, 'WRITE', req.key, req.range_end)
      const out = await server.propose({ delete_range: req })
      return { header: server.header(out.revision), ...(out.result as object) }
    }),
    Txn: unary(server, async (req: TxnRequest, call) => {
      checkTxn(req)
      rejectIfLearner(server)
      checkTxnPermissions(server, call.metadata, req)
      if (isTxnReadOnly(req)) {
        // No writes: answer from local state after a ReadIndex round, without a log entry.
        if (!txnIsSerializable(req)) await server.linearizableBarrier()
        const txn = store().write()
        const res = applyTxn(txn, server.sm.lessor, req)
        txn.end()
        return { header: server.header(), ...res }
      }
      const bytes = txnPutBytes(req)
      if (bytes > 0) await server.checkQuota(bytes)
      const out = await server.propose({ txn: req })
      return { header: server.header(out.revision), ...(out.result as object) }
    }),
    Compact: unary(server, async (req: { revision: string; physical: boolean }) => {
      rejectIfLearner(server)
      // Validated when applied (as etcd does), so every member fails it the same way.
      const out = await server.propose({ compaction: { revision: req.revision, physical: req.physical } })
      return { header: server.header(out.revision) }
    }),
  }
}
