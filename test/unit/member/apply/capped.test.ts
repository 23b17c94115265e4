import { describe, expect, it } from 'vitest'
import { CappedApplier } from '../../../../src-main/member/server/apply/capped'
import type { Applier } from '../../../../src-main/member/server/apply/applier'
import { del, outcome, put, RecordingApplier, txn } from './support'

describe('capped layer (NOSPACE raised)', () => {
  it('refuses puts, txns that put and lease grants; reads, deletes, compaction and revokes go on', () => {
    const next = new RecordingApplier()
    const a: Applier = new CappedApplier(next)
    const full = 'etcdserver: mvcc: database space exceeded'
    expect(outcome(() => a.put(put('k'), undefined))).toBe(full)
    expect(outcome(() => a.txn(txn([{ request_put: put('k') }]), undefined))).toBe(full)
    // A put nested in a txn counts too.
    expect(outcome(() => a.txn(txn([{ request_txn: txn([{ request_put: put('k') }]) }]), undefined))).toBe(full)
    expect(outcome(() => a.leaseGrant({ ID: '1', TTL: '10' }, undefined))).toBe(full)
    expect(outcome(() => a.txn(txn([{ request_delete_range: del('k') }]), undefined))).toBe('ok')
    expect(outcome(() => a.deleteRange(del('k'), undefined))).toBe('ok')
    expect(outcome(() => a.compaction({ revision: '1', physical: false }, undefined))).toBe('ok')
    expect(outcome(() => a.leaseRevoke({ ID: '1' }, undefined))).toBe('ok')
    expect(next.calls).toEqual(['txn', 'deleteRange', 'compaction', 'leaseRevoke'])
  })
})
