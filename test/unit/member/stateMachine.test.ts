import { describe, expect, it } from 'vitest'
import { StateMachine } from '../../../src-main/member/server/stateMachine'
import type { InternalRequest, Member } from '../../../src-main/member/server/pb'

const member = (ID: string, url: string, isLearner = false): Member => ({ ID, name: '', peerURLs: [url], clientURLs: [], isLearner })
const change = (kind: 'ADD' | 'REMOVE' | 'UPDATE' | 'PROMOTE', m: Member): InternalRequest => ({ ID: '1', proposer: '1', request: 'member_change', member_change: { kind, member: m } })

describe('membership changes re-checked at apply time', () => {
  it('rejects a racing add with taken peer URLs or a removed ID, accepts replays of what is already in effect', () => {
    const sm = new StateMachine('9', '1', 2)
    sm.cluster.add(member('1', 'http://a:1'))
    sm.applyRequest(1, 1, change('ADD', member('2', 'http://b:1', true)))
    expect(sm.checkMemberChange(change('ADD', member('3', 'http://b:1')))?.message).toBe('etcdserver: Peer URLs already exists')
    expect(sm.checkMemberChange(change('ADD', member('2', 'http://b:1', true)))).toBeUndefined()
    sm.applyRequest(2, 1, change('PROMOTE', member('2', 'http://b:1')))
    expect(sm.cluster.get('2')?.isLearner).toBe(false)
    expect(sm.checkMemberChange(change('PROMOTE', member('2', 'http://b:1')))).toBeUndefined()
    sm.applyRequest(3, 1, change('REMOVE', member('2', 'http://b:1')))
    expect(sm.checkMemberChange(change('ADD', member('2', 'http://c:1')))?.message).toBe('etcdserver: member ID already exist')
    expect(sm.checkMemberChange(change('PROMOTE', member('7', 'http://d:1')))?.message).toBe('etcdserver: member not found')
  })
})
