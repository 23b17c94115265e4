import { describe, expect, it } from 'vitest'
import { stateDiffToLog, traceToLog } from '../../../src-renderer/src/stores/playgrounds.shared'
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
const summary = (members: PlaygroundMember[]): PlaygroundSummary => ({ id: 'p', name: 'p', engine: 'raftdeck', phase: 'running', members, endpoints: '', clusterToken: '', createdAt: 0, loadRate: 0, debug: true, error: null })
const leader = (name: string, term = '2') => member(name, { raft: { ...member(name).raft!, role: 'leader', term } })

describe('playground event log', () => {
  it('reads role changes and votes from trace events', () => {
    expect(traceToLog({ kind: 'role', at: 1, member: 'n2', from: '', to: '', detail: 'preCandidate -> candidate term 4' })?.text).toBe('n2 starts an election for term 4')
    expect(traceToLog({ kind: 'role', at: 1, member: 'n2', from: '', to: '', detail: 'candidate -> leader term 4' })?.text).toBe('n2 won the election and leads term 4')
    expect(traceToLog({ kind: 'vote', at: 1, member: 'n3', from: 'n2', to: '', detail: 'vote for 2 granted term 4' })?.text).toBe('n3 granted its vote to n2 (term 4)')
    expect(traceToLog({ kind: 'send', at: 1, member: 'n1', from: 'n1', to: 'n2', detail: 'MsgApp' })).toBeNull()
  })

  it('notices leader changes, kills and membership changes between two states', () => {
    const before = summary([leader('n1'), member('n2'), member('n3')])
    const after = summary([member('n1', { process: 'killed', raft: null }), leader('n2', '3'), member('n3'), member('n4', { learner: true })])
    const texts = stateDiffToLog(before, after).map((e) => e.text)
    expect(texts).toEqual(['Leader is now n2 (term 3)', 'n1 is killed', 'n4 joined as a learner'])
    expect(stateDiffToLog(null, after)).toEqual([])
  })
})
