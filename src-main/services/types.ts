// What the transports need from the services: one handler per contract method and one opener per
// stream. The types are derived from the contract, so a missing or mistyped handler fails to compile.

import type { EventOf, MethodName, ParamsOf, ResultOf, StreamName, StreamParamsOf } from '../shared'

export type Handlers = {
  [M in MethodName]: (params: ParamsOf<M>) => Promise<ResultOf<M>>
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
