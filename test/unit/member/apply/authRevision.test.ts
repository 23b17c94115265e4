import { describe, expect, it } from 'vitest'
import { AuthStore } from '../../../../src-main/member/auth/store'
import { Lessor } from '../../../../src-main/member/lease/lessor'
import { MvccStore } from '../../../../src-main/member/mvcc/store'
import { AuthApplier } from '../../../../src-main/member/server/apply/authRevision'
import type { InternalRequest } from '../../../../src-main/member/server/pb'
import { del, outcome, put, RecordingApplier, txn } from './support'

function setup() {
  const auth = new AuthStore()
  auth.userAdd('root', '')
  auth.userGrantRole('root', 'root')
  auth.roleAdd('app')
  auth.roleGrantPermission('app', { permType: 'READWRITE', key: '/app/', rangeEnd: '/app0' })
  auth.roleAdd('writer')
  auth.roleGrantPermission('writer', { permType: 'WRITE', key: '/app/', rangeEnd: '/app0' })
  auth.userAdd('alice', '')
  auth.userGrantRole('alice', 'app')
  auth.userAdd('carol', '')
  auth.userGrantRole('carol', 'writer')
  auth.enable()
  const lessor = new Lessor(1)
  const store = new MvccStore()
  lessor.grant('7', 60)
  const w = store.write()
  w.put('/secret/x', Buffer.from('s'), '7')
  w.end()
  const next = new RecordingApplier()
  const as = (username: string, revision = auth.revision) => ({ username, revision })
  return { auth, next, a: new AuthApplier(next, auth, lessor, store), as }
}

const denied = 'etcdserver: permission denied'

describe('auth revision layer', () => {
  it('checks the permissions of the proposer at this point of the log', () => {
    const { a, as } = setup()
    expect(outcome(() => a.put(put('/app/x'), as('alice')))).toBe('ok')
    expect(outcome(() => a.put(put('/other'), as('alice')))).toBe(denied)
    expect(outcome(() => a.deleteRange(del('/app/', '/app0'), as('alice')))).toBe('ok')
    expect(outcome(() => a.deleteRange(del('/', '0'), as('alice')))).toBe(denied)
    // prev_kv reads: a writer without read permission may not see the old value.
    expect(outcome(() => a.put(put('/app/x'), as('carol')))).toBe('ok')
    expect(outcome(() => a.put(put('/app/x', 'v', '0', true), as('carol')))).toBe(denied)
    expect(outcome(() => a.deleteRange({ ...del('/app/x'), prev_kv: true }, as('carol')))).toBe(denied)
    // Txn: compares read, every branch is checked, nested txns too.
    const cmp = { result: 'EQUAL' as const, target: 'VERSION' as const, key: Buffer.from('/other'), range_end: Buffer.alloc(0), version: '0' }
    expect(outcome(() => a.txn({ ...txn([{ request_put: put('/app/x') }]), compare: [cmp] }, as('alice')))).toBe(denied)
    expect(outcome(() => a.txn(txn([{ request_txn: txn([{ request_put: put('/other') }]) }]), as('alice')))).toBe(denied)
    expect(outcome(() => a.txn({ compare: [], success: [{ request_put: put('/app/x') }], failure: [{ request_range: { ...del('/other'), limit: '0', revision: '0', sort_order: 'NONE', sort_target: 'KEY', serializable: false, keys_only: false, count_only: false, min_mod_revision: '0', max_mod_revision: '0', min_create_revision: '0', max_create_revision: '0' } }] }, as('alice')))).toBe(denied)
    expect(outcome(() => a.put(put('/anything'), as('root')))).toBe('ok')
  })

  it('fails a request checked at an older auth revision, and one without a user', () => {
    const { a, as, auth } = setup()
    const before = auth.revision
    auth.roleRevokePermission('app', '/app/', '/app0')
    expect(outcome(() => a.put(put('/app/x'), as('alice', before)))).toBe('etcdserver: revision of auth store is old')
    // Checked again at the current revision, the revoked permission shows.
    expect(outcome(() => a.put(put('/app/x'), as('alice')))).toBe(denied)
    expect(outcome(() => a.put(put('/app/x'), { username: '', revision: 0 }))).toBe('etcdserver: user name is empty')
  })

  it('guards leases whose keys the user may not write', () => {
    const { a, as } = setup()
    expect(outcome(() => a.leaseRevoke({ ID: '7' }, as('alice')))).toBe(denied)
    expect(outcome(() => a.put(put('/app/x', 'v', '7'), as('alice')))).toBe(denied)
    expect(outcome(() => a.leaseRevoke({ ID: '7' }, as('root')))).toBe('ok')
    expect(outcome(() => a.leaseRevoke({ ID: '99' }, as('alice')))).toBe('ok')
  })

  it('lets only root users manage auth; other requests pass', () => {
    const { a, as, next } = setup()
    const userAdd: InternalRequest = { ID: '1', proposer: '1', request: 'auth_user_add', auth_user_add: { name: 'dave', password: '' } }
    expect(outcome(() => a.control(userAdd, as('alice')))).toBe(denied)
    expect(outcome(() => a.control(userAdd, as('nobody')))).toBe('etcdserver: user name not found')
    expect(outcome(() => a.control(userAdd, { username: '', revision: 0 }))).toBe('etcdserver: user name is empty')
    expect(outcome(() => a.control(userAdd, as('root')))).toBe('ok')
    const alarm: InternalRequest = { ID: '2', proposer: '1', request: 'alarm', alarm: { action: 'GET', memberID: '0', alarm: 'NONE' } }
    expect(outcome(() => a.control(alarm, as('alice')))).toBe('ok')
    expect(next.calls).toEqual(['control:auth_user_add', 'control:alarm'])
  })

  it('applies unchecked when auth is off, or for entries written before requests carried their user', () => {
    const { a, as, auth, next } = setup()
    expect(outcome(() => a.put(put('/other'), undefined))).toBe('ok')
    auth.disable()
    expect(outcome(() => a.put(put('/other'), as('alice', 0)))).toBe('ok')
    expect(next.calls).toEqual(['put', 'put'])
  })
})
