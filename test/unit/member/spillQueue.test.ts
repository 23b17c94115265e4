import { describe, expect, it } from 'vitest'
import { SpillQueue } from '../../../src-main/member/mvcc/spillQueue'
import { KeyRevision } from '../../../src-main/member/mvcc/types'

const rev = (mod: number, bytes = 100) => KeyRevision.make(`/k${mod}`, Buffer.alloc(bytes, mod % 251), mod, mod, 0, 1, '0', false)

describe('SpillQueue', () => {
  it('hands revisions out oldest first, by bytes and by count, across chunks', () => {
    const q = new SpillQueue()
    const revs = Array.from({ length: 10_000 }, (_, i) => rev(i + 1))
    revs.forEach((r, i) => q.push(r, i + 2))
    expect(q.bytes).toBe(1_000_000)
    expect(q.take(250, 100)).toEqual(revs.slice(0, 3))
    expect(q.take(1e9, 5000)).toEqual(revs.slice(3, 5003))
    expect(q.bytes).toBe((10_000 - 5003) * 100)
    expect(q.take(1e9, 1e9)).toEqual(revs.slice(5003))
    expect(q.bytes).toBe(0)
    expect(q.take(1e9, 1e9)).toEqual([])
    // Still usable once emptied.
    q.push(revs[0]!, 20_000)
    expect(q.take(1, 1)).toEqual([revs[0]])
  })

  it('drops exactly the revisions superseded at or below a compaction revision', () => {
    const q = new SpillQueue()
    // Several revisions superseded by one change (a transaction, a range delete) share its revision.
    const supersededAt = [3, 3, 5, 8, 8, 8, 9, 12]
    const revs = supersededAt.map((_, i) => rev(i + 1, 10 * (i + 1)))
    revs.forEach((r, i) => q.push(r, supersededAt[i]!))
    q.dropSupersededUpTo(2)
    expect(q.bytes).toBe(360)
    q.dropSupersededUpTo(8)
    expect(q.bytes).toBe(70 + 80)
    expect(q.take(1e9, 1e9)).toEqual(revs.slice(6))
    // Dropping past the end leaves an empty queue that takes pushes again.
    q.push(revs[0]!, 13)
    q.dropSupersededUpTo(100)
    expect(q.bytes).toBe(0)
    q.dropSupersededUpTo(200)
    q.push(revs[1]!, 201)
    expect(q.take(1e9, 1e9)).toEqual([revs[1]])
  })

  it('drops a prefix that spans many chunks, and starts from where a take stopped', () => {
    const q = new SpillQueue()
    const revs = Array.from({ length: 20_000 }, (_, i) => rev(i + 1, 1))
    revs.forEach((r, i) => q.push(r, i + 1))
    expect(q.take(1e9, 10)).toEqual(revs.slice(0, 10))
    q.dropSupersededUpTo(12_345)
    expect(q.bytes).toBe(20_000 - 12_345)
    expect(q.take(1e9, 2)).toEqual(revs.slice(12_345, 12_347))
    q.clear()
    expect(q.bytes).toBe(0)
    expect(q.take(1e9, 1e9)).toEqual([])
  })
})

describe('KeyRevision.make', () => {
  it('keeps sub, lease and tombstone whichever shape it picks', () => {
    for (const [sub, lease, tombstone] of [
      [0, '0', false],
      [3, '0', false],
      [0, '7587870385739482371', false],
      [0, '0', true],
      [2, '12', true],
    ] as const) {
      const r = KeyRevision.make('/a', Buffer.from('value'), 4, 9, sub, 2, lease, tombstone)
      expect([r.sub, r.lease, r.tombstone, r.create, r.mod, r.version, r.value.toString()]).toEqual([sub, lease, tombstone, 4, 9, 2, 'value'])
    }
    const chunk = Buffer.from('xxhelloyy')
    const part = KeyRevision.make('/b', chunk, 1, 1, 0, 1, '0', false, 2, 7)
    expect(part.value.toString()).toBe('hello')
    expect(part.valueLength).toBe(5)
  })
})
