// What a member's own snapshot costs the others: each member snapshots at its own phase of the
// --snapshot-count cycle (nextSnapshotAt).
import { afterEach, describe, expect, it } from 'vitest'
import { nextSnapshotAt } from '../../../src-main/member/server/raftNode'
import { MemoryCluster, until } from './memoryNetwork'

let cluster: MemoryCluster | undefined
afterEach(() => {
  cluster?.stop()
  cluster = undefined
})

describe('nextSnapshotAt', () => {
  it('keeps each member at its own phase of the cycle, never more than a cycle after its last snapshot', () => {
    const count = 100_000
    for (let members = 1; members <= 5; members++) {
      const firsts: number[] = []
      for (let rank = 0; rank < members; rank++) {
        let last = 0
        const taken: number[] = []
        for (let i = 0; i < 6; i++) {
          const next = nextSnapshotAt(last, count, rank, members)
          expect(next - last).toBeLessThanOrEqual(count)
          expect(next - last).toBeGreaterThanOrEqual(count / 4)
          taken.push(next)
          last = next
        }
        firsts.push(taken[0]!)
        // From the second on, exactly a cycle apart, at the member's phase.
        for (let i = 2; i < taken.length; i++) expect(taken[i]! - taken[i - 1]!).toBe(count)
        expect(taken[2]! % count).toBe(Math.floor((rank * count) / members))
      }
      // No two members of one cluster at the same point of the cycle.
      expect(new Set(firsts.map((f) => f % count)).size).toBe(members)
    }
  })

  it('comes back into phase after a snapshot at any index (one from the leader, a restart)', () => {
    for (const last of [0, 1, 33_333, 50_000, 74_999, 123_457, 999_999]) {
      const a = nextSnapshotAt(last, 100_000, 1, 3)
      expect(a - last).toBeGreaterThanOrEqual(25_000)
      expect(a - last).toBeLessThanOrEqual(100_000)
      const b = nextSnapshotAt(a, 100_000, 1, 3)
      expect(b - a).toBeLessThanOrEqual(100_000)
      expect(a % 100_000 === 33_333 || b % 100_000 === 33_333).toBe(true)
    }
  })

  it('takes a snapshot after every entry with --snapshot-count 1', () => {
    for (let rank = 0; rank < 3; rank++) expect(nextSnapshotAt(41, 1, rank, 3)).toBe(42)
  })

  it('three members save their snapshots at different indexes', async () => {
    const saved = new Map<string, number[]>()
    cluster = new MemoryCluster(['n1', 'n2', 'n3'], ['--snapshot-count', '30'], (name, line) => {
      const m = /saved snapshot at index (\d+)/.exec(line)
      if (m) saved.set(name, [...(saved.get(name) ?? []), Number(m[1])])
    })
    const leader = await cluster.start()
    for (let i = 0; i < 200; i++) await leader.propose({ put: { key: Buffer.from(`/k${i % 7}`), value: Buffer.from(`v${i}`), lease: '0', prev_kv: false, ignore_value: false, ignore_lease: false } })
    await until('three snapshots on every member', () => [...saved.values()].filter((s) => s.length >= 3).length === 3, 10_000)
    const lists = [...saved.values()]
    for (const l of lists) for (let i = 1; i < l.length; i++) expect(l[i]! - l[i - 1]!).toBeLessThanOrEqual(30)
    // Past the first snapshot every member is at its own phase: no index is saved by two members.
    const later = lists.flatMap((l) => l.slice(1))
    expect(new Set(later).size).toBe(later.length)
    expect(new Set(lists.map((l) => l[2]! % 30)).size).toBe(3)
  })
})
