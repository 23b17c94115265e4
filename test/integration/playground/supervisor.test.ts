// The playground supervisor with real member processes: elections, a killed leader, PreVote keeping an
// isolated follower from disrupting the cluster, healing, learners, removal; and the same process
// controls on real etcd 3.4.
import { existsSync, readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MEMBER_ENV, MEMBER_NODE_FLAGS } from '../../../src-main/member/nodeFlags'
import { harness, leaders, settled, type Harness } from './support'

describe('raftdeck engine', () => {
  let h: Harness
  let id: string
  beforeAll(async () => {
    h = harness()
    id = (await h.service.create('itest', 3)).id
  })
  afterAll(() => h?.close())

  it('launches 3 members that elect exactly one leader', async () => {
    const s = await h.until(id, 'one leader', settled)
    expect(s.phase).toBe('running')
    expect(leaders(s)).toHaveLength(1)
    expect(s.members.every((m) => m.process === 'running' && m.id)).toBe(true)
  })

  it('runs every member with the Node options and environment chosen for members (nodeFlags.json), given to Node itself', async () => {
    const s = await h.until(id, 'one leader', settled)
    expect(MEMBER_NODE_FLAGS.length).toBeGreaterThan(0)
    for (const m of s.members) {
      const argv = readFileSync(`/proc/${m.pid}/cmdline`, 'utf8').split('\0')
      // Before the `member` command: options for Node and V8, not arguments of the member (which
      // would refuse them). Node exits at start on an option V8 does not know, so a running member
      // also shows they were taken.
      const command = argv.indexOf('member')
      expect(command).toBeGreaterThan(0)
      for (const flag of MEMBER_NODE_FLAGS) {
        const at = argv.indexOf(flag)
        expect(at, `${m.name}: ${flag} in ${argv.join(' ')}`).toBeGreaterThan(0)
        expect(at).toBeLessThan(command)
      }
      // The environment reaches the process (malloc reads it once, at start).
      const environ = readFileSync(`/proc/${m.pid}/environ`, 'utf8').split('\0')
      expect(Object.keys(MEMBER_ENV).length).toBeGreaterThan(0)
      for (const [name, value] of Object.entries(MEMBER_ENV)) expect(environ, `${m.name}: ${name}`).toContain(`${name}=${value}`)
    }
  })

  it('members send trace events only while a subscriber shows them, and again when one subscribes', async () => {
    await h.until(id, 'one leader', settled)
    const client = await h.service.client(id)
    // Only state subscribers so far (the harness's): the members' debug watches are states-only.
    await client.put({ key: Buffer.from('/untraced'), value: Buffer.from('1') })
    const seen: string[] = []
    const stop = h.service.subscribe(id, true, (ev) => seen.push(...ev.traces.map((t) => t.kind)))
    try {
      // The watches are opened again asking for traces: a put now shows up as messages on the wire.
      for (let i = 0; seen.length === 0 && i < 50; i++) {
        await client.put({ key: Buffer.from(`/traced/${i}`), value: Buffer.from('1') })
        await new Promise((r) => setTimeout(r, 100))
      }
      expect(seen).toContain('send')
    } finally {
      stop()
    }
  })

  it('a killed leader is replaced by a new leader with a higher term', async () => {
    const before = await h.until(id, 'one leader', settled)
    const old = leaders(before)[0]!
    await h.service.memberAction(id, old.name, 'kill')
    const after = await h.until(id, 'a new leader', (s) => settled(s) && leaders(s)[0]!.name !== old.name)
    expect(after.members.find((m) => m.name === old.name)!.process).toBe('killed')
    expect(BigInt(leaders(after)[0]!.raft!.term)).toBeGreaterThan(BigInt(old.raft!.term))
    await h.service.memberAction(id, old.name, 'restart')
    await h.until(id, 'the old leader rejoined as a follower', (s) => settled(s) && s.members.find((m) => m.name === old.name)!.raft?.role === 'follower')
  })

  it('an isolated follower neither raises its term (PreVote) nor disturbs the leader, and catches up when healed', async () => {
    const before = await h.until(id, 'one leader', settled)
    const leader = leaders(before)[0]!
    const follower = before.members.find((m) => m.raft?.role === 'follower')!
    await h.service.isolate(id, follower.name, undefined, 'both')
    try {
    // The follower stops hearing the leader and tries to campaign: it becomes a pre-candidate.
    await h.until(id, 'the isolated follower to pre-campaign', (s) => s.members.find((m) => m.name === follower.name)!.raft?.role === 'pre-candidate')
    await h.service.setLoad(id, 50)
    const during = await h.until(id, 'writes committed while isolated', (s) => {
      const l = s.members.find((m) => m.name === leader.name)!
      return BigInt(l.raft?.commit ?? 0) > BigInt(leader.raft!.commit) + 20n
    })
    const iso = during.members.find((m) => m.name === follower.name)!
    expect(iso.raft!.term).toBe(follower.raft!.term)
    expect(leaders(during).map((m) => [m.name, m.raft!.term])).toEqual([[leader.name, leader.raft!.term]])
    } finally {
      await h.service.setLoad(id, 0)
      await h.service.heal(id, follower.name)
    }
    const healed = await h.until(id, 'the follower to catch up', (s) => {
      const f = s.members.find((m) => m.name === follower.name)!
      const l = s.members.find((m) => m.name === leader.name)!
      return settled(s) && f.raft?.role === 'follower' && f.raft.applied === l.raft?.commit
    })
    expect(leaders(healed)[0]!.name).toBe(leader.name)
    expect(leaders(healed)[0]!.raft!.term).toBe(leader.raft!.term)
  })

  it('adds a learner, promotes it, moves leadership to it, and removes a member', async () => {
    await h.until(id, 'one leader', settled)
    let s = await h.service.addMember(id)
    const added = s.members[s.members.length - 1]!.name
    s = await h.until(id, 'the learner to catch up', (x) => {
      const m = x.members.find((y) => y.name === added)!
      return m.raft?.role === 'learner' && m.raft.applied === leaders(x)[0]?.raft?.commit
    })
    await h.service.promote(id, added)
    s = await h.until(id, 'the promoted member to be a follower', (x) => settled(x) && x.members.find((y) => y.name === added)!.raft?.role === 'follower')
    expect(s.members).toHaveLength(4)

    await h.service.moveLeader(id, added)
    await h.until(id, `${added} to lead`, (x) => settled(x) && leaders(x)[0]!.name === added)

    const victim = s.members.find((m) => m.name !== added)!.name
    s = await h.service.removeMember(id, victim)
    expect(s.members.map((m) => m.name)).not.toContain(victim)
    const after = await h.until(id, 'a settled 3-member cluster', (x) => settled(x) && x.members.length === 3)
    const list = await (await h.service.client(id)).memberList()
    expect(list.members.map((m) => m.name).sort()).toEqual(after.members.map((m) => m.name).sort())
  })

  it('pause stops a member without killing it; resume brings it back', async () => {
    const s = await h.until(id, 'one leader', settled)
    const f = s.members.find((m) => m.raft?.role === 'follower')!
    await h.service.memberAction(id, f.name, 'pause')
    const paused = await h.until(id, 'paused', (x) => x.members.find((m) => m.name === f.name)!.process === 'paused')
    expect(paused.members.find((m) => m.name === f.name)!.pid).toBe(f.pid)
    // A stopped process answers nothing.
    await expect((await h.service.client(id)).status(f.clientUrl, 500)).rejects.toThrow()
    const resumedAt = Date.now()
    await h.service.memberAction(id, f.name, 'resume')
    await h.until(id, 'resumed and in sync', (x) => {
      const m = x.members.find((y) => y.name === f.name)!
      return settled(x) && m.process === 'running' && (m.raft?.at ?? 0) > resumedAt
    })
  })

  it('stops cleanly, and starts again on the same data', async () => {
    const before = await h.until(id, 'one leader', settled)
    await (await h.service.client(id)).put({ key: Buffer.from('/survives'), value: Buffer.from('restart') })
    await h.service.stop(id)
    const stopped = (await h.service.list()).find((p) => p.id === id)!
    expect(stopped.phase).toBe('stopped')
    expect(stopped.members.every((m) => m.process === 'stopped')).toBe(true)
    await h.service.start(id)
    await h.until(id, 'one leader again', settled)
    const r = await (await h.service.client(id)).range({ key: Buffer.from('/survives') })
    expect(r.kvs[0]?.value.toString()).toBe('restart')
    expect(before.members.map((m) => m.id)).toEqual((await h.service.list()).find((p) => p.id === id)!.members.map((m) => m.id))
  })
})

