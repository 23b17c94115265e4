// The Raft log's bytes in memory of their own (byteArena.ts, LOG_SLAB_BYTES): the arena numbers
// what it allocates, the store moves live values out of memory the log let go of
// (MvccStore.promoteLiveValues), and a member does that after each log compaction.
import { afterEach, describe, expect, it } from 'vitest'
import { ByteArena, isKept, LOG_SLAB_BYTES, MAX_SHARED_BYTES, SLAB_BYTES } from '../../../src-main/member/byteArena'
import { MvccStore, type StepResult } from '../../../src-main/member/mvcc/store'
import { ValueSpill } from '../../../src-main/member/mvcc/valueSpill'
import { MemoryCluster, until } from './memoryNetwork'
import { tempDirs } from './tempDirs'

const b = (s: string) => Buffer.from(s)

describe('ByteArena of log slabs', () => {
  it('makes slabs of the size asked for, and numbers its allocations in order', () => {
    const a = new ByteArena(LOG_SLAB_BYTES)
    const first = a.copy(Buffer.alloc(1000, 1))
    expect(first.buffer.byteLength).toBe(LOG_SLAB_BYTES)
    const copies = Array.from({ length: 200 }, (_, i) => a.copy(Buffer.alloc(1000, i)))
    const own = a.copy(Buffer.alloc(MAX_SHARED_BYTES + 1, 7))
    const orders = [first, ...copies, own].map((c) => a.orderOf(c.buffer)!)
    expect(orders[0]).toBe(0)
    // Never decreasing, one step per slab or own allocation.
    expect(orders.every((o, i) => i === 0 || o === orders[i - 1] || o === orders[i - 1]! + 1)).toBe(true)
    expect(new Set(orders).size).toBe(orders.at(-1)! + 1)
    expect(a.orderOf(new ByteArena().copy(b('elsewhere')).buffer)).toBeUndefined()
    expect(a.orderOf(Buffer.from('pooled').buffer)).toBeUndefined()
  })
})

describe('MvccStore.promoteLiveValues', () => {
  /** A store whose values come from `log` (as a member's do: the Raft log's copies of entries). */
  function fill(log: ByteArena): MvccStore {
    const s = new MvccStore()
    const put = (k: string, v: Buffer) => {
      const t = s.write()
      t.put(k, log.copy(v), '0')
      t.end()
    }
    put('/static', Buffer.alloc(500, 0x53))
    for (let i = 0; i < 600; i++) put(`/churn/${i % 20}`, Buffer.alloc(500, i % 251))
    const t = s.write()
    t.deleteRange('/churn/0', undefined)
    t.end()
    return s
  }

  it('moves live values out of released memory, leaves superseded ones and reads the same', () => {
    const log = new ByteArena(LOG_SLAB_BYTES)
    const s = fill(log)
    const live = s.range('/', '0').kvs
    const before = (at: number) => s.range('/', '0', { rev: at }).kvs.map((r) => `${r.key}@${r.mod}=${r.value.toString('hex')}`)
    const snapshots = [2, 300, s.currentRev].map(before)
    const hash = s.hashKV(0)
    const staticRev = s.get('/static')!
    const firstSlab = staticRev.memory!
    expect(log.orderOf(firstSlab)).toBe(0)
    const superseded = s.changesBetween(3, 100)
    expect(superseded.every((r) => r.memory === firstSlab)).toBe(true)

    s.promoteLiveValues((m) => log.orderOf(m) === 0)

    // The live value from the released slab moved into the store's own arena; others stayed.
    expect(staticRev.memory).not.toBe(firstSlab)
    expect(isKept(staticRev.value)).toBe(true)
    expect(staticRev.memory!.byteLength).toBe(SLAB_BYTES)
    for (const r of live) if (r !== staticRev) expect(log.orderOf(r.memory!)).toBeGreaterThan(0)
    expect(superseded.filter((r) => r.memory !== firstSlab).map((r) => `${r.key}@${r.mod}`)).toEqual([])
    // Nothing a read, a hash or the history sees changed.
    expect([2, 300, s.currentRev].map(before)).toEqual(snapshots)
    expect(s.hashKV(0)).toBe(hash)
    expect(s.get('/static')).toBe(staticRev)
  })

  it('runs in slices through the background runner, and a newer call takes over the walk', () => {
    const log = new ByteArena(LOG_SLAB_BYTES)
    const s = fill(log)
    const steps: Array<() => StepResult> = []
    s.backgroundCompaction((step) => steps.push(step))
    s.promoteLiveValues(() => false)
    s.promoteLiveValues((m) => log.orderOf(m) === 0)
    // One walk scheduled, not two.
    expect(steps).toHaveLength(1)
    expect(s.get('/static')!.memory!.byteLength).toBe(LOG_SLAB_BYTES)
    let r: StepResult
    let n = 0
    do {
      r = s.promoteStep(5)
      n++
    } while (r === 'more')
    expect(n).toBeGreaterThan(3)
    expect(s.get('/static')!.memory!.byteLength).toBe(SLAB_BYTES)
    expect(steps[0]!()).toBe('done')
  })
})

