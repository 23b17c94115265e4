import { describe, expect, it } from 'vitest'
import { CorruptApplier } from '../../../../src-main/member/server/apply/corrupt'
import type { Applier } from '../../../../src-main/member/server/apply/applier'
import { del, outcome, put, RecordingApplier, txn } from './support'

describe('corrupt layer', () => {
  it('refuses every key and lease change, and lets alarms, membership and auth through', () => {
    const next = new RecordingApplier()
    const a: Applier = new CorruptApplier(next)
    const corrupt = 'etcdserver: corrupt cluster'
    expect(outcome(() => a.put(put('k'), undefined))).toBe(corrupt)
    expect(outcome(() => a.deleteRange(del('k'), undefined))).toBe(corrupt)
    expect(outcome(() => a.txn(txn([]), undefined))).toBe(corrupt)
    expect(outcome(() => a.compaction({ revision: '1', physical: false }, undefined))).toBe(corrupt)
    expect(outcome(() => a.leaseGrant({ ID: '1', TTL: '10' }, undefined))).toBe(corrupt)
    expect(outcome(() => a.leaseRevoke({ ID: '1' }, undefined))).toBe(corrupt)
    expect(outcome(() => a.control({ ID: '1', proposer: '1', request: 'alarm', alarm: { action: 'DEACTIVATE', memberID: '0', alarm: 'CORRUPT' } }, undefined))).toBe('ok')
    expect(next.calls).toEqual(['control:alarm'])
  })
})
