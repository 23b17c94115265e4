// The one API contract between the renderer and the services. Every method and stream is declared
// here once, with its parameter schema (checked at runtime by the dispatcher) and its result or
// event type (checked at compile time on both sides). Names are 'area/verb'; streams are 'area/onXxx'.

import { s, type Schema } from './schema'
import type { AppInfo, LogEntry } from './dto'

declare const phantom: unique symbol

export interface MethodSpec<P, R> {
  readonly kind: 'method'
  readonly params: Schema<P>
  readonly [phantom]?: R
}

export interface StreamSpec<P, E> {
  readonly kind: 'stream'
  readonly params: Schema<P>
  readonly [phantom]?: E
}

const method = <R>() => <P>(params: Schema<P>): MethodSpec<P, R> => ({ kind: 'method', params })
const stream = <E>() => <P>(params: Schema<P>): StreamSpec<P, E> => ({ kind: 'stream', params })

export const methods = {
  'app/info': method<AppInfo>()(s.object({})),
  'app/recentLogs': method<LogEntry[]>()(s.object({ limit: s.optional(s.number({ int: true, min: 1, max: 5000 })) })),
} as const

export const streams = {
  /** Service log lines as they happen (app, playground members, backups). */
  'app/onLog': stream<LogEntry>()(
    s.object({ minLevel: s.optional(s.enum(['debug', 'info', 'warn', 'error'] as const)) }),
  ),
} as const

export type Methods = typeof methods
export type Streams = typeof streams
export type MethodName = keyof Methods
export type StreamName = keyof Streams

export type ParamsOf<M extends MethodName> = Methods[M] extends MethodSpec<infer P, unknown> ? P : never
export type ResultOf<M extends MethodName> = Methods[M] extends MethodSpec<unknown, infer R> ? R : never
export type StreamParamsOf<S extends StreamName> = Streams[S] extends StreamSpec<infer P, unknown> ? P : never
export type EventOf<S extends StreamName> = Streams[S] extends StreamSpec<unknown, infer E> ? E : never

export const isMethodName = (name: string): name is MethodName => Object.prototype.hasOwnProperty.call(methods, name)
export const isStreamName = (name: string): name is StreamName => Object.prototype.hasOwnProperty.call(streams, name)
