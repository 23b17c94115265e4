// Building blocks of the contract: a method or stream declared once with its parameter schema (checked
// at run time) and its result or event type (a phantom, checked at compile time).

import { s, type Schema } from '../schema'

declare const phantom: unique symbol

export interface MethodOptions {
  /**
   * For calls that can take long: after this many milliseconds the dispatcher aborts the handler's
   * signal and the call ends with TIMEOUT. Calls without it run until their handler returns.
   */
  readonly timeoutMs?: number
}

export interface MethodSpec<P, R> extends MethodOptions {
  readonly kind: 'method'
  readonly params: Schema<P>
  readonly [phantom]?: R
}

export interface StreamSpec<P, E> {
  readonly kind: 'stream'
  readonly params: Schema<P>
  readonly [phantom]?: E
}

export const method =
  <R>(options: MethodOptions = {}) =>
  <P>(params: Schema<P>): MethodSpec<P, R> => ({ kind: 'method', params, ...options })

export const MINUTE = 60_000

export const stream =
  <E>() =>
  <P>(params: Schema<P>): StreamSpec<P, E> => ({ kind: 'stream', params })

// Parameter pieces shared by several areas.
export const id = s.string({ min: 1, max: 200 })
export const endpoint = s.string({ min: 1, max: 500 })
/** A 64-bit etcd integer (revision, member ID, lease ID) as a decimal string. */
export const decimal = s.string({ min: 1, max: 20, pattern: /^\d+$/ })
/** A snapshot target is a file opened read-only with restore/openSnapshot (the key editor only). */
export const target = s.object({ kind: s.enum(['connection', 'playground', 'snapshot'] as const), id })
/** Set by the UI after the user confirmed a change on a production connection. */
export const confirm = s.optional(s.boolean())
