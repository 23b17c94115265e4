/**
 * Range, Put, DeleteRange and Txn against the MVCC store with etcd's semantics (etcd's
 * applierV3 for KV). Runs identically on every member when a committed entry is applied; Range
 * also runs directly for reads.
 */
import { Errors } from '../errors'
import type { Lessor } from '../lease/lessor'
import { rangeEnd } from '../mvcc/keyIndex'
import type { MvccStore, WriteTxn } from '../mvcc/store'
import { toKeyValue, type KeyRevision } from '../mvcc/types'
import type {
  Compare,
  DeleteRangeRequest,
  DeleteRangeResponse,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  RequestOp,
  ResponseOp,
  TxnRequest,
  TxnResponse,
} from './pb'

/** etcd's --max-txn-ops default. */
export const MAX_TXN_OPS = 128

type Reader = Pick<WriteTxn, 'range'>

const num = (s: string | undefined): number => (s ? Number(s) : 0)
const keyOf = (b: Buffer): string => b.toString('latin1')

// ---- validation done before proposing (etcd's v3rpc checks) ----

export function checkRange(r: RangeRequest): void {
  if (r.key.length === 0) throw Errors.emptyKey()
}

export function checkPut(r: PutRequest): void {
  if (r.key.length === 0) throw Errors.emptyKey()
  if (r.ignore_value && r.value.length !== 0) throw Errors.valueProvided()
  if (r.ignore_lease && num(r.lease) !== 0) throw Errors.leaseProvided()
}

export function checkDelete(r: DeleteRangeRequest): void {
  if (r.key.length === 0) throw Errors.emptyKey()
}

export function checkTxn(r: TxnRequest, maxOps = MAX_TXN_OPS): void {
  const opCount = Math.max(r.success.length, r.failure.length, r.compare.length)
  if (opCount > maxOps) throw Errors.tooManyOps()
  for (const c of r.compare) if (c.key.length === 0) throw Errors.emptyKey()
  for (const ops of [r.success, r.failure]) {
    for (const op of ops) checkOp(op, maxOps)
    checkDuplicatePuts(ops)
  }
}

function checkOp(op: RequestOp, maxOps: number): void {
  if (op.request_range) checkRange(op.request_range)
  else if (op.request_put) checkPut(op.request_put)
  else if (op.request_delete_range) checkDelete(op.request_delete_range)
  else if (op.request_txn) checkTxn(op.request_txn, maxOps)
}

/** A txn may not write the same key twice (etcd's "duplicate key given in txn request"). */
function checkDuplicatePuts(ops: RequestOp[]): void {
  const puts = new Set<string>()
  const dels: Array<[string, string | undefined]> = []
  for (const op of ops) {
    if (op.request_put) {
      const k = keyOf(op.request_put.key)
      if (puts.has(k)) throw Errors.duplicateKey()
      puts.add(k)
    } else if (op.request_delete_range) {
      dels.push([keyOf(op.request_delete_range.key), rangeEnd(op.request_delete_range.range_end)])
    }
  }
  for (const [k, end] of dels) {
    for (const p of puts) {
      if (end === undefined ? p === k : p >= k && (end === '' || p < end)) throw Errors.duplicateKey()
    }
  }
}

// ---- apply ----

export function applyRange(reader: Reader, r: RangeRequest): RangeResponse {
  const key = keyOf(r.key)
  const end = rangeEnd(r.range_end)
  const limit = num(r.limit)
  const minMod = num(r.min_mod_revision)
  const maxMod = num(r.max_mod_revision)
  const minCreate = num(r.min_create_revision)
  const maxCreate = num(r.max_create_revision)
  const filtered = minMod !== 0 || maxMod !== 0 || minCreate !== 0 || maxCreate !== 0
  let order = r.sort_order
  if (order === 'NONE' && r.sort_target !== 'KEY') order = 'ASCEND'
  const sorting = order !== 'NONE' && !(order === 'ASCEND' && r.sort_target === 'KEY')
  // With sorting or filters every key is needed first; otherwise one extra tells us "more".
  const fetchLimit = sorting || filtered || order === 'DESCEND' || limit <= 0 ? 0 : limit + 1
  const res = reader.range(key, end, { rev: num(r.revision), limit: fetchLimit })
  let kvs = res.kvs
  if (filtered) {
    kvs = kvs.filter(
      (kv) =>
        (minMod === 0 || kv.mod >= minMod) &&
        (maxMod === 0 || kv.mod <= maxMod) &&
        (minCreate === 0 || kv.create >= minCreate) &&
        (maxCreate === 0 || kv.create <= maxCreate),
    )
  }
  if (sorting || order === 'DESCEND') kvs = sortKvs(kvs, r.sort_target, order)
  let more = false
  if (limit > 0 && kvs.length > limit) {
    kvs = kvs.slice(0, limit)
    more = true
  }
  return {
    kvs: r.count_only ? [] : kvs.map((kv) => toKeyValue(kv, r.keys_only)),
    more,
    count: String(res.count),
  }
}

function sortKvs(kvs: KeyRevision[], target: RangeRequest['sort_target'], order: RangeRequest['sort_order']): KeyRevision[] {
  const field = (kv: KeyRevision): number | string =>
    target === 'VERSION' ? kv.version : target === 'CREATE' ? kv.create : target === 'MOD' ? kv.mod : target === 'VALUE' ? kv.value.toString('latin1') : kv.key
  const sorted = [...kvs].sort((a, b) => {
    const x = field(a)
    const y = field(b)
    return x < y ? -1 : x > y ? 1 : 0
  })
  return order === 'DESCEND' ? sorted.reverse() : sorted
}

