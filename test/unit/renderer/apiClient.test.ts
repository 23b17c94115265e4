// The renderer's API client over a stand-in transport: calls made before the link is open wait for it,
// subscriptions are opened exactly once per connection, a dropped link fails pending calls and re-opens
// live subscriptions when it comes back, and an aborted call sends 'cancel' but resolves with the host's
// answer.
import { describe, expect, it } from 'vitest'
import { ApiClient } from '../../../src-renderer/src/api/client'
import type { Transport, TransportState } from '../../../src-renderer/src/api/transport'
import type { ClientMessage, HostMessage } from '../../../src-main/shared'

class FakeTransport implements Transport {
  readonly kind = 'websocket' as const
  state: TransportState = 'connecting'
  sent: ClientMessage[] = []
  private messageListeners: ((m: HostMessage) => void)[] = []
  private stateListeners: ((s: TransportState) => void)[] = []
  send(msg: ClientMessage) {
    if (this.state !== 'open') throw new Error('sent while not open')
    this.sent.push(msg)
  }
  onMessage(l: (m: HostMessage) => void) {
    this.messageListeners.push(l)
  }
  onState(l: (s: TransportState) => void) {
    this.stateListeners.push(l)
  }
  setState(s: TransportState) {
    this.state = s
    this.stateListeners.forEach((l) => l(s))
  }
  deliver(m: HostMessage) {
    this.messageListeners.forEach((l) => l(m))
  }
}

describe('ApiClient', () => {
  it('holds calls and subscriptions until the link opens, then sends each once', async () => {
    const t = new FakeTransport()
    const c = new ApiClient(t)
    const pending = c.call('app/info', {})
    const events: unknown[] = []
    c.subscribe('app/onLog', {}, (e) => events.push(e))
    expect(t.sent).toEqual([])
    t.setState('open')
    expect(t.sent.map((m) => m.t).sort()).toEqual(['call', 'sub'])
    const call = t.sent.find((m) => m.t === 'call')!
    t.deliver({ t: 'result', id: call.id, result: { ok: true, value: { name: 'Raftdeck' } } })
    expect(await pending).toEqual({ ok: true, value: { name: 'Raftdeck' } })
    const sub = t.sent.find((m) => m.t === 'sub')!
    t.deliver({ t: 'event', id: sub.id, payload: { message: 'hi' } })
    expect(events).toEqual([{ message: 'hi' }])
  })

  it('fails calls in flight when the link drops and re-opens subscriptions when it returns', async () => {
    const t = new FakeTransport()
    t.state = 'open'
    const c = new ApiClient(t)
    const inFlight = c.call('app/info', {})
    c.subscribe('app/onLog', {}, () => {})
    t.setState('closed')
    expect(await inFlight).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } })
    t.sent = []
    t.setState('open')
    expect(t.sent.map((m) => m.t)).toEqual(['sub'])
  })

  it('stops a subscription once, and forgets one the host ended', () => {
    const t = new FakeTransport()
    t.state = 'open'
    const c = new ApiClient(t)
    let ended: unknown = 'not yet'
    const stop = c.subscribe('app/onLog', {}, () => {})
    const other = c.subscribe('app/onLog', {}, () => {}, (err) => (ended = err))
    stop()
    stop()
    expect(t.sent.filter((m) => m.t === 'unsub')).toHaveLength(1)
    const otherId = t.sent.filter((m) => m.t === 'sub')[1]!.id
    t.deliver({ t: 'end', id: otherId, result: { ok: false, error: { code: 'RESOURCE_EXHAUSTED', message: 'too many' } } })
    expect(ended).toEqual({ code: 'RESOURCE_EXHAUSTED', message: 'too many' })
    expect(c.liveSubscriptions).toBe(0)
    other()
    expect(t.sent.filter((m) => m.t === 'unsub')).toHaveLength(1)
  })

  it("aborting a call sends 'cancel' once and resolves with the host's answer, progress until then", async () => {
    const t = new FakeTransport()
    t.state = 'open'
    const c = new ApiClient(t)
    const ac = new AbortController()
    const seen: number[] = []
    const pending = c.call('keys/export', { target: { kind: 'connection', id: 'x' }, prefix: '' }, { signal: ac.signal, onProgress: (p) => seen.push(p.done) })
    const id = t.sent[0]!.id
    t.deliver({ t: 'progress', id, progress: { done: 5, total: 10, unit: 'keys' } })
    ac.abort()
    ac.abort()
    expect(t.sent.filter((m) => m.t === 'cancel')).toEqual([{ t: 'cancel', id }])
    // Still pending: the host says what happened.
    t.deliver({ t: 'progress', id, progress: { done: 6, total: 10, unit: 'keys' } })
    t.deliver({ t: 'result', id, result: { ok: false, error: { code: 'CANCELLED', message: 'Cancelled. 6 keys read.' } } })
    expect(await pending).toEqual({ ok: false, error: { code: 'CANCELLED', message: 'Cancelled. 6 keys read.' } })
    expect(seen).toEqual([5, 6])
    expect(c.pendingCalls).toBe(0)
  })

  it('a call aborted before it was sent is settled here and never sent', async () => {
    const t = new FakeTransport()
    const c = new ApiClient(t)
    const ac = new AbortController()
    const pending = c.call('app/info', {}, { signal: ac.signal })
    ac.abort()
    expect(await pending).toMatchObject({ ok: false, error: { code: 'CANCELLED' } })
    t.setState('open')
    expect(t.sent).toEqual([])
    const already = new AbortController()
    already.abort()
    expect(await c.call('app/info', {}, { signal: already.signal })).toMatchObject({ ok: false, error: { code: 'CANCELLED' } })
    expect(t.sent).toEqual([])
  })

  it('an abort after the result does nothing', async () => {
    const t = new FakeTransport()
    t.state = 'open'
    const c = new ApiClient(t)
    const ac = new AbortController()
    const pending = c.call('app/info', {}, { signal: ac.signal })
    t.deliver({ t: 'result', id: t.sent[0]!.id, result: { ok: true, value: { name: 'Raftdeck' } } })
    expect(await pending).toEqual({ ok: true, value: { name: 'Raftdeck' } })
    ac.abort()
    expect(t.sent.map((m) => m.t)).toEqual(['call'])
  })
})
