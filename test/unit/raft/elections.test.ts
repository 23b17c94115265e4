// Election rules on a synchronous cluster: PreVote keeps an isolated node's
// term, CheckQuorum deposes a leader that hears nobody, the lease protects a
// live leader, and leader transfer bypasses it.

import { describe, expect, it } from 'vitest'
import { MessageType } from '../../../src-main/raft/types'
import { Harness } from './harness'

describe('elections', () => {
  it('with PreVote an isolated node does not raise its term', () => {
    const h = new Harness(['1', '2', '3'])
    h.elect('1')
    const term = h.node('3').raft.term
    h.filter = (m) => m.from !== '3' && m.to !== '3'
    h.tick('3', 100)
    h.deliver()
    expect(h.node('3').raft.term).toBe(term)
    h.filter = () => true
    h.tickAll(5)
    expect(h.leader()).toBe('1')
    expect(h.node('1').raft.term).toBe(term)
  })

  it('without PreVote the same isolation disrupts the cluster on return', () => {
    const h = new Harness(['1', '2', '3'], { preVote: false, checkQuorum: false })
    h.elect('1')
    const term = h.node('1').raft.term
    h.filter = (m) => m.from !== '3' && m.to !== '3'
    h.tick('3', 100)
    h.deliver()
    expect(h.node('3').raft.term).toBeGreaterThan(term)
    h.filter = () => true
    h.tickAll(5)
    expect(h.node('1').raft.term).toBeGreaterThan(term)
  })

  it('CheckQuorum deposes a leader that hears from nobody within two election timeouts', () => {
    const h = new Harness(['1', '2', '3'])
    h.elect('1')
    h.filter = (m) => m.to !== '1'
    let ticks = 0
    while (h.node('1').raft.role === 'leader' && ticks < 100) {
      h.tick('1')
      h.deliver()
      ticks++
    }
    expect(h.node('1').raft.role).toBe('follower')
    expect(ticks).toBeLessThanOrEqual(20)
  })

  it('a follower in its leader lease ignores vote requests; a transfer campaign overrides it', () => {
    const h = new Harness(['1', '2', '3'])
    h.elect('1')
    h.tickAll(1)
    const term = h.node('1').raft.term
    h.node('2').campaign() // pre-vote: node 3 heard from 1 recently and ignores it
    h.process('2')
    h.deliver()
    expect(h.leader()).toBe('1')
    expect(h.node('3').raft.term).toBe(term)
    h.tickAll(1) // the leader's heartbeat turns the pre-candidate back into a follower
    h.node('1').transferLeader('2')
    h.process('1')
    h.deliver()
    expect(h.leader()).toBe('2')
    expect(h.sent.some((m) => m.type === MessageType.TimeoutNow && m.to === '2')).toBe(true)
  })

  it('a node never votes twice in a term, even for a better candidate', () => {
    const h = new Harness(['1', '2', '3'], { preVote: false, checkQuorum: false })
    h.filter = (m) => !(m.from === '3' && m.to === '2') && !(m.from === '2' && m.to === '3')
    h.node('2').campaign()
    h.process('2')
    h.node('3').campaign()
    h.process('3')
    h.deliver()
    // Node 1 granted exactly one of the two candidates of the same term.
    const grants = h.sent.filter((m) => m.from === '1' && m.type === MessageType.VoteResp && !m.reject)
    expect(grants.length).toBe(1)
  })
})
