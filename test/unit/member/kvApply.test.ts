import { describe, expect, it } from 'vitest'
import { Lessor } from '../../../src-main/member/lease/lessor'
import { MvccStore } from '../../../src-main/member/mvcc/store'
import { applyPut, applyRange, applyTxn, checkPut, checkTxnRequest } from '../../../src-main/member/server/kvApply'
import { BackendApplier } from '../../../src-main/member/server/apply/backend'
import type { Compare, PutRequest, RangeRequest, RequestOp, TxnRequest } from '../../../src-main/member/server/pb'

const b = (s: string) => Buffer.from(s)
const putReq = (k: string, v: string, extra: Partial<PutRequest> = {}): PutRequest => ({ key: b(k), value: b(v), lease: '0', prev_kv: false, ignore_value: false, ignore_lease: false, ...extra })
const rangeReq = (k: string, extra: Partial<RangeRequest> = {}): RangeRequest => ({
  key: b(k),
  range_end: Buffer.alloc(0),
  limit: '0',
  revision: '0',
  sort_order: 'NONE',
  sort_target: 'KEY',
  serializable: false,
  keys_only: false,
  count_only: false,
  min_mod_revision: '0',
  max_mod_revision: '0',
  min_create_revision: '0',
  max_create_revision: '0',
  ...extra,
})
const cmp = (k: string, target: Compare['target'], result: Compare['result'], v: Partial<Compare>): Compare => ({ key: b(k), target, result, range_end: Buffer.alloc(0), ...v })

function setup() {
  const store = new MvccStore()
  const lessor = new Lessor(2)
  const put = (k: string, v: string, extra: Partial<PutRequest> = {}) => {
    const t = store.write()
    try {
      return applyPut(t, lessor, putReq(k, v, extra))
    } finally {
      t.end()
    }
  }
  const txn = (r: TxnRequest) => {
    const t = store.write()
    try {
      return applyTxn(t, lessor, r)
    } finally {
      t.end()
    }
  }
  const range = (r: RangeRequest) => applyRange({ range: (k, e, o) => store.range(k, e, o) }, r)
  return { store, lessor, put, txn, range }
}

