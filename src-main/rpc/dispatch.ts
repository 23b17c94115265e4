// The transport-agnostic half of the RPC layer: validates untrusted messages, runs handlers, wraps
// results in envelopes, and owns the lifecycle of every call and subscription of one client connection.
// The WebSocket host and the Electron IPC glue are thin adapters over a Connection.
//
// Calls can be stopped (as VS Code's channels do it with cancellation tokens): each call gets an
// AbortSignal, aborted by a 'cancel' message, by its method's timeout, or by the connection closing.
// Stopping never invents an outcome the handler did not reach: the call's one 'result' is whatever the
// handler settles with (a value if it finished first, or an error saying what it did before stopping).
// Only a handler that does not settle within a grace period after the abort is answered for, with an
// error that says its outcome is unknown.

import {
  AppError,
  ErrorCode,
  SchemaError,
  msg,
  isMethodName,
  isStreamName,
  methods,
  parseClientMessage,
  streams,
  toApiError,
  type ApiError,
  type HostMessage,
  type MethodName,
  type Progress,
  type Result,
} from '../shared'
import { cancelledByCaller, timedOut } from '../services/cancel'
import type { Logger } from '../services/log'
import type { CallContext, Services } from '../services/types'

export interface Connection {
  /** Feeds one decoded client message; replies go through the connection's send function. */
  handle(raw: unknown): Promise<void>
  /** Stops every live subscription; later messages are ignored. Idempotent. */
  close(): void
  readonly liveSubscriptions: number
  /** Calls whose result has not been sent yet. */
  readonly liveCalls: number
}

export interface DispatcherOptions {
  maxSubscriptionsPerConnection?: number
  log?: Logger
  /** After a call is aborted, how long its handler has to settle before the call is answered for it. */
  stopGraceMs?: number
  /** At most one progress message per call per this many milliseconds (the latest one wins). */
  progressIntervalMs?: number
  /** Overrides of the contract's per-method timeouts (tests, or a shell that wants them tighter). */
  timeouts?: Partial<Record<MethodName, number>>
}

interface LiveCall {
  readonly controller: AbortController
  readonly timers: Set<ReturnType<typeof setTimeout>>
  /** Progress waiting for the rate limit, and when the last one went out. */
  pendingProgress: Progress | null
  lastProgressAt: number
}

/** Said when a handler did not settle within the grace period after it was asked to stop. */
function unconfirmed(reason: ApiError): ApiError {
  return new AppError(reason.code, msg('conn.rpc.unconfirmed', { message: reason.msg ?? reason.message }), msg('conn.rpc.unconfirmedHint')).toApiError()
}

const invalidParams = (err: SchemaError) =>
  new AppError(ErrorCode.InvalidParams, msg('conn.rpc.invalidParams', { detail: err.message }), msg('conn.rpc.invalidParamsHint'), {
    path: err.path,
  })

