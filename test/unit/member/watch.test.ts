import { describe, expect, it } from 'vitest'
import { MvccStore } from '../../../src-main/member/mvcc/store'
import { WatchStream, type WatchCreateRequest, type WatchResponse } from '../../../src-main/member/watch/watchStream'

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

function setup(maxResponseBytes = 1 << 20) {
  const store = new MvccStore()
  const sent: WatchResponse[] = []
  const ws = new WatchStream({
    store,
    header: (rev) => ({ cluster_id: '1', member_id: '2', revision: String(rev), raft_term: '1' }),
    send: (r, written) => {
      sent.push(r)
      written()
    },
    maxResponseBytes,
    progressIntervalMs: 60_000,
  })
  const put = (k: string, v: string) => {
    const t = store.write()
    t.put(k, b(v), '0')
    t.end()
  }
  const del = (k: string) => {
    const t = store.write()
    t.deleteRange(k, undefined)
    t.end()
  }
  const events = (id: string) => sent.filter((r) => r.watch_id === id && r.events).flatMap((r) => r.events!.map((e) => `${e.type} ${e.kv.key.toString()}=${e.kv.value.toString()}${e.prev_kv ? ` prev=${e.prev_kv.value.toString()}` : ''}`))
  return { store, ws, sent, put, del, events }
}

describe('watch stream', () => {
  it('multiplexes watchers, replays from a start revision and attaches prev_kv', () => {
    const s = setup()
    s.put('a', '1')
    s.put('a', '2')
    s.ws.handle({ create_request: create('a', { start_revision: '2', prev_kv: true }) })
    s.ws.handle({ create_request: create('b') })
    expect(s.sent.filter((r) => r.created).map((r) => r.watch_id)).toEqual(['0', '1'])
    s.put('b', 'x')
    s.del('a')
    expect(s.events('0')).toEqual(['PUT a=1', 'PUT a=2 prev=1', 'DELETE a= prev=2'])
    expect(s.events('1')).toEqual(['PUT b=x'])
    s.ws.close()
  })

  it('filters NOPUT / NODELETE and watches prefixes', () => {
    const s = setup()
    s.ws.handle({ create_request: create('p/', { range_end: b('p0'), filters: ['NOPUT'] }) })
    s.put('p/1', 'a')
    s.del('p/1')
    s.put('q', 'z')
    expect(s.events('0')).toEqual(['DELETE p/1='])
    s.ws.close()
  })

  it('cancels a watcher whose start revision was compacted, with the compact revision', () => {
    const s = setup()
    for (let i = 0; i < 5; i++) s.put('k', String(i))
    s.store.compact(4)
    s.ws.handle({ create_request: create('k', { start_revision: '2' }) })
    const cancel = s.sent.find((r) => r.canceled)!
    expect(cancel).toMatchObject({ watch_id: '0', compact_revision: '4', canceled: true })
    s.ws.handle({ create_request: create('k', { start_revision: '4' }) })
    expect(s.events('1')).toEqual(['PUT k=2', 'PUT k=3', 'PUT k=4'])
    s.ws.close()
  })

  it('answers progress requests and explicit cancels, and refuses duplicate IDs', () => {
    const s = setup()
    s.ws.handle({ create_request: create('k', { watch_id: '7' }) })
    s.ws.handle({ create_request: create('k', { watch_id: '7' }) })
    expect(s.sent[1]).toMatchObject({ created: true, canceled: true })
    s.ws.handle({ progress_request: {} })
    expect(s.sent[2]).toMatchObject({ watch_id: '-1', header: { revision: '1' } })
    s.ws.handle({ cancel_request: { watch_id: '7' } })
    expect(s.sent[3]).toMatchObject({ watch_id: '7', canceled: true })
    s.put('k', 'after')
    expect(s.events('7')).toEqual([])
    s.ws.close()
  })

  it('fragments a large batch when the watcher allows it', () => {
    const s = setup(300)
    s.ws.handle({ create_request: create('f', { range_end: b('g'), fragment: true }) })
    const t = s.store.write()
    for (let i = 0; i < 6; i++) t.put(`f${i}`, Buffer.alloc(100, 120), '0')
    t.end()
    const parts = s.sent.filter((r) => r.events)
    expect(parts.length).toBeGreaterThan(1)
    expect(parts.slice(0, -1).every((r) => r.fragment)).toBe(true)
    expect(parts[parts.length - 1]!.fragment).toBeFalsy()
    expect(parts.flatMap((r) => r.events!).length).toBe(6)
    s.ws.close()
  })
})
