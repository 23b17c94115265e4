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

type RangeReader = Pick<WriteTxn, 'range'>
type Reader = Pick<WriteTxn, 'range' | 'readRev' | 'firstRev'>

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

/**
 * etcd's checkTxnRequest: at most `maxOps` compares, success ops or failure ops at each level (a
 * nested txn gets what its parent left), no empty key, no empty op.
 */
export function checkTxn(r: TxnRequest, maxOps = MAX_TXN_OPS): void {
  const opCount = Math.max(r.success.length, r.failure.length, r.compare.length)
  if (opCount > maxOps) throw Errors.tooManyOps()
  for (const c of r.compare) if (c.key.length === 0) throw Errors.emptyKey()
  for (const op of r.success) checkOp(op, maxOps - opCount)
  for (const op of r.failure) checkOp(op, maxOps - opCount)
}

function checkOp(op: RequestOp, maxOps: number): void {
  if (op.request_range) checkRange(op.request_range)
  else if (op.request_put) checkPut(op.request_put)
  else if (op.request_delete_range) checkDelete(op.request_delete_range)
  else if (op.request_txn) checkTxn(op.request_txn, maxOps)
  // An op with nothing in it: etcd answers "key not found".
  else throw Errors.keyNotFound()
}

/**
 * A whole txn request before proposing: etcd's checkTxnRequest, then its overlap check, which
 * runs after the size checks so a huge request cannot make it quadratic.
 */
export function checkTxnRequest(r: TxnRequest, maxOps = MAX_TXN_OPS): void {
  checkTxn(r, maxOps)
  checkIntervals(r.success)
  checkIntervals(r.failure)
}

/** A delete's key range in etcd's overlap check, where '' is +infinity and "\0" is just a byte. */
interface DeleteInterval {
  begin: string
  end: string
}

const affineLess = (a: string, b: string): boolean => (a === '' ? false : b === '' ? true : a < b)

function deletesHit(dels: DeleteInterval[], key: string): boolean {
  const point = `${key}\u0000`
  // [key, key\0) overlaps [begin, end) (etcd's Interval.Compare with affine strings).
  return dels.some((d) => !(affineLess(key, d.begin) && !affineLess(d.begin, point)) && affineLess(key, d.end))
}

/**
 * etcd's checkIntervals: a txn may not write the same key twice, nor put a key that one of its
 * deletes covers, at any depth ("duplicate key given in txn request"). Puts in the success and the
 * failure branch of one nested txn may repeat a key, since only one of them runs. Returns the
 * level's puts and deletes for its parent.
 */
export function checkIntervals(reqs: RequestOp[]): { puts: Set<string>; dels: DeleteInterval[] } {
  const dels: DeleteInterval[] = []
  for (const op of reqs) {
    const d = op.request_delete_range
    if (!d) continue
    const key = keyOf(d.key)
    // As etcd: the range end is taken literally here, so a "\0" (from-key) delete covers no put.
    dels.push(d.range_end.length ? { begin: key, end: keyOf(d.range_end) } : { begin: key, end: `${key}\u0000` })
  }
  const puts = new Set<string>()
  for (const op of reqs) {
    const t = op.request_txn
    if (!t) continue
    const then = checkIntervals(t.success)
    const otherwise = checkIntervals(t.failure)
    for (const k of then.puts) {
      if (puts.has(k) || deletesHit(dels, k)) throw Errors.duplicateKey()
      puts.add(k)
    }
    for (const k of otherwise.puts) {
      if (puts.has(k) && !then.puts.has(k)) throw Errors.duplicateKey()
      if (deletesHit(dels, k)) throw Errors.duplicateKey()
      puts.add(k)
    }
    dels.push(...then.dels, ...otherwise.dels)
  }
  for (const op of reqs) {
    const p = op.request_put
    if (!p) continue
    const k = keyOf(p.key)
    if (puts.has(k) || deletesHit(dels, k)) throw Errors.duplicateKey()
    puts.add(k)
  }
  return { puts, dels }
}

// ---- apply ----

