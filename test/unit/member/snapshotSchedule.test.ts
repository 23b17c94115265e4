// What a member's own snapshot costs the others: each member snapshots at its own phase of the
// --snapshot-count cycle (nextSnapshotAt), spilled values are read a block at a time while the
// history is encoded (SpillReader), and the file writer's chunks share one buffer (reuse).
import { afterEach, describe, expect, it } from 'vitest'
import { KeyRevision } from '../../../src-main/member/mvcc/types'
import { SpillReader, ValueSpill } from '../../../src-main/member/mvcc/valueSpill'
import { nextSnapshotAt } from '../../../src-main/member/server/raftNode'
import { encodeRecordChunks, type Header } from '../../../src-main/member/server/stateCodec'
import { MemoryCluster, until } from './memoryNetwork'
import { tempDirs } from './tempDirs'

const tempDir = tempDirs('raftdeck-snapsched-')
let cluster: MemoryCluster | undefined
afterEach(async () => {
  await cluster?.stop()
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

describe('SpillReader', () => {
  const revs = (n: number, size: (i: number) => number) =>
    Array.from({ length: n }, (_, i) => KeyRevision.make(`/k${i}`, Buffer.alloc(size(i), i % 251), i + 1, i + 1, 0, 1, '0', false))

  it('copies the same bytes as a read of each value, across block edges and for large values', () => {
    const spill = new ValueSpill(tempDir(), () => {})
    // 1,000 bytes each, with a few values larger than half a block among them.
    const rs = revs(2_000, (i) => (i % 500 === 7 ? 100_000 : 1_000 + (i % 13)))
    const expected = rs.map((r) => Buffer.from(r.value))
    for (let i = 0; i < rs.length; i += 100) spill.spill(rs.slice(i, i + 100))
    expect(rs.every((r) => r.spilled)).toBe(true)
    const reader = new SpillReader()
    const out = Buffer.alloc(200_000)
    rs.forEach((r, i) => {
      out.fill(0xee)
      const n = r.copyValueTo(out, 17, reader)
      expect(n).toBe(expected[i]!.length)
      expect(out.subarray(17, 17 + n).equals(expected[i]!)).toBe(true)
      // Nothing written beyond the value.
      expect(out[17 + n]).toBe(0xee)
    })
    // About two million bytes: a read per 128 KiB block and per large value, not one per value.
    expect(reader.reads).toBeLessThan(40)
  })

  it('reads a block again when the file grew past what was read of it', () => {
    const spill = new ValueSpill(tempDir(), () => {})
    const first = revs(3, () => 500)
    spill.spill(first)
    const reader = new SpillReader()
    const out = Buffer.alloc(600)
    first[2]!.copyValueTo(out, 0, reader)
    // Appended to the same file (and block) after the reader read its short end.
    const more = [0, 1, 2].map((i) => KeyRevision.make(`/m${i}`, Buffer.alloc(400, 200 + i), 10 + i, 10 + i, 0, 1, '0', false))
    spill.spill(more)
    expect(more[2]!.copyValueTo(out, 0, reader)).toBe(400)
    expect(out.subarray(0, 400).equals(Buffer.alloc(400, 202))).toBe(true)
    // A value still in memory is copied from there.
    const inMemory = KeyRevision.make('/x', Buffer.from('in memory'), 20, 20, 0, 1, '0', false)
    expect(inMemory.copyValueTo(out, 3, reader)).toBe(9)
    expect(out.subarray(3, 12).toString()).toBe('in memory')
  })
})

describe('encodeRecordChunks with reuse', () => {
  const header = { appliedIndex: 1, appliedTerm: 1, currentRev: 0, compactRev: 0, everCompacted: false, leases: [], cluster: { members: [] }, alarms: [], auth: {}, clusterVersion: '' } as unknown as Header
  const records = () => Array.from({ length: 5_000 }, (_, i) => KeyRevision.make(`/key/${i}`, Buffer.alloc(300, i % 256), i + 1, i + 1, 0, 1, '0', false))

  it('writes the same bytes as without, from one buffer', () => {
    const fresh = Buffer.concat([...encodeRecordChunks(header, records(), () => 5_000)])
    const copies: Buffer[] = []
    const memories = new Set<ArrayBufferLike>()
    // Each chunk is consumed before the next is pulled, as the snapshot file writer does.
    for (const c of encodeRecordChunks(header, records(), () => 5_000, true)) {
      copies.push(Buffer.from(c))
      if (c.length) memories.add(c.buffer)
    }
    expect(copies.length).toBeGreaterThan(4)
    expect(Buffer.concat(copies).equals(fresh)).toBe(true)
    // The first buffer also holds the header; every later chunk is written into one.
    expect(memories.size).toBeLessThanOrEqual(2)
  })
})
