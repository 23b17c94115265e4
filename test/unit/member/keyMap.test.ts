import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { KeyMap } from '../../../src-main/member/mvcc/keyMap'

describe('KeyMap', () => {
  it('answers get, has, size and values exactly as a Map does, whatever the operations', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('set', 'delete'), fc.string({ maxLength: 6 }), fc.integer()), { maxLength: 300 }),
        (ops) => {
          const ours = new KeyMap<number>()
          const ref = new Map<string, number>()
          for (const [op, k, v] of ops) {
            if (op === 'set') {
              ours.set(k, v)
              ref.set(k, v)
            } else expect(ours.delete(k)).toBe(ref.delete(k))
            expect(ours.size).toBe(ref.size)
          }
          for (const [k, v] of ref) {
            expect(ours.get(k)).toBe(v)
            expect(ours.has(k)).toBe(true)
          }
          expect(ours.get('not there at all')).toBeUndefined()
          expect([...ours.values()].sort((a, b) => a - b)).toEqual([...ref.values()].sort((a, b) => a - b))
        },
      ),
    )
  })

  it('spreads Kubernetes-shaped keys evenly, so no one shard grows like the whole map', () => {
    const m = new KeyMap<number>()
    const kinds = ['pods', 'configmaps', 'secrets', 'events', 'leases']
    let n = 0
    for (const kind of kinds) for (let ns = 0; ns < 20; ns++) for (let i = 0; i < 640; i++) m.set(`/registry/${kind}/ns-${ns}/app-${i}-7f9c6d${kind === 'events' ? `.17a${i}` : ''}`, n++)
    const shards = (m as unknown as { shards: Array<Map<string, number>> }).shards
    const mean = n / shards.length
    expect(m.size).toBe(n)
    // Hashing only the ends and the middle put 253,344 of 300,000 such keys in one shard.
    expect(Math.max(...shards.map((s) => s.size))).toBeLessThan(mean * 1.5)
    expect(Math.min(...shards.map((s) => s.size))).toBeGreaterThan(mean * 0.5)
  })
})