export function applyRange(reader: RangeReader, r: RangeRequest): RangeResponse {
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
  let value = r.value
  let lease = num(r.lease) === 0 ? '0' : r.lease
  // etcd checks the lease first, then the key ignore_value/ignore_lease need.
  if (lease !== '0' && !lessor.leases.has(lease)) throw Errors.leaseNotFound()
  const prev = txn.range(key, undefined).kvs[0]
  if (r.ignore_value || r.ignore_lease) {
    if (!prev) throw Errors.keyNotFound()
    if (r.ignore_value) value = prev.value
    if (r.ignore_lease) lease = prev.lease
  }
  txn.put(key, value, lease)
  return r.prev_kv && prev ? { prev_kv: toKeyValue(prev) } : {}
}

export function applyDelete(txn: WriteTxn, r: DeleteRangeRequest): DeleteRangeResponse {
  const gone = txn.deleteRange(keyOf(r.key), rangeEnd(r.range_end))
  return { deleted: String(gone.length), prev_kvs: r.prev_kv ? gone.map((kv) => toKeyValue(kv)) : [] }
}

function compareOne(reader: RangeReader, c: Compare): boolean {
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

/**
 * Which branch every txn takes, outermost first then each nested txn of the chosen branch in order
 * (etcd's compareToPath). All compares, nested ones included, see the state before the txn: a
 * nested txn's compare does not see the writes that precede it in its parent.
 */
function compareToPath(reader: RangeReader, r: TxnRequest): boolean[] {
  const ok = r.compare.every((c) => compareOne(reader, c))
  const path = [ok]
  for (const op of ok ? r.success : r.failure) if (op.request_txn) path.push(...compareToPath(reader, op.request_txn))
  return path
}

/**
 * The checks that make a whole txn fail before it changes anything (etcd's checkRequests): leases
 * and ignore_value/ignore_lease keys for writes, revisions for reads, along the chosen path.
 * Returns how many nested txns it walked.
 */
function checkRequests(reader: Reader, lessor: Lessor, r: TxnRequest, path: boolean[], at: number, writes: boolean): number {
  let walked = 0
  for (const op of path[at] ? r.success : r.failure) {
    if (op.request_txn) {
      walked += 1 + checkRequests(reader, lessor, op.request_txn, path, at + 1 + walked, writes)
      continue
    }
    const p = op.request_put
    if (p && writes) {
      if ((p.ignore_value || p.ignore_lease) && reader.range(keyOf(p.key), undefined).kvs.length === 0) throw Errors.keyNotFound()
      const lease = num(p.lease) === 0 ? '0' : p.lease
      if (lease !== '0' && !lessor.leases.has(lease)) throw Errors.leaseNotFound()
    }
    const rr = op.request_range
    if (rr) {
      const rev = num(rr.revision)
      if (rev === 0) continue
      if (rev > reader.readRev()) throw Errors.futureRev()
      if (rev < reader.firstRev()) throw Errors.compacted()
    }
  }
  return walked
}

/**
 * A txn with etcd's semantics: the path is decided against the state before the txn, every op
 * on it is checked before anything changes, then the ops run in order, nested txns included, at
 * one revision. A failure after the checks (none is expected) leaves the caller to abort the write
 * transaction, so nothing of the txn stays.
 */
export function applyTxn(txn: WriteTxn, lessor: Lessor, r: TxnRequest): TxnResponse {
  const path = compareToPath(txn, r)
  const writes = !isTxnReadOnly(r)
  checkRequests(txn, lessor, r, path, 0, writes)
  const resp = runTxn(txn, lessor, r, path, 0).resp
  // Like etcd, every nested header reports the revision the whole txn ends at.
  setNestedRevision(resp.responses, String(txn.readRev()))
  return resp
}

function runTxn(txn: WriteTxn, lessor: Lessor, r: TxnRequest, path: boolean[], at: number): { resp: TxnResponse; walked: number } {
  const succeeded = path[at]!
  let walked = 0
  const responses: ResponseOp[] = []
  for (const op of succeeded ? r.success : r.failure) {
    if (op.request_txn) {
      const inner = runTxn(txn, lessor, op.request_txn, path, at + 1 + walked)
      walked += 1 + inner.walked
      responses.push({ response_txn: { header: emptyHeader(txn), ...inner.resp } })
    } else responses.push(applyOp(txn, lessor, op))
  }
  return { resp: { succeeded, responses }, walked }
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
