// The transport-agnostic half of the RPC layer: validates untrusted messages, runs handlers, wraps
// results in envelopes, and owns the lifecycle of every subscription of one client connection.
// The WebSocket host and the Electron IPC glue are thin adapters over a Connection.

import {
  AppError,
  ErrorCode,
  SchemaError,
  isMethodName,
  isStreamName,
  methods,
  parseClientMessage,
  streams,
  toApiError,
  type HostMessage,
  type Result,
} from '../shared'
import type { Logger } from '../services/log'
import type { Services } from '../services/types'

export interface Connection {
  /** Feeds one decoded client message; replies go through the connection's send function. */
  handle(raw: unknown): Promise<void>
  /** Stops every live subscription; later messages are ignored. Idempotent. */
  close(): void
  readonly liveSubscriptions: number
}

export interface DispatcherOptions {
  maxSubscriptionsPerConnection?: number
  log?: Logger
}

const invalidParams = (err: SchemaError) =>
  new AppError(ErrorCode.InvalidParams, `Invalid parameters: ${err.message}`, 'This is a bug in the caller; the request was not run.', {
    path: err.path,
  })

export function createDispatcher(services: Services, options: DispatcherOptions = {}) {
  const maxSubs = options.maxSubscriptionsPerConnection ?? 256

  function connect(send: (m: HostMessage) => void): Connection {
    const subs = new Map<number, () => void>()
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

    async function handleCall(id: number, method: string, rawParams: unknown) {
      let result: Result<unknown>
      try {
        if (!isMethodName(method)) throw new AppError(ErrorCode.UnknownMethod, `Unknown method '${method}'`)
        let params: unknown
        try {
          params = methods[method].params.parse(rawParams ?? {})
        } catch (err) {
          throw err instanceof SchemaError ? invalidParams(err) : err
        }
        const handler = services.handlers[method] as (p: unknown) => Promise<unknown>
        result = { ok: true, value: await handler(params) }
      } catch (err) {
        const error = toApiError(err)
        if (error.code === ErrorCode.Internal) options.log?.error(`${method} failed: ${err instanceof Error ? err.stack : String(err)}`)
        result = { ok: false, error }
      }
      reply({ t: 'result', id, result })
    }

    function handleSub(id: number, stream: string, rawParams: unknown) {
      const refuse = (err: unknown) => reply({ t: 'end', id, result: { ok: false, error: toApiError(err) } })
      if (subs.has(id)) return refuse(new AppError(ErrorCode.InvalidParams, `Subscription id ${id} is already in use`))
      if (!isStreamName(stream)) return refuse(new AppError(ErrorCode.UnknownMethod, `Unknown stream '${stream}'`))
      if (subs.size >= maxSubs)
        return refuse(new AppError(ErrorCode.ResourceExhausted, `Too many live subscriptions (${maxSubs})`, 'Close some views and retry.'))
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
      },
      get liveSubscriptions() {
        return subs.size
      },
    }
  }

  return { connect }
}

export type Dispatcher = ReturnType<typeof createDispatcher>
