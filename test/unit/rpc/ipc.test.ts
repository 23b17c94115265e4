// The Electron IPC adapter, driven by stand-ins for ipcMain and webContents (no Electron binary): the
// same protocol as the WebSocket host, frames checked, and subscriptions cleaned up with the page.
import { EventEmitter } from 'node:events'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { attachIpc } from '../../../src-main/rpc/ipc'
import { createDispatcher } from '../../../src-main/rpc/dispatch'
import { IPC_CHANNEL_EVENT, IPC_CHANNEL_RPC, type HostMessage } from '../../../src-main/shared'
import type { LogBus, Services } from '../../../src-main/services'
import type { CallContext } from '../../../src-main/services/types'
import { realServices } from './support'

const APP_URL = 'file:///opt/raftdeck/out/renderer/index.html'

class FakeWebContents extends EventEmitter {
  destroyed = false
  readonly sent: HostMessage[] = []
  constructor(readonly id: number) {
    super()
  }
  isDestroyed() {
    return this.destroyed
  }
  send(channel: string, m: HostMessage) {
    if (channel !== IPC_CHANNEL_EVENT) throw new Error(`unexpected channel ${channel}`)
    this.sent.push(m)
  }
  destroy() {
    this.destroyed = true
    this.emit('destroyed')
  }
}

class FakeIpcMain {
  handlers = new Map<string, (event: unknown, msg: unknown) => Promise<unknown>>()
  handle(channel: string, fn: (event: unknown, msg: unknown) => Promise<unknown>) {
    this.handlers.set(channel, fn)
  }
  removeHandler(channel: string) {
    this.handlers.delete(channel)
  }
  invoke(wc: FakeWebContents, msg: unknown, url = APP_URL, parent: unknown = null) {
    return this.handlers.get(IPC_CHANNEL_RPC)!({ sender: wc, senderFrame: { url, parent } }, msg)
  }
}

describe('Electron IPC adapter', () => {
  let services: Services
  let log: LogBus
  let cleanup: () => Promise<void>
  let ipc: FakeIpcMain
  let detach: () => void
  beforeEach(() => {
    ;({ services, log, cleanup } = realServices())
    ipc = new FakeIpcMain()
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    detach = attachIpc(ipc as any, createDispatcher(services), { isTrustedUrl: (u) => u === APP_URL })
  })
  afterEach(async () => {
    detach()
    await cleanup()
  })

  it('answers contract calls over the event channel', async () => {
    const wc = new FakeWebContents(1)
    expect(await ipc.invoke(wc, { t: 'call', id: 1, method: 'app/info', params: {} })).toBe(true)
    expect(wc.sent).toHaveLength(1)
    expect(wc.sent[0]).toMatchObject({ t: 'result', id: 1, result: { ok: true, value: { name: 'Raftdeck' } } })
  })

  it('refuses messages from untrusted pages and from subframes', async () => {
    const wc = new FakeWebContents(2)
    expect(await ipc.invoke(wc, { t: 'call', id: 1, method: 'app/info', params: {} }, 'https://evil.example/')).toBe(false)
    expect(await ipc.invoke(wc, { t: 'call', id: 2, method: 'app/info', params: {} }, APP_URL, { url: APP_URL })).toBe(false)
    expect(wc.sent).toEqual([])
  })

  it('keeps one connection per page and releases its subscriptions when the page is destroyed', async () => {
    const a = new FakeWebContents(3)
    const b = new FakeWebContents(4)
    const before = log.listenerCount
    await ipc.invoke(a, { t: 'sub', id: 1, stream: 'app/onLog', params: {} })
    await ipc.invoke(b, { t: 'sub', id: 1, stream: 'app/onLog', params: {} })
    expect(log.listenerCount).toBe(before + 2)
    log.write('info', 'test', 'hello')
    expect(a.sent.filter((m) => m.t === 'event')).toHaveLength(1)
    expect(b.sent.filter((m) => m.t === 'event')).toHaveLength(1)
    a.destroy()
    expect(log.listenerCount).toBe(before + 1)
    log.write('info', 'test', 'again')
    expect(a.sent.filter((m) => m.t === 'event')).toHaveLength(1)
    expect(b.sent.filter((m) => m.t === 'event')).toHaveLength(2)
  })

  it('drops a page’s subscriptions when it navigates or reloads, but not on in-page navigation', async () => {
    const wc = new FakeWebContents(5)
    const before = log.listenerCount
    await ipc.invoke(wc, { t: 'sub', id: 1, stream: 'app/onLog', params: {} })
    wc.emit('did-start-navigation', { isMainFrame: true, isSameDocument: true })
    expect(log.listenerCount).toBe(before + 1)
    wc.emit('did-start-navigation', { isMainFrame: true, isSameDocument: false })
    expect(log.listenerCount).toBe(before)
  })

  it('detaching removes the handler and closes every connection', async () => {
    const wc = new FakeWebContents(6)
    const before = log.listenerCount
    await ipc.invoke(wc, { t: 'sub', id: 1, stream: 'app/onLog', params: {} })
    detach()
    expect(ipc.handlers.has(IPC_CHANNEL_RPC)).toBe(false)
    expect(log.listenerCount).toBe(before)
    detach = () => {}
  })
})

describe('Electron IPC adapter: stopping calls', () => {
  it("carries 'cancel' to a call in flight, and a page that goes away aborts its calls", async () => {
    const { services, cleanup } = realServices()
    const signals: AbortSignal[] = []
    const long = (async (_p: unknown, ctx?: CallContext) => {
      signals.push(ctx!.signal)
      ctx!.progress({ done: 1, total: 2, unit: 'items' })
      await new Promise<void>((resolve) => ctx!.signal.addEventListener('abort', () => resolve(), { once: true }))
      throw ctx!.signal.reason
    }) as Services['handlers']['app/info']
    const ipc = new FakeIpcMain()
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const detach = attachIpc(ipc as any, createDispatcher({ ...services, handlers: { ...services.handlers, 'app/info': long } }), { isTrustedUrl: (u) => u === APP_URL })
    try {
      const wc = new FakeWebContents(7)
      // The invoke of a call settles when the call does; the cancel is a second invoke that returns at once.
      const inFlight = ipc.invoke(wc, { t: 'call', id: 1, method: 'app/info', params: {} })
      await expect.poll(() => wc.sent.some((m) => m.t === 'progress' && m.id === 1)).toBe(true)
      expect(await ipc.invoke(wc, { t: 'cancel', id: 1 })).toBe(true)
      expect(await inFlight).toBe(true)
      expect(wc.sent.at(-1)).toEqual({ t: 'result', id: 1, result: { ok: false, error: { code: 'CANCELLED', message: 'Cancelled.', msg: { key: 'conn.cancel.cancelled' } } } })

      const gone = new FakeWebContents(8)
      const orphan = ipc.invoke(gone, { t: 'call', id: 1, method: 'app/info', params: {} })
      await expect.poll(() => signals.length).toBe(2)
      gone.destroy()
      await orphan
      expect(signals[1]!.aborted).toBe(true)
      expect(gone.sent.filter((m) => m.t === 'result')).toEqual([])
    } finally {
      detach()
      await cleanup()
    }
  })
})
