import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { decodeMessage, encodeMessage } from '../../../src-main/member/peer/messageCodec'
import { makeMessage, MessageType } from '../../../src-main/raft/index'
import { StateMachine } from '../../../src-main/member/server/stateMachine'
import { Lessor } from '../../../src-main/member/lease/lessor'
import { AuthStore } from '../../../src-main/member/auth/store'
import { hashPassword } from '../../../src-main/member/auth/passwords'

describe('peer message codec', () => {
  it('round-trips messages with entries, context and snapshots', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(1e9), fc.boolean(), (data, index, withSnap) => {
        const m = makeMessage({
          type: MessageType.App,
          to: '18446744073709551615',
          from: '12345',
          term: 7,
          index,
          logTerm: 6,
          commit: index,
          entries: [{ term: 7, index: index + 1, type: 0, data }],
          context: data,
          snapshot: withSnap ? { data, metadata: { index, term: 3, confState: { voters: ['1', '2'], learners: ['3'] } } } : null,
        })
        const back = decodeMessage(encodeMessage(m))
        expect({ ...back, context: Buffer.from(back.context!), entries: back.entries.map((e) => ({ ...e, data: Buffer.from(e.data) })), snapshot: back.snapshot && { ...back.snapshot, data: Buffer.from(back.snapshot.data) } }).toEqual({
          ...m,
          context: Buffer.from(data),
          entries: m.entries.map((e) => ({ ...e, data: Buffer.from(e.data) })),
          snapshot: m.snapshot && { ...m.snapshot, data: Buffer.from(data) },
        })
      }),
    )
  })

  it('writes member IDs as little-endian uint64 and reads them back, however many distinct IDs pass', () => {
    // More distinct IDs than the codec caches, so its caches empty and refill along the way.
    fc.assert(
      fc.property(fc.bigUint64Array({ minLength: 2, maxLength: 2 }), ([to, from]) => {
        const m = makeMessage({ type: MessageType.Heartbeat, to: to!.toString(), from: from!.toString(), term: 1 })
        const bytes = encodeMessage(m)
        const back = decodeMessage(bytes)
        expect([back.to, back.from]).toEqual([m.to, m.from])
        // On the wire, each ID is the uint64 that Buffer's own BigInt writer makes of it.
        expect(Buffer.from(bytes).includes(u64(to!))).toBe(true)
        expect(Buffer.from(bytes).includes(u64(from!))).toBe(true)
      }),
      { numRuns: 500 },
    )
    expect(() => encodeMessage(makeMessage({ type: MessageType.Heartbeat, to: '18446744073709551616', from: '1', term: 1 }))).toThrow(RangeError)
    expect(() => encodeMessage(makeMessage({ type: MessageType.Heartbeat, to: '-1', from: '1', term: 1 }))).toThrow(RangeError)
  })
})

function u64(v: bigint): Buffer {
  const b = Buffer.alloc(8)
  b.writeBigUInt64LE(v)
  return b
}

describe('state snapshot codec', () => {
  it('restores store, leases, members, alarms and auth', async () => {
    const sm = new StateMachine('9', '1', 2)
    sm.cluster.add({ ID: '1', name: 'n1', peerURLs: ['http://a:1'], clientURLs: [], isLearner: false })
    sm.applyRequest(1, 1, { ID: '1', proposer: '1', request: 'lease_grant', lease_grant: { TTL: '60', ID: '77' } })
    sm.applyRequest(2, 1, { ID: '2', proposer: '1', request: 'put', put: { key: Buffer.from('k'), value: Buffer.from('v'), lease: '77', prev_kv: false, ignore_value: false, ignore_lease: false } })
    sm.applyRequest(3, 1, { ID: '3', proposer: '1', request: 'alarm', alarm: { action: 'ACTIVATE', memberID: '1', alarm: 'NOSPACE' } })
    sm.auth.userAdd('root', await hashPassword('pw', 4))
    const copy = new StateMachine('0', '1', 2)
    copy.restore(sm.snapshot())
    expect(copy.store.hashKV(0)).toBe(sm.store.hashKV(0))
    expect(copy.store.keysOfLease('77')).toEqual(['k'])
    expect(copy.lessor.leases.get('77')?.ttl).toBe(60)
    expect(copy.cluster.list()).toEqual(sm.cluster.list())
    expect(copy.alarmList()).toEqual([{ memberID: '1', alarm: 'NOSPACE' }])
    expect(copy.auth.userList()).toEqual(['root'])
    expect(copy.appliedIndex).toBe(3)
    // NOSPACE blocks puts but not deletes
    const put = copy.applyRequest(4, 1, { ID: '4', proposer: '1', request: 'put', put: { key: Buffer.from('x'), value: Buffer.from('v'), lease: '0', prev_kv: false, ignore_value: false, ignore_lease: false } })
    expect(put.error?.message).toBe('etcdserver: mvcc: database space exceeded')
    const del = copy.applyRequest(5, 1, { ID: '5', proposer: '1', request: 'delete_range', delete_range: { key: Buffer.from('k'), range_end: Buffer.alloc(0), prev_kv: false } })
    expect(del.error).toBeUndefined()
  })
})

describe('lessor', () => {
  it('applies the minimum TTL, expires only on the primary, renews and restarts clocks on promotion', () => {
    let now = 0
    const l = new Lessor(2, () => now)
    expect(l.grant('1', 1).ttl).toBe(2)
    now = 10_000
    expect(l.expired()).toEqual([])
    l.promote()
    now += 1999
    expect(l.expired()).toEqual([])
    expect(l.renew('1')).toEqual({ ttl: 2 })
    now += 1999
    expect(l.expired()).toEqual([])
    now += 1
    expect(l.expired()).toEqual(['1'])
    // An expired lease is not brought back by a keep-alive (etcd's Renew).
    expect(l.renew('1')).toEqual({ expired: true })
    expect(() => l.grant('1', 5)).toThrow('lease already exists')
    expect(() => l.grant('2', 9_000_000_001)).toThrow('too large lease TTL')
    l.demote()
    expect(() => l.renew('1')).toThrow('etcdserver: not leader')
  })
})

describe('auth store', () => {
  it("follows etcd's rules for enabling, roles and permissions", async () => {
    const a = new AuthStore()
    expect(() => a.enable()).toThrow('root user does not exist')
    a.userAdd('root', await hashPassword('pw', 4))
    expect(() => a.enable()).toThrow('root user does not have root role')
    a.userGrantRole('root', 'root')
    a.enable()
    expect(() => a.userDelete('root')).toThrow('invalid auth management')
    a.roleAdd('r')
    a.roleGrantPermission('r', { permType: 'READ', key: 'a', rangeEnd: 'b' })
    a.userAdd('u', await hashPassword('x', 4))
    a.userGrantRole('u', 'r')
    expect(a.permitted('u', 'READ', 'abc', '')).toBe(true)
    expect(a.permitted('u', 'WRITE', 'abc', '')).toBe(false)
    expect(a.permitted('u', 'READ', 'a', 'c')).toBe(false)
    expect(a.permitted('root', 'WRITE', 'zzz', '')).toBe(true)
    await expect(a.checkPassword('u', 'bad')).rejects.toThrow('authentication failed')
    await a.checkPassword('u', 'x')
    a.assignToken('u', 'tok.1')
    expect(a.authInfo('tok.1')).toEqual({ username: 'u', revision: a.revision })
    expect(() => a.authInfo('nope')).toThrow('invalid auth token')
    expect(() => a.roleRevokePermission('r', 'x', '')).toThrow('permission is not granted to the role')
  })
})