describe.runIf(existsSync('/usr/bin/etcd'))('etcd engine (/usr/bin/etcd)', () => {
  let h: Harness
  let id: string
  beforeAll(async () => {
    h = harness()
    id = (await h.service.create('real', 3, 'etcd')).id
  })
  afterAll(() => h?.close())

  it('runs real etcd members with the same controls', async () => {
    const s = await h.until(id, 'one leader', settled)
    expect(s.debug).toBe(false)
    const old = leaders(s)[0]!
    await h.service.memberAction(id, old.name, 'kill')
    const after = await h.until(id, 'a new leader', (x) => settled(x) && leaders(x)[0]!.name !== old.name)
    expect(BigInt(leaders(after)[0]!.raft!.term)).toBeGreaterThan(BigInt(old.raft!.term))
    await expect(h.service.isolate(id, old.name, undefined, 'both')).rejects.toThrow(/debug service/)
    await h.service.memberAction(id, old.name, 'restart')
    await h.until(id, 'all three in sync', (x) => settled(x) && x.members.every((m) => m.process === 'running'))
  })

  it('adds a learner, promotes it and removes a member', async () => {
    let s = await h.service.addMember(id)
    const added = s.members[s.members.length - 1]!.name
    await h.until(id, 'the learner to run', (x) => x.members.find((y) => y.name === added)!.raft?.role === 'learner')
    await h.service.promote(id, added)
    s = await h.until(id, 'promoted', (x) => x.members.find((y) => y.name === added)!.raft?.role !== 'learner' && settled(x))
    const victim = s.members.find((m) => m.name !== added && m.raft?.role === 'follower')!.name
    s = await h.service.removeMember(id, victim)
    await h.until(id, 'a settled 3-member cluster', (x) => settled(x) && x.members.length === 3)
  })
})
