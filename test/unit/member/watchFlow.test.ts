// Watchers under pressure: a client that does not read gets no more than its queue's worth of
// responses, catches up in batches once it reads, is cancelled with the compaction revision if it
// lagged past a compaction; a snapshot installed from the leader does not lose events for
// watchers on a follower.
import { afterEach, describe, expect, it } from 'vitest'
import { MvccStore } from '../../../src-main/member/mvcc/store'
import { CATCH_UP_MAX_REVISIONS, WatchBudget, WatchStream, type WatchCreateRequest, type WatchResponse } from '../../../src-main/member/watch/watchStream'
import { MemoryCluster, until } from './memoryNetwork'

const b = (s: string) => Buffer.from(s)
const create = (key: string, extra: Partial<WatchCreateRequest> = {}): WatchCreateRequest => ({
  key: b(key),
  range_end: Buffer.alloc(0),
  start_revision: '0',
  progress_notify: false,
  filters: [],
  prev_kv: false,
  watch_id: '0',
  fragment: false,
  ...extra,
})

/** A watch stream whose client reads only when told to (`read()`), like a stuck then recovering client. */
function slowClient(store: MvccStore, opts: { streamQueueBytes?: number; budget?: WatchBudget } = {}) {
  const sent: WatchResponse[] = []
  const unread: Array<() => void> = []
  const ws = new WatchStream({
    store,
    header: (rev) => ({ cluster_id: '1', member_id: '2', revision: String(rev), raft_term: '1' }),
    send: (r, written) => {
      sent.push(r)
      unread.push(written)
    },
    maxResponseBytes: 1 << 20,
    progressIntervalMs: 60_000,
    ...opts,
  })
  const read = () => {
    for (const w of unread.splice(0)) w()
  }
  const events = () => sent.flatMap((r) => (r.events ?? []).map((e) => `${e.kv.key.toString()}@${e.kv.mod_revision}`))
  return { ws, sent, unread, read, events }
}

function put(store: MvccStore, k: string, v: string | Buffer): void {
  const t = store.write()
  t.put(k, typeof v === 'string' ? b(v) : v, '0')
  t.end()
}

const tick = () => new Promise((r) => setImmediate(r))

describe('a watcher whose client does not read', () => {
  it('gets no more than its queue bound, then catches up in batches of at most 1,000 revisions once the client reads', async () => {
    const store = new MvccStore()
    const c = slowClient(store, { streamQueueBytes: 8 * 1024 })
    c.ws.handle({ create_request: create('k', { range_end: b('l') }) })
    const value = Buffer.alloc(1024, 97)
    for (let i = 0; i < 5000; i++) put(store, `k${i % 50}`, value)
    // 5,000 revisions of 1 kB each were applied; the stuck stream holds a handful of responses.
    expect(c.sent.length).toBeLessThan(20)
    expect(c.ws.queuedBytes).toBeLessThan(8 * 1024 + 2 * 1024)
    expect(c.ws.lagging).toBe(1)
    // The client reads again: the rest arrives from the history, in order, each revision once.
    for (let round = 0; round < 200 && c.ws.lagging > 0; round++) {
      c.read()
      await tick()
    }
    c.read()
    expect(c.ws.lagging).toBe(0)
    const revs = c.events().map((e) => Number(e.split('@')[1]))
    expect(revs).toEqual(Array.from({ length: 5000 }, (_, i) => i + 2))
    for (const r of c.sent) if (r.events) expect(new Set(r.events.map((e) => e.kv.mod_revision)).size).toBeLessThanOrEqual(CATCH_UP_MAX_REVISIONS)
    // Synced again: new revisions go out as they are applied.
    put(store, 'k0', 'live')
    expect(c.events().at(-1)).toBe('k0@5002')
    c.ws.close()
  })

  it('is cancelled with the compaction revision when the history it lagged on is compacted', async () => {
    const store = new MvccStore()
    const c = slowClient(store, { streamQueueBytes: 2 * 1024 })
    c.ws.handle({ create_request: create('k', { range_end: b('l') }) })
    for (let i = 0; i < 200; i++) put(store, 'k', Buffer.alloc(512, 98))
    expect(c.ws.lagging).toBe(1)
    store.compact(150)
    c.read()
    await tick()
    c.read()
    const cancel = c.sent.find((r) => r.canceled)
    expect(cancel).toMatchObject({ canceled: true, compact_revision: '150' })
    expect(c.ws.size).toBe(0)
    c.ws.close()
  })

  it('all streams of a member share one bound: a thousand stuck watchers hold no more than the member budget', () => {
    const store = new MvccStore()
    const budget = new WatchBudget(64 * 1024)
    const streams = Array.from({ length: 100 }, () => slowClient(store, { budget }))
    for (const s of streams) for (let i = 0; i < 10; i++) s.ws.handle({ create_request: create('k', { range_end: b('l') }) })
    for (let i = 0; i < 300; i++) put(store, `k${i}`, Buffer.alloc(1024, 99))
    // One response per stream may always be outstanding; beyond the budget nothing more is queued.
    expect(budget.queued).toBeLessThan(64 * 1024 + 100 * 2 * 1024)
    expect(streams.reduce((n, s) => n + s.ws.lagging, 0)).toBeGreaterThan(900)
    for (const s of streams) s.ws.close()
    expect(budget.queued).toBe(0)
  })
})

describe('a follower that installs a snapshot from the leader', () => {
  let cluster: MemoryCluster | undefined
  afterEach(() => cluster?.stop())

  it('delivers to its watchers every event the snapshot covers (or cancels them if it was compacted)', async () => {
    const logs = new Map<string, string[]>()
    cluster = new MemoryCluster(['n1', 'n2', 'n3'], ['--snapshot-count', '20', '--experimental-snapshot-catchup-entries', '5'], (name, line) => {
      if (!logs.has(name)) logs.set(name, [])
      logs.get(name)!.push(line)
    })
    const { servers, net } = cluster
    const lead = await cluster.start()
    const follower = servers.find((s) => s !== lead)!
    const others = servers.filter((s) => s !== follower).map((s) => s.localId)
    const putKey = (k: string, v: string) => lead.propose({ put: { key: b(k), value: b(v), lease: '0', prev_kv: false, ignore_value: false, ignore_lease: false } })

    await putKey('w/0', 'before')
    await until('the follower to apply', () => follower.state.appliedIndex >= lead.state.appliedIndex)
    const c = slowClient(follower.state.store)
    c.ws.handle({ create_request: create('w/', { range_end: b('w0'), prev_kv: true }) })
    const watchedFrom = follower.state.store.currentRev + 1

    // Cut the follower off while the leader writes enough to snapshot and compact its log.
    net.isolate(follower.localId, others)
    for (let i = 1; i <= 60; i++) await putKey(`w/${i % 7}`, `v${i}`)
    net.heal()
    await until('the follower to catch up', () => follower.state.appliedIndex >= lead.state.appliedIndex, 10_000)
    // It caught up from a snapshot (the leader's log no longer held what it missed).
    expect((logs.get(follower.cfg.name) ?? []).join('\n')).toMatch(/applied snapshot at index \d+ from the leader/)
    await until('the watcher to catch up', () => {
      c.read()
      return c.ws.lagging === 0 && c.events().length >= 60
    })
    const revs = c.events().map((e) => Number(e.split('@')[1]))
    const want = lead.state.store.changesBetween(watchedFrom, lead.state.store.currentRev).map((kv) => kv.mod)
    expect(revs).toEqual(want)
    expect(revs).toHaveLength(60)
    c.ws.close()
  })
})
