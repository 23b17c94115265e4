import { describe, expect, it } from 'vitest'
import { StateMachine } from '../../../../src-main/member/server/stateMachine'
import type { InternalRequest } from '../../../../src-main/member/server/pb'
import { put } from './support'

let index = 0
const req = (body: Partial<InternalRequest>): InternalRequest => ({ ID: String(++index), proposer: '1', header: { username: '', auth_revision: '0' }, ...body }) as InternalRequest
const apply = (sm: StateMachine, body: Partial<InternalRequest>) => sm.applyRequest(index + 1, 1, req(body))
const alarm = (action: 'ACTIVATE' | 'DEACTIVATE', name: 'NOSPACE' | 'CORRUPT') => ({ request: 'alarm', alarm: { action, memberID: '1', alarm: name } }) as const

describe('apply chain', () => {
  it('a raised CORRUPT alarm stops writes on the very next entry, and disarming restores them', () => {
    const sm = new StateMachine('9', '1', 2)
    expect(apply(sm, { request: 'put', put: put('a') }).error).toBeUndefined()
    apply(sm, alarm('ACTIVATE', 'CORRUPT'))
    expect(apply(sm, { request: 'put', put: put('b') }).error?.message).toBe('etcdserver: corrupt cluster')
    expect(apply(sm, { request: 'delete_range', delete_range: { key: Buffer.from('a'), range_end: Buffer.alloc(0), prev_kv: false } }).error?.message).toBe('etcdserver: corrupt cluster')
    expect(sm.store.range('b', undefined).kvs).toHaveLength(0)
    apply(sm, alarm('DEACTIVATE', 'CORRUPT'))
    expect(apply(sm, { request: 'put', put: put('b') }).error).toBeUndefined()
  })

  it('stacks corrupt over capped: with both raised, a put is refused as corrupt; disarming one keeps the other', () => {
    const sm = new StateMachine('9', '1', 2)
    apply(sm, alarm('ACTIVATE', 'NOSPACE'))
    expect(apply(sm, { request: 'put', put: put('a') }).error?.message).toBe('etcdserver: mvcc: database space exceeded')
    apply(sm, alarm('ACTIVATE', 'CORRUPT'))
    expect(apply(sm, { request: 'put', put: put('a') }).error?.message).toBe('etcdserver: corrupt cluster')
    apply(sm, alarm('DEACTIVATE', 'CORRUPT'))
    expect(apply(sm, { request: 'put', put: put('a') }).error?.message).toBe('etcdserver: mvcc: database space exceeded')
    apply(sm, alarm('DEACTIVATE', 'NOSPACE'))
    expect(apply(sm, { request: 'put', put: put('a') }).error).toBeUndefined()
  })

  it('restores the layering with the alarms of a snapshot', () => {
    const sm = new StateMachine('9', '1', 2)
    apply(sm, alarm('ACTIVATE', 'CORRUPT'))
    const copy = new StateMachine('9', '1', 2)
    copy.restore(sm.snapshot())
    expect(copy.applyRequest(sm.appliedIndex + 1, 1, req({ request: 'put', put: put('a') })).error?.message).toBe('etcdserver: corrupt cluster')
  })

  it('checks the quota again when applying (--quota-backend-bytes)', () => {
    const sm = new StateMachine('9', '1', 2, 100)
    expect(apply(sm, { request: 'put', put: put('a', 'x'.repeat(60)) }).error).toBeUndefined()
    const over = apply(sm, { request: 'put', put: put('b', 'y'.repeat(60)) })
    expect(over.error?.message).toBe('etcdserver: mvcc: database space exceeded')
    // Applied all the same, like etcd: every member holds the same state.
    expect(sm.store.range('b', undefined).kvs).toHaveLength(1)
  })

  it('re-checks auth at apply time: a put checked before a permission was revoked fails', () => {
    const sm = new StateMachine('9', '1', 2)
    const root = { username: 'root', auth_revision: '0' }
    sm.auth.userAdd('root', '')
    sm.auth.userGrantRole('root', 'root')
    sm.auth.roleAdd('app')
    sm.auth.roleGrantPermission('app', { permType: 'READWRITE', key: '/app/', rangeEnd: '/app0' })
    sm.auth.userAdd('alice', '')
    sm.auth.userGrantRole('alice', 'app')
    sm.auth.enable()
    const checkedAt = String(sm.auth.revision)
    apply(sm, { request: 'auth_role_revoke_permission', auth_role_revoke_permission: { role: 'app', key: Buffer.from('/app/'), range_end: Buffer.from('/app0') }, header: { ...root, auth_revision: checkedAt } })
    const stale = apply(sm, { request: 'put', put: put('/app/x'), header: { username: 'alice', auth_revision: checkedAt } })
    expect(stale.error?.message).toBe('etcdserver: revision of auth store is old')
    const fresh = apply(sm, { request: 'put', put: put('/app/x'), header: { username: 'alice', auth_revision: String(sm.auth.revision) } })
    expect(fresh.error?.message).toBe('etcdserver: permission denied')
  })
})