describe('promotion among every other kind of change', () => {
  const tempDir = tempDirs('raftdeck-promote-')

  it('a store that promotes answers every read, watch replay, HashKV and snapshot record as one that does not', () => {
    let x = 7
    const next = () => (x = (x * 1103515245 + 12345) % 2 ** 31)
    const log = new ByteArena(LOG_SLAB_BYTES)
    const plain = new MvccStore()
    const promoting = new MvccStore()
    const spill = new ValueSpill(tempDir(), () => {})
    promoting.spillValuesTo(spill, 16 * 1024)
    plain.spillValuesTo(new ValueSpill(tempDir(), () => {}), 16 * 1024)
    // The promoting store's walk runs a few keys at a time, between writes, as a member's does.
    const steps: Array<() => StepResult> = []
    promoting.backgroundCompaction((step) => steps.push(step))
    const runSome = () => {
      const step = steps[0]
      if (step && step() === 'done') steps.shift()
    }
    let released = 0
    let view: ReturnType<MvccStore['view']> | undefined
    for (let i = 0; i < 6000; i++) {
      const key = `/k/${next() % 300}`
      // The same bytes for both, in the log's slabs for the promoting one.
      const value = Buffer.alloc(100 + (next() % 700), i % 251)
      const op = next() % 20
      for (const s of [plain, promoting]) {
        const t = s.write()
        if (op === 0) t.deleteRange('/k/1', '/k/3')
        else if (op === 1) {
          t.put(key, s === promoting ? log.copy(value) : value, '0')
          t.put(`${key}/b`, s === promoting ? log.copy(value) : value, '42')
        } else t.put(key, s === promoting ? log.copy(value) : value, '0')
        t.end()
      }
      if (i % 2000 === 1999) {
        const at = plain.currentRev - (next() % 400)
        plain.compact(at)
        promoting.compact(at)
      }
      if (i % 300 === 299) {
        // The log lets go of another few of its oldest slabs; sometimes while a snapshot is frozen.
        released += 2
        const upTo = released
        promoting.promoteLiveValues((m) => (log.orderOf(m) ?? Infinity) < upTo)
        if (!view && next() % 2 === 0) view = promoting.view()
      }
      if (view && i % 300 === 150) {
        view.release()
        view = undefined
      }
      runSome()
    }
    view?.release()
    while (steps.length) runSome()
    while (plain.compacting) plain.compactStep(Infinity)
    expect(spill.stats.values).toBeGreaterThan(0)
    const show = (s: MvccStore, rev: number) => s.range('/', '0', { rev }).kvs.map((r) => `${r.key}@${r.mod}.${r.sub} v${r.version} l${r.lease}=${r.value.toString('hex')}`)
    for (const rev of [promoting.compactRev, Math.floor((promoting.compactRev + promoting.currentRev) / 2), promoting.currentRev]) expect(show(promoting, rev)).toEqual(show(plain, rev))
    const replay = (s: MvccStore) => s.changesBetween(s.compactRev, s.currentRev).map((r) => `${r.key}@${r.mod}.${r.sub} ${r.tombstone}=${r.value.toString('hex')}`)
    expect(replay(promoting)).toEqual(replay(plain))
    expect(promoting.hashKV(0)).toBe(plain.hashKV(0))
    const records = (s: MvccStore) => [...s.allRevisions()].map((r) => `${r.key}@${r.mod}=${r.value.toString('hex')}`)
    expect(records(promoting)).toEqual(records(plain))
    // And the live values that were in released slabs are out of them.
    const live = promoting.range('/', '0').kvs
    const stillInReleased = live.filter((r) => (log.orderOf(r.memory!) ?? Infinity) < released - 2)
    expect(live.some((r) => r.memory && log.orderOf(r.memory) === undefined)).toBe(true)
    expect(stillInReleased.map((r) => r.key)).toEqual([])
  })
})

describe('a member whose log drops its oldest entries', () => {
  let cluster: MemoryCluster | undefined
  afterEach(() => cluster?.stop())

  it('moves the live values out of the log slabs it let go of, on every member', async () => {
    cluster = new MemoryCluster(['n1', 'n2', 'n3'], ['--snapshot-count', '20', '--experimental-snapshot-catchup-entries', '5'])
    const { servers } = cluster
    const leader = await cluster.start()
    const put = (k: string, v: Buffer) => leader.propose({ put: { key: b(k), value: v, lease: '0', prev_kv: false, ignore_value: false, ignore_lease: false } })
    await put('/static', Buffer.alloc(700, 0x53))
    await until('every member to apply it', () => servers.every((s) => s.state.store.get('/static') !== undefined))
    // Applied from the log: the value is in one of the log's slabs.
    for (const s of servers) expect(s.state.store.get('/static')!.memory!.byteLength).toBe(LOG_SLAB_BYTES)
    // Enough entries for the log to drop that slab's (20 entries a snapshot, 5 kept behind).
    for (let i = 0; i < 400; i++) await put(`/churn/${i % 10}`, Buffer.alloc(700, i % 251))
    await until('every member to move /static out of the log slab', () => servers.every((s) => s.state.store.get('/static')!.memory!.byteLength === SLAB_BYTES), 10_000)
    for (const s of servers) expect(s.state.store.get('/static')!.value.equals(Buffer.alloc(700, 0x53))).toBe(true)
  })
})
