// The one API contract between the renderer and the services. Every method and stream is declared
// here once, with its parameter schema (checked at runtime by the dispatcher) and its result or
// event type (checked at compile time on both sides). Names are 'area/verb'; streams are 'area/onXxx'.

import { s, type Schema } from './schema'
import type { AppInfo, ClusterStatus, ConnectionSummary, DoctorReport, EndpointStatus, HashKvResult, LogEntry, AlarmInfo } from './dto'

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

const id = s.string({ min: 1, max: 200 })
const endpoint = s.string({ min: 1, max: 500 })
const decimal = s.string({ min: 1, max: 20, pattern: /^\d+$/ })
const target = s.object({ kind: s.enum(['connection', 'playground'] as const), id })
const tlsSettings = s.object({
  caFile: s.optional(s.string({ max: 4096 })),
  certFile: s.optional(s.string({ max: 4096 })),
  keyFile: s.optional(s.string({ max: 4096 })),
  serverName: s.optional(s.string({ max: 255 })),
  insecureSkipVerify: s.optional(s.boolean()),
})
const connectionInput = s.object({
  id: s.optional(id),
  name: s.string({ min: 1, max: 100 }),
  color: s.optional(s.string({ max: 20, pattern: /^#[0-9a-fA-F]{6}$/ })),
  endpoints: s.array(endpoint, { max: 32 }),
  tls: s.optional(tlsSettings),
  username: s.optional(s.string({ max: 256 })),
  password: s.optional(s.string({ max: 4096 })),
  readOnly: s.optional(s.boolean()),
  production: s.optional(s.boolean()),
})
/** Set by the UI after the user confirmed a change on a production connection. */
const confirm = s.optional(s.boolean())

const method = <R>() => <P>(params: Schema<P>): MethodSpec<P, R> => ({ kind: 'method', params })
const stream = <E>() => <P>(params: Schema<P>): StreamSpec<P, E> => ({ kind: 'stream', params })

export const methods = {
  'app/info': method<AppInfo>()(s.object({})),
  'app/recentLogs': method<LogEntry[]>()(s.object({ limit: s.optional(s.number({ int: true, min: 1, max: 5000 })) })),

  'connections/list': method<ConnectionSummary[]>()(s.object({})),
  'connections/save': method<ConnectionSummary>()(s.object({ input: connectionInput })),
  'connections/delete': method<null>()(s.object({ id })),
  /** The connection doctor, on a saved connection (id) or on the edit form's settings (input). */
  'connections/test': method<DoctorReport>()(s.object({ id: s.optional(id), input: s.optional(connectionInput) })),

  'cluster/status': method<ClusterStatus>()(s.object({ target })),
  'cluster/hashKV': method<HashKvResult>()(s.object({ target })),
  'cluster/defragment': method<EndpointStatus>()(s.object({ target, endpoint, confirm })),
  'cluster/compact': method<{ revision: string }>()(s.object({ target, revision: s.optional(decimal), physical: s.optional(s.boolean()), confirm })),
  'cluster/disarmAlarm': method<AlarmInfo[]>()(s.object({ target, memberId: decimal, alarm: s.enum(['NOSPACE', 'CORRUPT'] as const), confirm })),
  'cluster/moveLeader': method<null>()(s.object({ target, toMemberId: decimal, confirm })),
} as const

export const streams = {
  /** Service log lines as they happen (app, playground members, backups). */
  'app/onLog': stream<LogEntry>()(
    s.object({ minLevel: s.optional(s.enum(['debug', 'info', 'warn', 'error'] as const)) }),
  ),
  /** Cluster status polled at an interval (the health view's auto-refresh). */
  'cluster/onStatus': stream<ClusterStatus>()(s.object({ target, intervalMs: s.number({ int: true, min: 500, max: 600_000 }) })),
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
