import { describe, expect, it } from 'vitest'
import { logConcerns, stateDiffToLog, traceToLog } from '../../../src-renderer/src/stores/playgrounds.shared'
import type { PlaygroundMember, PlaygroundSummary } from '../../../src-main/shared/api/playground'

const member = (name: string, over: Partial<PlaygroundMember> = {}): PlaygroundMember => ({
  name,
  id: name === 'n1' ? '1' : name === 'n2' ? '2' : '3',
  clientUrl: '',
  peerUrl: '',
  dataDir: '',
  process: 'running',
  pid: 1,
  exitCode: null,
  raft: { role: 'follower', term: '2', vote: '0', leader: '1', commit: '5', applied: '5', lastIndex: '5', snapshotIndex: '0', revision: '1', peers: [], at: 0 },
  dbSize: 0,
  learner: false,
  ...over,
})
const summary = (members: PlaygroundMember[]): PlaygroundSummary => ({ id: 'p', name: 'p', engine: 'raftdeck', phase: 'running', members, endpoints: '', clusterToken: '', createdAt: 0, loadRate: 0, debug: true, tls: null, error: null })
const leader = (name: string, term = '2') => member(name, { raft: { ...member(name).raft!, role: 'leader', term } })

describe('playground event log', () => {
  it('writes role changes and votes from typed trace events', () => {
    expect(traceToLog({ kind: 'role', at: 1, member: 'n2', from: 'pre-candidate', to: 'candidate', term: '4', leader: '' })?.text).toBe('n2 starts an election for term 4')
    expect(traceToLog({ kind: 'role', at: 1, member: 'n2', from: 'candidate', to: 'leader', term: '4', leader: 'n2' })?.text).toBe('n2 won the election and leads term 4')
    expect(traceToLog({ kind: 'role', at: 1, member: 'n1', from: 'leader', to: 'follower', term: '5', leader: '' })?.text).toBe('n1 is a follower again (was leader, term 5)')
    const vote = traceToLog({ kind: 'vote', at: 1, member: 'n3', voter: 'n3', candidate: 'n2', term: '4', preVote: false, granted: true })
    expect(vote?.text).toBe('n3 granted its vote to n2 (term 4)')
    expect(vote && logConcerns(vote, 'n2')).toBe(true)
    expect(vote && logConcerns(vote, 'n1')).toBe(false)
    expect(traceToLog({ kind: 'vote', at: 1, member: 'n1', voter: 'n1', candidate: 'n2', term: '4', preVote: true, granted: false })?.text).toBe('n1 rejected its pre-vote to n2 (term 4)')
    // The same vote counted at the candidate, and a candidate's vote for itself, add no line.
    expect(traceToLog({ kind: 'vote', at: 1, member: 'n2', voter: 'n3', candidate: 'n2', term: '4', preVote: false, granted: true })).toBeNull()
    expect(traceToLog({ kind: 'vote', at: 1, member: 'n2', voter: 'n2', candidate: 'n2', term: '4', preVote: false, granted: true })).toBeNull()
    const msg = { type: 'MsgApp' as const, from: 'n1', to: 'n2', term: '4', logTerm: '4', index: '7', commit: '7', entries: 1, reject: false }
    expect(traceToLog({ kind: 'send', at: 1, member: 'n1', message: msg })).toBeNull()
  })

  it('notices leader changes, kills and membership changes between two states', () => {
    const before = summary([leader('n1'), member('n2'), member('n3')])
    const after = summary([member('n1', { process: 'killed', raft: null }), leader('n2', '3'), member('n3'), member('n4', { learner: true })])
    const texts = stateDiffToLog(before, after).map((e) => e.text)
    expect(texts).toEqual(['Leader is now n2 (term 3)', 'n1 is killed', 'n4 joined as a learner'])
    expect(stateDiffToLog(null, after)).toEqual([])
  })
})
