import { describe, expect, it } from 'vitest'
import { Inflights } from '../../../src-main/raft/inflights'

describe('Inflights', () => {
  it('fills up to its capacity and frees cumulatively', () => {
    const f = new Inflights(3, 0)
    f.add(10, 1)
    f.add(20, 1)
    f.add(30, 1)
    expect(f.full()).toBe(true)
    expect(() => f.add(40, 1)).toThrow()
    f.freeLE(20)
    expect(f.size()).toBe(1)
    expect(f.full()).toBe(false)
    f.freeLE(5) // stale ack: nothing to free
    expect(f.size()).toBe(1)
  })

  it('wraps around the ring', () => {
    const f = new Inflights(4, 0)
    for (let round = 0; round < 5; round++) {
      const base = round * 100
      f.add(base + 1, 1)
      f.add(base + 2, 1)
      f.add(base + 3, 1)
      f.freeLE(base + 2)
      expect(f.size()).toBe(1)
      f.freeLE(base + 3)
      expect(f.size()).toBe(0)
    }
  })

  it('is full when the byte budget is used, even with free slots', () => {
    const f = new Inflights(10, 100)
    f.add(1, 60)
    expect(f.full()).toBe(false)
    f.add(2, 50)
    expect(f.full()).toBe(true)
    f.freeLE(1)
    expect(f.full()).toBe(false)
  })

  it('freeFirstOne releases exactly the oldest message', () => {
    const f = new Inflights(2, 0)
    f.add(5, 1)
    f.add(6, 1)
    f.freeFirstOne()
    expect(f.size()).toBe(1)
    expect(f.full()).toBe(false)
  })
})
