import { describe, expect, it } from 'vitest'
import { clusterHealth, connectionObservations, LAG_ENTRIES, playgroundObservations, type MemberObservation } from '../../../src-main/shared/health'
import type { PlaygroundMember, PlaygroundSummary, ProcessState, RaftRole } from '../../../src-main/shared/api/playground'
import type { ClusterStatus, EndpointStatus } from '../../../src-main/shared/dto'

const m = (name: string, o: Partial<MemberObservation> = {}): MemberObservation => ({ name, voter: true, up: true, leader: false, term: 2, lagging: false, ...o })
const verdict = (members: MemberObservation[], extra: { stopped?: boolean; split?: boolean } = {}) => clusterHealth({ stopped: false, members, ...extra })

describe('the health rule', () => {
  it('is healthy with every member up and one leader', () => {
    const v = verdict([m('n1', { leader: true }), m('n2'), m('n3')])
    expect(v).toMatchObject({ health: 'healthy', reason: 'all-up', leader: 'n1', up: 3, total: 3, quorum: 2 })
  })

  it('is degraded when a member is down but a quorum with a leader remains', () => {
    expect(verdict([m('n1', { leader: true }), m('n2'), m('n3', { up: false })])).toMatchObject({ health: 'degraded', reason: 'members-down', down: ['n3'] })
  })

  it('is degraded when a member lags or is cut off', () => {
    expect(verdict([m('n1', { leader: true }), m('n2', { lagging: true }), m('n3')])).toMatchObject({ health: 'degraded', reason: 'members-lagging', lagging: ['n2'] })
  })

  it('is down without a quorum, even if a stale leader is still up', () => {
    expect(verdict([m('n1', { leader: true }), m('n2', { up: false }), m('n3', { up: false })])).toMatchObject({ health: 'down', reason: 'no-quorum' })
  })

  it('is down without a leader', () => {
    expect(verdict([m('n1'), m('n2'), m('n3')])).toMatchObject({ health: 'down', reason: 'no-leader' })
  })

  it('is down when nothing answers, stopped when stopped, unknown before anything is seen', () => {
    expect(verdict([m('n1', { up: false }), m('n2', { up: false })])).toMatchObject({ health: 'down', reason: 'unreachable' })
    expect(verdict([m('n1', { up: false })], { stopped: true })).toMatchObject({ health: 'stopped' })
    expect(verdict([])).toMatchObject({ health: 'unknown' })
  })

  it('counts only the newest term’s leader: an old leader cut off is lagging, not a second leader', () => {
    const v = verdict([m('n1', { leader: true, term: 2 }), m('n2', { leader: true, term: 3 }), m('n3', { term: 3 })])
    expect(v).toMatchObject({ health: 'degraded', reason: 'members-lagging', leader: 'n2', lagging: ['n1'] })
  })

  it('is down with two leaders of the same term (copies of one data dir) or a split', () => {
    expect(verdict([m('n1', { leader: true }), m('n2', { leader: true }), m('n3')])).toMatchObject({ health: 'down', reason: 'several-leaders' })
    expect(verdict([m('n1', { leader: true }), m('n2'), m('n3')], { split: true })).toMatchObject({ health: 'down', reason: 'split' })
  })

  it('does not count learners towards the quorum', () => {
    expect(verdict([m('n1', { leader: true }), m('n2'), m('n3', { up: false }), m('n4', { voter: false })])).toMatchObject({ health: 'degraded', quorum: 2, voters: 3 })
    expect(verdict([m('n1', { leader: true }), m('n2', { up: false }), m('n3', { up: false }), m('n4', { voter: false })])).toMatchObject({ health: 'down', reason: 'no-quorum' })
  })

  it('takes members no endpoint reaches as up only when a leader vouches for the quorum', () => {
    expect(verdict([m('n1', { leader: true }), m('n2', { up: null }), m('n3', { up: null })])).toMatchObject({ health: 'healthy' })
    expect(verdict([m('n1'), m('n2', { up: null }), m('n3', { up: null })])).toMatchObject({ health: 'down' })
  })
})

function member(name: string, id: string, process: ProcessState, role: RaftRole | null, o: { term?: string; leader?: string; applied?: string; commit?: string; peers?: PlaygroundMember['raft'] extends infer R ? R extends { peers: infer P } ? P : never : never } = {}): PlaygroundMember {
  return {
    name,
    id,
    clientUrl: '',
    peerUrl: '',
    dataDir: '',
    process,
    pid: null,
    exitCode: null,
    raft: role
      ? { role, term: o.term ?? '2', vote: '0', leader: o.leader ?? '1', commit: o.commit ?? '100', applied: o.applied ?? '100', lastIndex: '100', snapshotIndex: '0', revision: '1', peers: o.peers ?? [], at: 0 }
      : null,
    dbSize: null,
    learner: false,
  }
}

