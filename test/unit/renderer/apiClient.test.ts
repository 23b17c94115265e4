// The renderer's API client over a stand-in transport: calls made before the link is open wait for it,
// subscriptions are opened exactly once per connection, and a dropped link fails pending calls and
// re-opens live subscriptions when it comes back.
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
})
