// What the transports need from the services: one handler per contract method and one opener per
// stream. The types are derived from the contract, so a missing or mistyped handler fails to compile.

import type { EventOf, MethodName, ParamsOf, Progress, ResultOf, StreamName, StreamParamsOf } from '../shared'

/**
 * What the dispatcher hands every handler besides its parameters. Long handlers pass it on to their
 * service (it is a `Cancellable`); short ones ignore it.
 */
export interface CallContext {
  /**
   * Aborted when the caller cancels, the method's timeout passes or the client goes away. Its `reason`
   * is an AppError (CANCELLED or TIMEOUT) ready to be thrown, see `cancel.ts`.
   */
  readonly signal: AbortSignal
  /** Tells the caller how far the call has come; the dispatcher rate-limits what it sends. */
  progress(p: Progress): void
}

/** What a long service operation accepts: both optional, so tests and the CLI can call it plainly. */
export interface Cancellable {
  signal?: AbortSignal
  progress?: (p: Progress) => void
}

/** `ctx` is absent when a handler is called directly (tests, benches): handlers must not rely on it. */
export type Handlers = {
  [M in MethodName]: (params: ParamsOf<M>, ctx?: CallContext) => Promise<ResultOf<M>>
}

export interface StreamSink<E> {
  emit(event: E): void
  /** Ends the stream from the service side (an error ends it with that error). */
  end(error?: unknown): void
}

/** Opens a stream; returns the function that stops it and releases everything it holds. */
export type StreamOpeners = {
  [S in StreamName]: (params: StreamParamsOf<S>, sink: StreamSink<EventOf<S>>) => () => void
}

export interface Services {
  readonly handlers: Handlers
  readonly streams: StreamOpeners
  /** Stops everything the services started (members, schedulers, watches). Idempotent. */
  dispose(): Promise<void>
}
