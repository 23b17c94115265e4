// Behaviour of the core through its public API, on a synchronous in-memory
// cluster (harness.ts). The simulator covers the same features under faults;
// these tests pin down individual rules with exact expectations.

import { describe, expect, it } from 'vitest'
import { decodeConfChange, encodeConfChange } from '../../../src-main/raft/confChange'
import { RaftInvariantError } from '../../../src-main/raft/errors'
import { RawNode, canSendBeforePersist } from '../../../src-main/raft/rawNode'
import { seededRandom } from '../../../src-main/raft/random'
import { MemoryStorage } from '../../../src-main/raft/storage'
import type { TraceEvent } from '../../../src-main/raft/trace'
import { MessageType } from '../../../src-main/raft/types'
import { Harness, bytes } from './harness'

describe('RawNode', () => {
  it('does not campaign while committed ConfChanges are unapplied', () => {
    const rn = new RawNode({ id: '1', electionTick: 10, heartbeatTick: 1, random: seededRandom(1) }, new MemoryStorage())
    rn.bootstrap(['1'])
    for (let i = 0; i < 50; i++) rn.tick()
    expect(rn.raft.role).toBe('follower')
  })

  it('rejects node ids that are not canonical non-zero uint64 decimals', () => {
    const mk = (id: string) => () => new RawNode({ id, electionTick: 10, heartbeatTick: 1, random: seededRandom(1) }, new MemoryStorage())
    expect(mk('0')).toThrow(RaftInvariantError)
    expect(mk('01')).toThrow(RaftInvariantError)
    expect(mk('abc')).toThrow(RaftInvariantError)
    expect(mk('18446744073709551615')).not.toThrow()
  })

  it('round-trips ConfChanges with full uint64 member ids', () => {
    const cc = { type: 'addLearnerNode' as const, nodeId: '18446744073709551615', context: bytes('{"name":"m4"}') }
    const back = decodeConfChange(encodeConfChange(cc))
    expect(back.type).toBe(cc.type)
    expect(back.nodeId).toBe(cc.nodeId)
    expect(new TextDecoder().decode(back.context)).toBe('{"name":"m4"}')
  })

  it('draws election timeouts from [ET, 2·ET)', () => {
    const seen = new Set<number>()
    for (let seed = 1; seed <= 200; seed++) {
      const st = new MemoryStorage()
      const rn = new RawNode({ id: '1', electionTick: 10, heartbeatTick: 1, random: seededRandom(seed), preVote: false }, st)
      rn.bootstrap(['1', '2', '3'])
      // Apply the bootstrap ConfChanges first: a node never campaigns while
      // committed configuration changes are unapplied.
      const rd = rn.ready()
      st.append(rd.entries)
      if (rd.hardState) st.setHardState(rd.hardState)
      rn.advance()
      let ticks = 0
      while (rn.raft.role === 'follower' && ticks < 100) {
        rn.tick()
        ticks++
      }
      seen.add(ticks)
    }
    expect(Math.min(...seen)).toBe(10)
    expect(Math.max(...seen)).toBe(19)
  })

  it('a single node commits only after its own entry is persisted', () => {
    const st = new MemoryStorage()
    const rn = new RawNode({ id: '1', electionTick: 10, heartbeatTick: 1, random: seededRandom(1) }, st)
    rn.bootstrap(['1'])
    const drain = (): void => {
      while (rn.hasReady()) {
        const rd = rn.ready()
        st.append(rd.entries)
        if (rd.hardState) st.setHardState(rd.hardState)
        rn.advance()
      }
    }
    drain()
    rn.campaign()
    drain()
    expect(rn.raft.role).toBe('leader')
    rn.propose(bytes('a'))
    const rd = rn.ready()
    expect(rd.entries.map((e) => e.data.byteLength)).toEqual([1])
    // Not persisted yet: nothing of it may be reported committed.
    expect(rd.committedEntries.some((e) => e.data.byteLength === 1)).toBe(false)
    st.append(rd.entries)
    rn.advance()
    const rd2 = rn.ready()
    expect(rd2.committedEntries.map((e) => new TextDecoder().decode(e.data))).toContain('a')
    rn.advance()
  })

  it('lets only leader replication messages go out before persisting', () => {
    expect(canSendBeforePersist({ type: MessageType.App } as never)).toBe(true)
    expect(canSendBeforePersist({ type: MessageType.Heartbeat } as never)).toBe(true)
    expect(canSendBeforePersist({ type: MessageType.VoteResp } as never)).toBe(false)
    expect(canSendBeforePersist({ type: MessageType.AppResp } as never)).toBe(false)
    expect(canSendBeforePersist({ type: MessageType.Vote } as never)).toBe(false)
  })

  it('replicates, forwards follower proposals, and applies everywhere in order', () => {
    const h = new Harness(['1', '2', '3'])
    h.elect('1')
    h.node('1').propose(bytes('x'))
    h.node('2').propose(bytes('y'))
    h.process('1')
    h.process('2')
    h.deliver()
    h.tickAll(2)
    for (const id of ['1', '2', '3']) expect(h.appliedData(id)).toEqual(['x', 'y'])
  })

  it('drops proposals with no known leader and reports it', () => {
    const h = new Harness(['1', '2', '3'])
    expect(h.node('2').propose(bytes('lost'))).toBe(false)
  })

  it('serves many reads with one heartbeat round', () => {
    const h = new Harness(['1', '2', '3'])
    h.elect('1')
    h.tickAll(1)
    const before = h.sent.filter((m) => m.type === MessageType.Heartbeat).length
    // First read starts a round; the next ones arrive while it is in flight.
    for (let i = 0; i < 10; i++) h.node('1').readIndex(bytes(`r${i}`))
    h.process('1')
    const afterRequests = h.sent.filter((m) => m.type === MessageType.Heartbeat).length
    expect(afterRequests - before).toBe(2) // one round (to both followers) for the first read
    h.deliver()
    const rounds = (h.sent.filter((m) => m.type === MessageType.Heartbeat).length - before) / 2
    expect(rounds).toBe(2) // the nine others shared a single second round
    expect(h.reads.get('1')!.length).toBe(10)
    const commit = h.node('1').raft.log.committed
    expect(h.reads.get('1')!.every((r) => r.index === commit)).toBe(true)
  })

  it('answers a follower ReadIndex through the leader', () => {
    const h = new Harness(['1', '2', '3'])
    h.elect('1')
    h.tickAll(1)
    h.node('3').readIndex(bytes('f'))
    h.process('3')
    h.deliver()
    expect(h.reads.get('3')!.map((r) => new TextDecoder().decode(r.requestCtx))).toEqual(['f'])
  })

  it('holds reads until the new leader commits an entry of its term', () => {
    const h = new Harness(['1', '2', '3'])
    h.filter = (m) => m.type !== MessageType.AppResp
    h.elect('1')
    h.node('1').readIndex(bytes('early'))
    h.process('1')
    h.deliver()
    expect(h.reads.get('1')!.length).toBe(0)
    h.filter = () => true
    h.tickAll(3)
    expect(h.reads.get('1')!.length).toBe(1)
  })

  it('bounds the uncommitted tail', () => {
    const h = new Harness(['1', '2', '3'], { maxUncommittedEntriesSize: 100 })
    h.elect('1')
    h.filter = () => false // nothing commits
    expect(h.node('1').propose(new Uint8Array(60))).toBe(true)
    expect(h.node('1').propose(new Uint8Array(60))).toBe(false)
  })

  it('transfers leadership to a lagging follower after catching it up', () => {
    const h = new Harness(['1', '2', '3'])
    h.elect('1')
    h.filter = (m) => m.to !== '3'
    for (let i = 0; i < 5; i++) h.node('1').propose(bytes(`p${i}`))
    h.process('1')
    h.deliver()
    h.filter = () => true
    expect(h.node('3').raft.log.lastIndex()).toBeLessThan(h.node('1').raft.log.lastIndex())
    h.node('1').transferLeader('3')
    h.process('1')
    // Proposals are refused while the transfer is in progress.
    expect(h.node('1').propose(bytes('during'))).toBe(false)
    h.deliver()
    h.tickAll(2)
    expect(h.leader()).toBe('3')
    expect(h.node('3').transferLeader('9')).toBe(false) // not a member
    expect(h.appliedData('3')).toEqual(['p0', 'p1', 'p2', 'p3', 'p4'])
  })

  it('adds a learner that replicates but neither votes nor campaigns, then promotes it', () => {
    const h = new Harness(['1', '2', '3'])
    h.elect('1')
    const st = new MemoryStorage()
    const learner = new RawNode({ id: '4', electionTick: 10, heartbeatTick: 1, random: seededRandom(4) }, st)
    h.nodes.set('4', learner)
    h.storages.set('4', st)
    h.applied.set('4', [])
    h.reads.set('4', [])
    h.node('1').proposeConfChange({ type: 'addLearnerNode', nodeId: '4', context: new Uint8Array() })
    h.process('1')
    h.deliver()
    h.tickAll(3)
    expect(learner.raft.tracker.learners.has('4')).toBe(true)
    expect(h.node('1').raft.tracker.voters.size).toBe(3)
    // A learner never starts an election, however long it waits.
    h.tick('4', 100)
    expect(h.sent.some((m) => m.from === '4' && (m.type === MessageType.PreVote || m.type === MessageType.Vote))).toBe(false)
    h.node('1').proposeConfChange({ type: 'addNode', nodeId: '4', context: new Uint8Array() })
    h.process('1')
    h.deliver()
    h.tickAll(3)
    expect(h.node('1').raft.tracker.voters.has('4')).toBe(true)
    expect(learner.raft.tracker.voters.has('4')).toBe(true)
  })

  it('refuses a second ConfChange while one is unapplied', () => {
    const h = new Harness(['1', '2', '3'])
    h.elect('1')
    h.filter = () => false
    h.node('1').proposeConfChange({ type: 'addLearnerNode', nodeId: '4', context: new Uint8Array() })
    h.node('1').proposeConfChange({ type: 'addLearnerNode', nodeId: '5', context: new Uint8Array() })
    h.process('1')
    const log = h.node('1').raft.log
    const last = log.slice(log.lastIndex() - 1, log.lastIndex() + 1, 0)
    expect(last.map((e) => e.type)).toEqual([1, 0]) // the second became a no-op
  })

  it('a removed leader steps down when it applies its removal', () => {
    const h = new Harness(['1', '2', '3'])
    h.elect('1')
    h.node('1').proposeConfChange({ type: 'removeNode', nodeId: '1', context: new Uint8Array() })
    h.process('1')
    h.deliver()
    expect(h.node('1').raft.role).toBe('follower')
    h.nodes.delete('1')
    for (let i = 0; i < 30 && !h.leader(); i++) h.tickAll(1)
    expect(['2', '3']).toContain(h.leader())
    expect(h.node(h.leader()!).raft.tracker.voters.has('1')).toBe(false)
  })

  it('emits typed trace events only when asked', () => {
    const events: TraceEvent[] = []
    const h = new Harness(['1', '2', '3'], { trace: (e) => events.push(e) })
    h.elect('1')
    expect(events.some((e) => e.kind === 'role' && e.to === 'leader')).toBe(true)
    expect(events.some((e) => e.kind === 'vote' && e.granted)).toBe(true)
    expect(events.some((e) => e.kind === 'send')).toBe(true)
    expect(events.some((e) => e.kind === 'commit')).toBe(true)
  })

  it('switches its trace sink at run time: none built while off, all again once on', () => {
    const events: TraceEvent[] = []
    const sink = (e: TraceEvent) => events.push(e)
    const h = new Harness(['1', '2', '3'], { trace: sink })
    h.elect('1')
    for (const id of ['1', '2', '3']) h.node(id).raft.setTrace(undefined)
    events.length = 0
    h.node('1').propose(bytes('untraced'))
    h.process('1')
    h.deliver()
    h.tickAll(2)
    expect(h.appliedData('2')).toContain('untraced')
    expect(events).toHaveLength(0)
    h.node('1').raft.setTrace(sink)
    h.node('1').propose(bytes('traced'))
    h.process('1')
    h.deliver()
    expect(events.some((e) => e.kind === 'send' && e.node === '1' && e.message.entries.length > 0)).toBe(true)
    expect(events.every((e) => e.node === '1')).toBe(true)
  })
})