export function applyPut(txn: WriteTxn, lessor: Lessor, r: PutRequest): PutResponse {
  const key = keyOf(r.key)
  const prev = txn.range(key, undefined).kvs[0]
  let value = r.value
  let lease = num(r.lease) === 0 ? '0' : r.lease
  if (r.ignore_value || r.ignore_lease) {
    if (!prev) throw Errors.keyNotFound()
    if (r.ignore_value) value = prev.value
    if (r.ignore_lease) lease = prev.lease
  }
  if (lease !== '0' && !lessor.leases.has(lease)) throw Errors.leaseNotFound()
  txn.put(key, value, lease)
  return r.prev_kv && prev ? { prev_kv: toKeyValue(prev) } : {}
}

export function applyDelete(txn: WriteTxn, r: DeleteRangeRequest): DeleteRangeResponse {
  const gone = txn.deleteRange(keyOf(r.key), rangeEnd(r.range_end))
  return { deleted: String(gone.length), prev_kvs: r.prev_kv ? gone.map((kv) => toKeyValue(kv)) : [] }
}

function compareOne(reader: Reader, c: Compare): boolean {
  const kvs = reader.range(keyOf(c.key), rangeEnd(c.range_end)).kvs
  if (kvs.length === 0) {
    if (c.target === 'VALUE') return false
    return compareKv(c, undefined)
  }
  return kvs.every((kv) => compareKv(c, kv))
}

function compareKv(c: Compare, kv: KeyRevision | undefined): boolean {
  let diff: number
  if (c.target === 'VALUE') {
    diff = Buffer.compare(kv?.value ?? Buffer.alloc(0), c.value ?? Buffer.alloc(0))
  } else {
    const have = c.target === 'VERSION' ? (kv?.version ?? 0) : c.target === 'CREATE' ? (kv?.create ?? 0) : c.target === 'MOD' ? (kv?.mod ?? 0) : BigInt(kv?.lease ?? '0')
    const want =
      c.target === 'VERSION' ? num(c.version) : c.target === 'CREATE' ? num(c.create_revision) : c.target === 'MOD' ? num(c.mod_revision) : BigInt(c.lease ?? '0')
    diff = have < want ? -1 : have > want ? 1 : 0
  }
  switch (c.result) {
    case 'EQUAL':
      return diff === 0
    case 'NOT_EQUAL':
      return diff !== 0
    case 'GREATER':
      return diff > 0
    case 'LESS':
      return diff < 0
  }
}

/** Checks that make a whole txn fail before it changes anything (as etcd's applier does). */
function precheckOps(reader: Reader, lessor: Lessor, ops: RequestOp[]): void {
  for (const op of ops) {
    const p = op.request_put
    if (p) {
      const lease = num(p.lease) === 0 ? '0' : p.lease
      if (lease !== '0' && !lessor.leases.has(lease)) throw Errors.leaseNotFound()
      if ((p.ignore_value || p.ignore_lease) && reader.range(keyOf(p.key), undefined).kvs.length === 0) throw Errors.keyNotFound()
    }
    const rr = op.request_range
    if (rr) reader.range(keyOf(rr.key), undefined, { rev: num(rr.revision) })
    if (op.request_txn) {
      const t = op.request_txn
      const ok = t.compare.every((c) => compareOne(reader, c))
      precheckOps(reader, lessor, ok ? t.success : t.failure)
    }
  }
}

export function applyTxn(txn: WriteTxn, lessor: Lessor, r: TxnRequest): TxnResponse {
  const succeeded = r.compare.every((c) => compareOne(txn, c))
  const ops = succeeded ? r.success : r.failure
  precheckOps(txn, lessor, ops)
  const responses: ResponseOp[] = ops.map((op) => applyOp(txn, lessor, op))
  // Like etcd, every nested header reports the revision the whole txn ends at.
  setNestedRevision(responses, String(txn.readRev()))
  return { succeeded, responses }
}

function setNestedRevision(responses: ResponseOp[], rev: string): void {
  for (const r of responses) {
    const inner = r.response_range ?? r.response_put ?? r.response_delete_range ?? r.response_txn
    if (inner?.header) inner.header.revision = rev
    if (r.response_txn) setNestedRevision(r.response_txn.responses, rev)
  }
}

function applyOp(txn: WriteTxn, lessor: Lessor, op: RequestOp): ResponseOp {
  if (op.request_range) return { response_range: { header: emptyHeader(txn), ...applyRange(txn, op.request_range) } }
  if (op.request_put) return { response_put: { header: emptyHeader(txn), ...applyPut(txn, lessor, op.request_put) } }
  if (op.request_delete_range) return { response_delete_range: { header: emptyHeader(txn), ...applyDelete(txn, op.request_delete_range) } }
  if (op.request_txn) return { response_txn: { header: emptyHeader(txn), ...applyTxn(txn, lessor, op.request_txn) } }
  return {}
}

/** Nested responses carry a header with just the revision, as etcd's do. */
function emptyHeader(txn: WriteTxn) {
  return { cluster_id: '0', member_id: '0', revision: String(txn.readRev()), raft_term: '0' }
}

/** Does the txn (or a nested one) write anything? Read-only txns can be served like a Range. */
export function isTxnReadOnly(r: TxnRequest): boolean {
  for (const ops of [r.success, r.failure]) {
    for (const op of ops) {
      if (op.request_put || op.request_delete_range) return false
      if (op.request_txn && !isTxnReadOnly(op.request_txn)) return false
    }
  }
  return true
}

export type { MvccStore }