export function createDispatcher(services: Services, options: DispatcherOptions = {}) {
  const maxSubs = options.maxSubscriptionsPerConnection ?? 256
  const stopGraceMs = options.stopGraceMs ?? 3000
  const progressIntervalMs = options.progressIntervalMs ?? 150

  function connect(send: (m: HostMessage) => void): Connection {
    const subs = new Map<number, () => void>()
    const calls = new Map<number, LiveCall>()
    let closed = false

    const reply = (m: HostMessage) => {
      if (!closed) send(m)
    }

    function endSubscription(id: number, result: Result<null>) {
      if (!subs.has(id)) return
      const stop = subs.get(id)!
      subs.delete(id)
      try {
        stop()
      } catch (err) {
        options.log?.warn(`stopping subscription ${id} failed: ${String(err)}`)
      }
      reply({ t: 'end', id, result })
    }

    /** Sends the call's one result, unless it was already answered for; forgets the call. */
    function finishCall(id: number, call: LiveCall, result: Result<unknown>): boolean {
      if (calls.get(id) !== call) return false
      calls.delete(id)
      for (const t of call.timers) clearTimeout(t)
      reply({ t: 'result', id, result })
      return true
    }

    /** Aborts a call's signal; if its handler has not settled after the grace period, answers for it. */
    function stopCall(id: number, reason: AppError) {
      const call = calls.get(id)
      if (!call || call.controller.signal.aborted) return
      call.controller.abort(reason)
      const grace = setTimeout(() => {
        if (finishCall(id, call, { ok: false, error: unconfirmed(reason.toApiError()) }))
          options.log?.warn(`call ${id} did not stop within ${stopGraceMs} ms of being asked to; answered ${reason.code}`)
      }, stopGraceMs)
      grace.unref?.()
      call.timers.add(grace)
    }

    function progressOf(id: number, call: LiveCall) {
      return (p: Progress) => {
        if (calls.get(id) !== call) return
        const wait = call.lastProgressAt + progressIntervalMs - Date.now()
        if (wait <= 0) {
          // Supersedes a report still waiting for its timer (which then finds nothing to send).
          call.pendingProgress = null
          call.lastProgressAt = Date.now()
          reply({ t: 'progress', id, progress: p })
          return
        }
        // Rate-limited: keep only the latest report and send it when the interval is over.
        const scheduled = call.pendingProgress !== null
        call.pendingProgress = p
        if (scheduled) return
        const timer = setTimeout(() => {
          call.timers.delete(timer)
          const latest = call.pendingProgress
          call.pendingProgress = null
          if (latest && calls.get(id) === call) {
            call.lastProgressAt = Date.now()
            reply({ t: 'progress', id, progress: latest })
          }
        }, wait)
        call.timers.add(timer)
      }
    }

    async function handleCall(id: number, method: string, rawParams: unknown) {
      let params: unknown
      let handler: (p: unknown, ctx: CallContext) => Promise<unknown>
      let timeoutMs: number | undefined
      try {
        if (calls.has(id)) throw new AppError(ErrorCode.InvalidParams, msg('conn.rpc.callIdInUse', { id: String(id) }))
        if (!isMethodName(method)) throw new AppError(ErrorCode.UnknownMethod, msg('conn.rpc.unknownMethod', { method: String(method) }))
        try {
          params = methods[method].params.parse(rawParams ?? {})
        } catch (err) {
          throw err instanceof SchemaError ? invalidParams(err) : err
        }
        handler = services.handlers[method] as (p: unknown, ctx: CallContext) => Promise<unknown>
        timeoutMs = options.timeouts?.[method] ?? (methods[method] as { timeoutMs?: number }).timeoutMs
      } catch (err) {
        // Refused before it ran: nothing to stop, answer at once (a duplicate id must not touch the live call).
        reply({ t: 'result', id, result: { ok: false, error: toApiError(err) } })
        return
      }
      const call: LiveCall = { controller: new AbortController(), timers: new Set(), pendingProgress: null, lastProgressAt: 0 }
      calls.set(id, call)
      if (timeoutMs !== undefined) {
        const limit = timeoutMs
        const timer = setTimeout(() => stopCall(id, timedOut(limit)), limit)
        // A pending limit must not keep a shell that is shutting down alive.
        timer.unref?.()
        call.timers.add(timer)
      }
      let result: Result<unknown>
      try {
        result = { ok: true, value: await handler(params, { signal: call.controller.signal, progress: progressOf(id, call) }) }
      } catch (err) {
        let error = toApiError(err)
        const signal = call.controller.signal
        // A handler that stopped with a bare abort error (not one of ours) ends with the reason it was stopped for.
        if (signal.aborted && error.code === ErrorCode.Internal && signal.reason instanceof AppError) error = signal.reason.toApiError()
        if (error.code === ErrorCode.Internal) options.log?.error(`${method} failed: ${err instanceof Error ? err.stack : String(err)}`)
        result = { ok: false, error }
      }
      if (!finishCall(id, call, result) && !closed)
        options.log?.info(`${method} (call ${id}) settled after it was answered for: ${result.ok ? 'it completed' : result.error.message}`)
    }

    function handleSub(id: number, stream: string, rawParams: unknown) {
      const refuse = (err: unknown) => reply({ t: 'end', id, result: { ok: false, error: toApiError(err) } })
      if (subs.has(id)) return refuse(new AppError(ErrorCode.InvalidParams, msg('conn.rpc.subIdInUse', { id: String(id) })))
      if (!isStreamName(stream)) return refuse(new AppError(ErrorCode.UnknownMethod, msg('conn.rpc.unknownStream', { stream: String(stream) })))
      if (subs.size >= maxSubs)
        return refuse(new AppError(ErrorCode.ResourceExhausted, msg('conn.rpc.tooManySubs', { max: String(maxSubs) }), msg('conn.rpc.tooManySubsHint')))
      let params: unknown
      try {
        params = streams[stream].params.parse(rawParams ?? {})
      } catch (err) {
        return refuse(err instanceof SchemaError ? invalidParams(err) : err)
      }
      // The opener may end the stream synchronously; a placeholder keeps that path uniform.
      let live = true
      subs.set(id, () => {
        live = false
      })
      const sink = {
        emit: (payload: unknown) => {
          if (live && subs.has(id)) reply({ t: 'event', id, payload })
        },
        end: (error?: unknown) => {
          if (!subs.has(id)) return
          endSubscription(id, error === undefined ? { ok: true, value: null } : { ok: false, error: toApiError(error) })
        },
      }
      try {
        const open = services.streams[stream] as (p: unknown, s: typeof sink) => () => void
        const stop = open(params, sink)
        if (subs.has(id) && live) subs.set(id, stop)
        else stop()
      } catch (err) {
        subs.delete(id)
        refuse(err)
      }
    }

    return {
      async handle(raw) {
        if (closed) return
        const msg = parseClientMessage(raw)
        if (!msg) {
          options.log?.warn('dropped a malformed client message')
          return
        }
        switch (msg.t) {
          case 'call':
            return handleCall(msg.id, msg.method, msg.params)
          case 'cancel':
            // A cancel that lost the race with the result finds no call: nothing to do.
            return stopCall(msg.id, cancelledByCaller())
          case 'sub':
            return handleSub(msg.id, msg.stream, msg.params)
          case 'unsub':
            return endSubscription(msg.id, { ok: true, value: null })
        }
      },
      close() {
        if (closed) return
        // The peer is gone: release every subscription without trying to tell it.
        closed = true
        for (const id of [...subs.keys()]) endSubscription(id, { ok: true, value: null })
        // Nobody is left to read the results: stop the calls and release their timers.
        for (const [id, call] of [...calls]) {
          calls.delete(id)
          for (const t of call.timers) clearTimeout(t)
          call.controller.abort(new AppError(ErrorCode.Cancelled, msg('conn.rpc.windowGone')))
        }
      },
      get liveSubscriptions() {
        return subs.size
      },
      get liveCalls() {
        return calls.size
      },
    }
  }

  return { connect }
}

export type Dispatcher = ReturnType<typeof createDispatcher>