const pg = (members: PlaygroundMember[], phase: PlaygroundSummary['phase'] = 'running'): PlaygroundSummary => ({
  id: 'p',
  name: 'local',
  engine: 'raftdeck',
  phase,
  members,
  endpoints: '',
  clusterToken: '',
  createdAt: 0,
  loadRate: 0,
  debug: true,
  error: null,
  tls: null,
})

const peer = (id: string, o: { recentActive?: boolean; isolatedOut?: boolean } = {}) => ({ id, match: '100', next: '101', state: 'replicate', recentActive: o.recentActive ?? true, msgsSent: '0', msgsReceived: '0', isolatedOut: o.isolatedOut ?? false, isolatedIn: false, delayMs: 0 })

describe('playground observations', () => {
  it('follow the members as they are killed: healthy, degraded, down', () => {
    const leader = member('n1', '1', 'running', 'leader', { peers: [peer('2'), peer('3')] })
    expect(clusterHealth(playgroundObservations(pg([leader, member('n2', '2', 'running', 'follower'), member('n3', '3', 'running', 'follower')]))).health).toBe('healthy')
    expect(clusterHealth(playgroundObservations(pg([leader, member('n2', '2', 'running', 'follower'), member('n3', '3', 'killed', null)]))).health).toBe('degraded')
    // The last leader still reports its role until it notices: without a quorum it is down all the same.
    expect(clusterHealth(playgroundObservations(pg([leader, member('n2', '2', 'crashed', null), member('n3', '3', 'killed', null)]))).health).toBe('down')
  })

  it('take a paused member as down and a cut-off one as lagging', () => {
    const leader = member('n1', '1', 'running', 'leader', { peers: [peer('2', { recentActive: false }), peer('3')] })
    expect(clusterHealth(playgroundObservations(pg([leader, member('n2', '2', 'running', 'follower'), member('n3', '3', 'running', 'follower')])))).toMatchObject({ health: 'degraded', lagging: ['n2'] })
    expect(clusterHealth(playgroundObservations(pg([member('n1', '1', 'running', 'leader'), member('n2', '2', 'paused', 'follower'), member('n3', '3', 'running', 'follower')])))).toMatchObject({ health: 'degraded', down: ['n2'] })
  })

  it('take a follower far behind the leader as lagging', () => {
    const far = String(100 - LAG_ENTRIES - 1)
    const v = clusterHealth(playgroundObservations(pg([member('n1', '1', 'running', 'leader', { commit: '100' }), member('n2', '2', 'running', 'follower', { applied: far }), member('n3', '3', 'running', 'follower')])))
    expect(v).toMatchObject({ health: 'degraded', reason: 'members-lagging', lagging: ['n2'] })
  })

  it('say stopped for a stopped playground', () => {
    expect(clusterHealth(playgroundObservations(pg([member('n1', '1', 'stopped', null)], 'stopped'))).health).toBe('stopped')
  })
})

const ep = (endpoint: string, o: Partial<EndpointStatus> = {}): EndpointStatus => ({ endpoint, ok: true, raftTerm: '4', raftIndex: '50', ...o })
const status = (endpoints: EndpointStatus[], members: ClusterStatus['members'], o: Partial<ClusterStatus> = {}): ClusterStatus => ({
  target: { kind: 'connection', id: 'c' },
  time: 0,
  clusterId: '9',
  leaderId: '1',
  revision: '10',
  endpoints,
  members,
  alarms: [],
  ...o,
})
const mi = (id: string, name: string, url: string) => ({ id, name, peerURLs: [], clientURLs: [url], isLearner: false })

describe('connection observations', () => {
  const members = [mi('1', 'a', 'http://a:2379'), mi('2', 'b', 'http://b:2379'), mi('3', 'c', 'http://c:2379')]
  it('give the same verdicts from Status answers', () => {
    const all = [ep('http://a:2379', { memberId: '1', leader: '1' }), ep('http://b:2379', { memberId: '2', leader: '1' }), ep('http://c:2379', { memberId: '3', leader: '1' })]
    expect(clusterHealth(connectionObservations(status(all, members))).health).toBe('healthy')
    const oneDown = [all[0]!, all[1]!, ep('http://c:2379', { ok: false, error: 'refused' })]
    expect(clusterHealth(connectionObservations(status(oneDown, members))).health).toBe('degraded')
    const twoDown = [all[0]!, ep('http://b:2379', { ok: false }), ep('http://c:2379', { ok: false })]
    expect(clusterHealth(connectionObservations(status(twoDown, members))).health).toBe('down')
    expect(clusterHealth(connectionObservations(status([ep('http://a:2379', { ok: false })], [], { error: 'no endpoint answered' }))).reason).toBe('unreachable')
  })

  it('is down for a split cluster', () => {
    const eps = [ep('http://a:2379', { memberId: '1', leader: '1' }), ep('http://b:2379', { memberId: '1', leader: '1' })]
    expect(clusterHealth(connectionObservations(status(eps, members, { split: { symptoms: ['several-leaders'], headline: '', cause: '', fix: '', facts: [] } })))).toMatchObject({ health: 'down', reason: 'split' })
  })
})
