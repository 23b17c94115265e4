// Stopping calls through the dispatcher: a 'cancel' message, a method's timeout and a closing connection
// abort the handler's signal; the call's one result is still what the handler settles with (so a cancel
// that loses the race to the result changes nothing), and a handler that ignores the signal is answered
// for after the grace period. Progress reports are rate-limited and never follow the result.
//
// The long handlers here are stand-ins that wait on their signal (the real ones, against a real etcd,
// are in test/integration/rpc/cancel.test.ts); everything else is the real dispatcher and services.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createDispatcher, type DispatcherOptions } from '../../../src-main/rpc/dispatch'
import { AppError, ErrorCode, type HostMessage } from '../../../src-main/shared'
import type { Services } from '../../../src-main/services'
import type { CallContext } from '../../../src-main/services/types'
import { Inbox, realServices } from './support'

type Handler = (p: unknown, ctx?: CallContext) => Promise<unknown>

/** Resolves when the signal is aborted (at once if it already is). */
const aborted = (signal: AbortSignal) =>
  new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })))

const results = (inbox: Inbox, id: number) => inbox.messages.filter((m) => m.t === 'result' && m.id === id)

describe('cancellable calls', () => {
  let services: Services
  let cleanup: () => Promise<void>
  beforeEach(() => ({ services, cleanup } = realServices()))
  afterEach(() => cleanup())

  /** The real services with 'app/info' replaced by a stand-in long handler. */
  const connect = (handler: Handler, opts: DispatcherOptions = {}) => {
    const inbox = new Inbox()
    const svc: Services = { ...services, handlers: { ...services.handlers, 'app/info': handler as Services['handlers']['app/info'] } }
    return { inbox, conn: createDispatcher(svc, { progressIntervalMs: 0, ...opts }).connect(inbox.push) }
  }

  it('a cancel aborts the handler, whose own error (what it did before stopping) is the one result', async () => {
    let done = 0
    const { inbox, conn } = connect(async (_p, ctx) => {
      for (;;) {
        if (ctx!.signal.aborted) throw new AppError(ErrorCode.Cancelled, `Cancelled. ${done} of 100 steps were done.`)
        ctx!.progress({ phase: 'Working', done: ++done, total: 100, unit: 'items' })
        await new Promise((r) => setTimeout(r, 5))
      }
    })
    void conn.handle({ t: 'call', id: 1, method: 'app/info', params: {} })
    await inbox.next((m) => m.t === 'progress' && m.id === 1 && (m.progress as { done: number }).done >= 3)
    await conn.handle({ t: 'cancel', id: 1 })
    const r = (await inbox.next((m) => m.t === 'result' && m.id === 1)) as Extract<HostMessage, { t: 'result' }>
    expect(r.result).toEqual({ ok: false, error: { code: 'CANCELLED', message: `Cancelled. ${done} of 100 steps were done.` } })
    // Nothing after the result, and the call is gone.
    expect(inbox.messages.at(-1)).toBe(r)
    expect(conn.liveCalls).toBe(0)
  })

  it('a cancel that loses the race to the result changes nothing', async () => {
    const { inbox, conn } = connect(async () => 'finished')
    await conn.handle({ t: 'call', id: 1, method: 'app/info', params: {} })
    await conn.handle({ t: 'cancel', id: 1 })
    await conn.handle({ t: 'cancel', id: 99 })
    expect(inbox.messages).toEqual([{ t: 'result', id: 1, result: { ok: true, value: 'finished' } }])
  })

  it('a handler that finishes anyway after the cancel reports that it finished', async () => {
    let release!: () => void
    const { inbox, conn } = connect(async (_p, ctx) => {
      await aborted(ctx!.signal)
      // It was past the point of no return: its work is done, and it says so.
      await new Promise<void>((r) => (release = r))
      return 'completed anyway'
    })
    const call = conn.handle({ t: 'call', id: 1, method: 'app/info', params: {} })
    await conn.handle({ t: 'cancel', id: 1 })
    release()
    await call
    expect(results(inbox, 1)).toEqual([{ t: 'result', id: 1, result: { ok: true, value: 'completed anyway' } }])
  })

  it('a handler that ignores the signal is answered for after the grace period, and only once', async () => {
    let release!: () => void
    const { inbox, conn } = connect(() => new Promise((r) => (release = () => r('late'))), { stopGraceMs: 20 })
    const call = conn.handle({ t: 'call', id: 1, method: 'app/info', params: {} })
    await conn.handle({ t: 'cancel', id: 1 })
    const r = (await inbox.next((m) => m.t === 'result' && m.id === 1)) as Extract<HostMessage, { t: 'result' }>
    expect(r.result.ok).toBe(false)
    if (!r.result.ok) {
      expect(r.result.error.code).toBe('CANCELLED')
      expect(r.result.error.message).toContain('may still complete')
    }
    release()
    await call
    expect(results(inbox, 1)).toHaveLength(1)
  })

  it("a method's timeout aborts the handler with TIMEOUT", async () => {
    const { inbox, conn } = connect(
      async (_p, ctx) => {
        await aborted(ctx!.signal)
        throw ctx!.signal.reason
      },
      { timeouts: { 'app/info': 30 } },
    )
    await conn.handle({ t: 'call', id: 1, method: 'app/info', params: {} })
    const m = results(inbox, 1)[0]
    expect(m?.t === 'result' && !m.result.ok && m.result.error).toMatchObject({ code: 'TIMEOUT', message: 'Stopped: it did not finish within 30 ms.' })
  })

  it("a handler's bare abort error ends the call with the reason it was stopped for", async () => {
    const { inbox, conn } = connect(async (_p, ctx) => {
      await aborted(ctx!.signal)
      throw new DOMException('This operation was aborted', 'AbortError')
    })
    const call = conn.handle({ t: 'call', id: 1, method: 'app/info', params: {} })
    await conn.handle({ t: 'cancel', id: 1 })
    await call
    const m = results(inbox, 1)[0]
    // In English for the CLI and logs, and as a message the UI translates.
    expect(m?.t === 'result' && !m.result.ok && m.result.error).toEqual({ code: 'CANCELLED', message: 'Cancelled.', msg: { key: 'conn.cancel.cancelled' } })
  })

  it('rate-limits progress, keeps the latest report, and sends none after the result', async () => {
    let finish!: () => void
    const { inbox, conn } = connect(
      async (_p, ctx) => {
        for (let i = 1; i <= 1000; i++) ctx!.progress({ done: i, total: 1000, unit: 'keys' })
        await new Promise<void>((r) => (finish = r))
        ctx!.progress({ done: 1001, total: 1001, unit: 'keys' })
        return 'ok'
      },
      { progressIntervalMs: 40 },
    )
    const call = conn.handle({ t: 'call', id: 1, method: 'app/info', params: {} })
    // The first report goes out at once; the burst after it collapses into its latest value.
    const latest = await inbox.next((m) => m.t === 'progress' && (m.progress as { done: number }).done === 1000)
    const progress = inbox.messages.filter((m) => m.t === 'progress').map((m) => (m.t === 'progress' ? m.progress.done : -1))
    expect(progress).toEqual([1, 1000])
    expect(latest).toBeTruthy()
    finish()
    await call
    // The report made just before returning was rate-limited and then superseded by the result.
    expect(inbox.messages.map((m) => m.t)).toEqual(['progress', 'progress', 'result'])
    await new Promise((r) => setTimeout(r, 60))
    expect(inbox.messages.map((m) => m.t)).toEqual(['progress', 'progress', 'result'])
  })

  it('closing the connection aborts the calls in flight and sends nothing', async () => {
    let signal: AbortSignal | undefined
    const { inbox, conn } = connect(async (_p, ctx) => {
      signal = ctx!.signal
      await aborted(ctx!.signal)
      throw ctx!.signal.reason
    })
    const call = conn.handle({ t: 'call', id: 1, method: 'app/info', params: {} })
    expect(conn.liveCalls).toBe(1)
    conn.close()
    await call
    expect(signal?.aborted).toBe(true)
    expect(conn.liveCalls).toBe(0)
    expect(inbox.messages).toEqual([])
  })

  it('refuses a second call with the id of a live one, leaving the live one alone', async () => {
    let release!: () => void
    const { inbox, conn } = connect(() => new Promise((r) => (release = () => r('first'))))
    const first = conn.handle({ t: 'call', id: 1, method: 'app/info', params: {} })
    await conn.handle({ t: 'call', id: 1, method: 'app/info', params: {} })
    release()
    await first
    expect(results(inbox, 1).map((m) => (m.t === 'result' ? (m.result.ok ? m.result.value : m.result.error.code) : null))).toEqual(['INVALID_PARAMS', 'first'])
  })
})
