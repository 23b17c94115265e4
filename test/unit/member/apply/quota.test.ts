import { describe, expect, it } from 'vitest'
import { QuotaApplier, backendQuota, putCost, txnCost } from '../../../../src-main/member/server/apply/quota'
import { del, outcome, put, RecordingApplier, txn } from './support'

describe('quota layer', () => {
  it('counts key and value bytes of puts, nested txns included', () => {
    expect(putCost(put('key', 'value'))).toBe(8)
    expect(txnCost(txn([{ request_put: put('a', 'bb') }, { request_txn: txn([{ request_put: put('c', 'dd') }]) }, { request_delete_range: del('x') }]))).toBe(6)
  })

  it('applies a write that no longer fits, then tells its client the space is exceeded (as etcd)', () => {
    let size = 90
    const quota = backendQuota(() => size, 100)
    const next = new RecordingApplier()
    const a = new QuotaApplier(next, quota)
    expect(outcome(() => a.put(put('k', 'v'), undefined))).toBe('ok')
    size = 99
    expect(outcome(() => a.put(put('k', 'v'), undefined))).toBe('etcdserver: mvcc: database space exceeded')
    expect(outcome(() => a.txn(txn([{ request_put: put('k', 'v') }]), undefined))).toBe('etcdserver: mvcc: database space exceeded')
    // Writes nothing: always fits.
    expect(outcome(() => a.txn(txn([{ request_delete_range: del('k') }]), undefined))).toBe('ok')
    expect(outcome(() => a.leaseGrant({ ID: '1', TTL: '10' }, undefined))).toBe('ok')
    size = 101
    expect(outcome(() => a.leaseGrant({ ID: '1', TTL: '10' }, undefined))).toBe('etcdserver: mvcc: database space exceeded')
    expect(outcome(() => a.deleteRange(del('k'), undefined))).toBe('ok')
    // Every write reached the state, the refused ones too.
    expect(next.calls).toEqual(['put', 'put', 'txn', 'txn', 'leaseGrant', 'leaseGrant', 'deleteRange'])
  })
})