describe('kv apply', () => {
  it('put returns prev_kv and honours ignore_value / ignore_lease', () => {
    const s = setup()
    s.lessor.grant('7', 10)
    s.put('a', '1', { lease: '7' })
    expect(s.put('a', '2', { prev_kv: true }).prev_kv?.value.toString()).toBe('1')
    s.put('a', '', { ignore_value: true, lease: '7' })
    expect(s.range(rangeReq('a')).kvs[0]).toMatchObject({ value: b('2'), lease: '7', version: '3' })
    expect(() => s.put('missing', '', { ignore_value: true })).toThrow('etcdserver: key not found')
    expect(() => s.put('a', 'x', { lease: '99' })).toThrow('etcdserver: requested lease not found')
    expect(() => checkPut(putReq('a', 'x', { ignore_value: true }))).toThrow('etcdserver: value is provided')
  })

  it('range sorts, limits, counts and filters like etcd', () => {
    const s = setup()
    s.put('k1', 'c')
    s.put('k2', 'a')
    s.put('k3', 'b')
    s.put('k1', 'd')
    const all = { range_end: b('k4') }
    expect(s.range(rangeReq('k', { ...all, sort_target: 'VALUE', sort_order: 'DESCEND' })).kvs.map((kv) => kv.value.toString())).toEqual(['d', 'b', 'a'])
    const limited = s.range(rangeReq('k', { ...all, limit: '2' }))
    expect([limited.kvs.length, limited.more, limited.count]).toEqual([2, true, '3'])
    expect(s.range(rangeReq('k', { ...all, count_only: true }))).toMatchObject({ kvs: [], count: '3' })
    expect(s.range(rangeReq('k', { ...all, min_mod_revision: '4' })).kvs.map((kv) => kv.key.toString())).toEqual(['k3', 'k1'].sort())
    expect(s.range(rangeReq('k', { ...all, keys_only: true })).kvs[0]!.value.length).toBe(0)
    expect(s.range(rangeReq('k', { ...all, revision: '2' })).kvs.map((kv) => kv.key.toString())).toEqual(['k1'])
  })

  it('txn compares every target and runs the chosen branch at one revision', () => {
    const s = setup()
    s.put('x', '1')
    const op = (k: string, v: string): RequestOp => ({ request_put: putReq(k, v) })
    const r = s.txn({
      compare: [cmp('x', 'VALUE', 'EQUAL', { value: b('1') }), cmp('x', 'VERSION', 'GREATER', { version: '0' }), cmp('nope', 'CREATE', 'EQUAL', { create_revision: '0' }), cmp('x', 'LEASE', 'EQUAL', { lease: '0' })],
      success: [op('y', '2'), op('z', '3'), { request_range: rangeReq('y') }],
      failure: [],
    })
    expect(r.succeeded).toBe(true)
    expect(r.responses[2]!.response_range!.kvs[0]!.value.toString()).toBe('2')
    expect(s.store.currentRev).toBe(3)
    const f = s.txn({ compare: [cmp('missing', 'VALUE', 'EQUAL', { value: b('') })], success: [op('never', '1')], failure: [op('else', '1')] })
    expect(f.succeeded).toBe(false)
    expect(s.range(rangeReq('never')).kvs).toEqual([])
    expect(s.range(rangeReq('else')).kvs).toHaveLength(1)
  })

  it('a failing op fails the whole txn before anything changes', () => {
    const s = setup()
    const before = s.store.currentRev
    expect(() => s.txn({ compare: [], success: [{ request_put: putReq('a', '1') }, { request_put: putReq('b', '1', { lease: '42' }) }], failure: [] })).toThrow('requested lease not found')
    expect(s.store.currentRev).toBe(before)
    expect(s.range(rangeReq('a')).kvs).toEqual([])
  })

  it('rejects duplicate keys and too many ops', () => {
    const dup: TxnRequest = { compare: [], success: [{ request_put: putReq('a', '1') }, { request_put: putReq('a', '2') }], failure: [] }
    expect(() => checkTxnRequest(dup)).toThrow('etcdserver: duplicate key given in txn request')
    const overlap: TxnRequest = { compare: [], success: [{ request_put: putReq('ab', '1') }, { request_delete_range: { key: b('a'), range_end: b('b'), prev_kv: false } }], failure: [] }
    expect(() => checkTxnRequest(overlap)).toThrow('duplicate key')
    const many: TxnRequest = { compare: [], success: Array.from({ length: 129 }, (_, i) => ({ request_put: putReq(`k${i}`, 'v') })), failure: [] }
    expect(() => checkTxnRequest(many)).toThrow('etcdserver: too many operations in txn request')
  })

  it('evaluates nested compares against the state before the txn (etcd\'s compareToPath)', () => {
    const s = setup()
    s.put('a', '1')
    const nested: TxnRequest = {
      compare: [cmp('a', 'VALUE', 'EQUAL', { value: b('1') })],
      success: [{ request_put: putReq('b', 'saw-1') }],
      failure: [{ request_put: putReq('b', 'saw-2') }],
    }
    const r = s.txn({ compare: [], success: [{ request_put: putReq('a', '2') }, { request_txn: nested }], failure: [] })
    expect(r.responses[1]!.response_txn!.succeeded).toBe(true)
    expect(s.range(rangeReq('b')).kvs[0]!.value.toString()).toBe('saw-1')
    expect(s.range(rangeReq('a')).kvs[0]!.value.toString()).toBe('2')
  })

  it('checks every op on the path before changing anything: a nested put with a missing lease leaves nothing applied', () => {
    const s = setup()
    s.put('a', '1')
    const backend = new BackendApplier({ store: s.store, lessor: s.lessor } as unknown as ConstructorParameters<typeof BackendApplier>[0])
    const hash = s.store.hashKV(0)
    const rev = s.store.currentRev
    // The nested compare holds before the txn (a == 1), so the nested put with lease 99 is on the path.
    const nested: TxnRequest = { compare: [cmp('a', 'VALUE', 'EQUAL', { value: b('1') })], success: [{ request_put: putReq('c', 'x', { lease: '99' }) }], failure: [] }
    expect(() => backend.txn({ compare: [], success: [{ request_put: putReq('a', '2') }, { request_delete_range: { key: b('a'), range_end: b('z'), prev_kv: false } }, { request_txn: nested }], failure: [] })).toThrow(
      'etcdserver: requested lease not found',
    )
    expect(s.store.currentRev).toBe(rev)
    expect(s.store.hashKV(0)).toBe(hash)
    // A range at a compacted or future revision anywhere on the path fails the txn the same way.
    const future: TxnRequest = { compare: [], success: [{ request_put: putReq('a', '3') }, { request_txn: { compare: [], success: [{ request_range: rangeReq('a', { revision: '99' }) }], failure: [] } }], failure: [] }
    expect(() => backend.txn(future)).toThrow('etcdserver: mvcc: required revision is a future revision')
    expect(s.store.hashKV(0)).toBe(hash)
  })

  it('decides a nested branch before the txn writes: a compare the txn itself would make true does not pull a failing put onto the path', () => {
    const s = setup()
    s.put('a', '1')
    const backend = new BackendApplier({ store: s.store, lessor: s.lessor } as unknown as ConstructorParameters<typeof BackendApplier>[0])
    // Before the txn a == 1, so the nested txn takes its (empty) failure branch; judged after the
    // outer put (a == 2) it would take the success branch, whose put names a missing lease.
    const nested: TxnRequest = { compare: [cmp('a', 'VALUE', 'EQUAL', { value: b('2') })], success: [{ request_put: putReq('c', 'x', { lease: '99' }) }], failure: [] }
    const r = backend.txn({ compare: [], success: [{ request_put: putReq('a', '2') }, { request_txn: nested }], failure: [] })
    expect(r.succeeded).toBe(true)
    expect(r.responses[1]!.response_txn!.succeeded).toBe(false)
    expect(s.range(rangeReq('a')).kvs[0]!.value.toString()).toBe('2')
    expect(s.range(rangeReq('c')).kvs).toEqual([])
  })

  it('a write transaction that is aborted leaves the store exactly as it was', () => {
    const s = setup()
    s.lessor.grant('7', 60)
    s.lessor.grant('8', 60)
    s.put('a', '1', { lease: '7' })
    s.put('b', '1')
    const snapshot = () => ({ revs: [...s.store.allRevisions()].map((r) => ({ ...r })), size: s.store.sizeInUse(), keys: s.store.keyCount(), l7: s.store.keysOfLease('7'), l8: s.store.keysOfLease('8'), rev: s.store.currentRev })
    const before = snapshot()
    const t = s.store.write()
    t.put('a', b('2'), '8')
    t.put('new', b('x'), '7')
    t.deleteRange('b', undefined)
    t.put('b', b('again'), '0')
    t.abort()
    expect(snapshot()).toEqual(before)
  })

  it('finds duplicate writes across nesting levels as etcd\'s checkIntervals does', () => {
    const put = (k: string): RequestOp => ({ request_put: putReq(k, 'v') })
    const del = (k: string, end = ''): RequestOp => ({ request_delete_range: { key: b(k), range_end: b(end), prev_kv: false } })
    const txn = (success: RequestOp[], failure: RequestOp[] = []): RequestOp => ({ request_txn: { compare: [], success, failure } })
    const top = (...ops: RequestOp[]): TxnRequest => ({ compare: [], success: ops, failure: [] })
    expect(() => checkTxnRequest(top(put('k'), txn([put('k')])))).toThrow('duplicate key')
    expect(() => checkTxnRequest(top(del('a', 'c'), txn([put('b')])))).toThrow('duplicate key')
    expect(() => checkTxnRequest(top(txn([del('a', 'c')]), put('b')))).toThrow('duplicate key')
    expect(() => checkTxnRequest(top(txn([put('k')]), txn([], [put('k')])))).toThrow('duplicate key')
    expect(() => checkTxnRequest(top(txn([txn([put('deep')])]), put('deep')))).toThrow('duplicate key')
    // Only one branch of a nested txn runs: the same key in both is fine.
    expect(() => checkTxnRequest(top(txn([put('k')], [put('k')])))).not.toThrow()
    // etcd takes a "\0" range end literally here: a from-key delete does not clash with a put.
    expect(() => checkTxnRequest(top(del('a', '\u0000'), put('b')))).not.toThrow()
    // The success and failure branches of the request itself are checked separately.
    expect(() => checkTxnRequest({ compare: [], success: [put('k')], failure: [put('k')] })).not.toThrow()
  })

  it('counts ops per level against --max-txn-ops, nested txns getting what their parent left, and refuses empty ops', () => {
    const put = (k: string): RequestOp => ({ request_put: putReq(k, 'v') })
    const t = (ops: RequestOp[]): TxnRequest => ({ compare: [], success: ops, failure: [] })
    expect(() => checkTxnRequest(t([put('a'), put('b'), put('c')]), 2)).toThrow('etcdserver: too many operations in txn request')
    expect(() => checkTxnRequest(t([put('a'), put('b')]), 2)).not.toThrow()
    // Two ops leave 0 for the nested txn's one op.
    expect(() => checkTxnRequest(t([put('a'), { request_txn: t([put('b')]) }]), 2)).toThrow('too many operations')
    expect(() => checkTxnRequest(t([put('a'), { request_txn: t([put('b')]) }]), 3)).not.toThrow()
    expect(() => checkTxnRequest(t([{}]))).toThrow('etcdserver: key not found')
  })
})
