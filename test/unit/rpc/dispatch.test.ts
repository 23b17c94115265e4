import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createDispatcher } from '../../../src-main/rpc/dispatch'
import type { HostMessage } from '../../../src-main/shared'
import type { LogBus, Services } from '../../../src-main/services'
import { Inbox, realServices } from './support'

describe('dispatcher', () => {
  let services: Services
  let log: LogBus
  let cleanup: () => Promise<void>
  beforeEach(() => ({ services, log, cleanup } = realServices()))
  afterEach(() => cleanup())

  it('runs a method and wraps its value in an ok envelope', async () => {
    const inbox = new Inbox()
    const conn = createDispatcher(services).connect(inbox.push)
    await conn.handle({ t: 'call', id: 1, method: 'app/info', params: {} })
    const m = await inbox.next((x) => x.t === 'result' && x.id === 1)
    expect(m).toMatchObject({ t: 'result', id: 1, result: { ok: true, value: { name: 'Raftdeck', shell: 'browser', version: '0.0.0-test' } } })
  })

  it('refuses unknown methods and invalid parameters without running anything', async () => {
    const inbox = new Inbox()
    const conn = createDispatcher(services).connect(inbox.push)
    await conn.handle({ t: 'call', id: 1, method: 'app/nope', params: {} })
    await conn.handle({ t: 'call', id: 2, method: 'app/recentLogs', params: { limit: 'ten' } })
    await conn.handle({ t: 'call', id: 3, method: 'app/recentLogs', params: { limit: 10, extra: true } })
    await conn.handle({ t: 'call', id: 4, method: 'app/recentLogs', params: { limit: 0 } })
    const errors = inbox.messages.map((m) => (m.t === 'result' && !m.result.ok ? [m.id, m.result.error.code, m.result.error.message] : null))
    expect(errors).toEqual([
      [1, 'UNKNOWN_METHOD', "Unknown method 'app/nope'"],
      [2, 'INVALID_PARAMS', 'Invalid parameters: limit: expected number, got string'],
      [3, 'INVALID_PARAMS', 'Invalid parameters: extra: unknown field'],
      [4, 'INVALID_PARAMS', 'Invalid parameters: limit: must be ≥ 1'],
    ])
  })

  it('drops malformed messages instead of crashing', async () => {
    const inbox = new Inbox()
    const conn = createDispatcher(services).connect(inbox.push)
    for (const bad of [null, 42, 'x', { t: 'call' }, { t: 'call', id: -1, method: 'app/info' }, { t: 'evil', id: 1 }]) await conn.handle(bad)
    expect(inbox.messages).toEqual([])
    await conn.handle({ t: 'call', id: 9, method: 'app/info' })
    expect(inbox.messages).toHaveLength(1)
  })

  it('delivers stream events until unsubscribed, then releases the listener', async () => {
    const inbox = new Inbox()
    const conn = createDispatcher(services).connect(inbox.push)
    const before = log.listenerCount
    await conn.handle({ t: 'sub', id: 5, stream: 'app/onLog', params: { minLevel: 'warn' } })
    expect(log.listenerCount).toBe(before + 1)
    log.write('info', 'test', 'filtered out')
    log.write('warn', 'test', 'delivered')
    const ev = (await inbox.next((m) => m.t === 'event')) as Extract<HostMessage, { t: 'event' }>
    expect(ev).toMatchObject({ id: 5, payload: { level: 'warn', message: 'delivered' } })
    expect(inbox.messages.filter((m) => m.t === 'event')).toHaveLength(1)

    await conn.handle({ t: 'unsub', id: 5 })
    expect(await inbox.next((m) => m.t === 'end')).toEqual({ t: 'end', id: 5, result: { ok: true, value: null } })
    expect(log.listenerCount).toBe(before)
    log.write('error', 'test', 'after unsubscribe')
    expect(inbox.messages.filter((m) => m.t === 'event')).toHaveLength(1)
  })

  it('closing a connection stops all its subscriptions and sends nothing more', async () => {
    const inbox = new Inbox()
    const conn = createDispatcher(services).connect(inbox.push)
    const before = log.listenerCount
    for (const id of [1, 2, 3]) await conn.handle({ t: 'sub', id, stream: 'app/onLog', params: {} })
    expect(conn.liveSubscriptions).toBe(3)
    expect(log.listenerCount).toBe(before + 3)
    const sent = inbox.messages.length
    conn.close()
    expect(conn.liveSubscriptions).toBe(0)
    expect(log.listenerCount).toBe(before)
    log.write('info', 'test', 'nobody listens')
    await conn.handle({ t: 'call', id: 7, method: 'app/info', params: {} })
    expect(inbox.messages.length).toBe(sent)
  })

  it('refuses a duplicate subscription id and enforces the per-connection limit', async () => {
    const inbox = new Inbox()
    const conn = createDispatcher(services, { maxSubscriptionsPerConnection: 2 }).connect(inbox.push)
    await conn.handle({ t: 'sub', id: 1, stream: 'app/onLog', params: {} })
    await conn.handle({ t: 'sub', id: 1, stream: 'app/onLog', params: {} })
    await conn.handle({ t: 'sub', id: 2, stream: 'app/onLog', params: {} })
    await conn.handle({ t: 'sub', id: 3, stream: 'app/onLog', params: {} })
    await conn.handle({ t: 'sub', id: 4, stream: 'app/nope', params: {} })
    const ends = inbox.messages.filter((m) => m.t === 'end').map((m) => (m.t === 'end' && !m.result.ok ? [m.id, m.result.error.code] : null))
    expect(ends).toEqual([
      [1, 'INVALID_PARAMS'],
      [3, 'RESOURCE_EXHAUSTED'],
      [4, 'UNKNOWN_METHOD'],
    ])
    // The original subscription 1 survived the duplicate attempt.
    expect(conn.liveSubscriptions).toBe(2)
  })

  it('turns unexpected exceptions into INTERNAL errors without leaking the stack', async () => {
    const inbox = new Inbox()
    const broken: Services = { ...services, handlers: { ...services.handlers, 'app/info': async () => { throw new Error('boom') } } }
    const conn = createDispatcher(broken).connect(inbox.push)
    await conn.handle({ t: 'call', id: 1, method: 'app/info', params: {} })
    const m = inbox.messages[0]
    expect(m?.t === 'result' && !m.result.ok && m.result.error).toMatchObject({ code: 'INTERNAL', message: 'Unexpected error: boom' })
    expect(JSON.stringify(m)).not.toContain('dispatch.ts')
  })
})

describe('service log', () => {
  it('keeps info and above even when debug lines flood the ring', async () => {
    const { LogBus } = await import('../../../src-main/services/log')
    const log = new LogBus(100)
    log.write('info', 'app', 'services started')
    for (let i = 0; i < 1000; i++) log.write('debug', 'playground/p/n1', `line ${i}`)
    log.write('warn', 'app', 'something odd')
    expect(log.recent(10, 'info').map((e) => e.message)).toEqual(['services started', 'something odd'])
    expect(log.recent(10, 'warn').map((e) => e.message)).toEqual(['something odd'])
    expect(log.recent(3).map((e) => e.message)).toEqual(['line 998', 'line 999', 'something odd'])
  })
})
