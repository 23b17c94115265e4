// The typed client over a transport: call(method, params) and subscribe(stream, params). Everything the
// renderer does with the services goes through here (via the Pinia stores).
//
// A call can be given an AbortSignal: aborting it sends 'cancel', and the call still resolves with the
// host's answer, which says what happened (finished anyway, or stopped after doing this much). Only a
// call that never left (queued while the link was down) is settled here, as CANCELLED.

import type { EventOf, MethodName, ParamsOf, ResultOf, StreamName, StreamParamsOf } from '@shared/contract'
import { ErrorCode } from '@shared/errors'
import { formatMessage, msg } from '@shared/i18n/message'
import type { ApiError, Result } from '@shared/result'
import type { ClientMessage, HostMessage, Progress } from '@shared/protocol'
import type { Transport } from './transport'

export interface CallOptions {
  /** Aborting it asks the host to stop the call; the promise still resolves with the host's answer. */
  signal?: AbortSignal
  /** Progress reports of a long call, rate-limited by the host. */
  onProgress?: (p: Progress) => void
}

interface PendingCall {
  resolve: (r: Result<unknown>) => void
  onProgress?: (p: Progress) => void
  /** Detaches the abort listener. */
  release: () => void
}

interface LiveSubscription {
  stream: string
  params: unknown
  onEvent: (e: unknown) => void
  onEnd?: (error: ApiError | null) => void
}

// English text for callers that show `message`; the UI translates `msg` and `hintMsg`.
const lost = msg('conn.link.lost')
const lostHint = msg('conn.link.lostHint')
const disconnected: ApiError = { code: ErrorCode.Unavailable, message: formatMessage(lost), hint: formatMessage(lostHint), msg: lost, hintMsg: lostHint }

const notSentMsg = msg('conn.link.notSent')
const notSent: ApiError = { code: ErrorCode.Cancelled, message: formatMessage(notSentMsg), msg: notSentMsg }

export class ApiClient {
  private nextId = 1
  private readonly pending = new Map<number, PendingCall>()
  private readonly subs = new Map<number, LiveSubscription>()
  /** Calls made while the link is down, sent when it comes up. */
  private readonly queued: ClientMessage[] = []

  constructor(readonly transport: Transport) {
    transport.onMessage((m) => this.receive(m))
    transport.onState((s) => {
      if (s === 'closed') {
        // A call in flight when the link dropped has an unknown outcome; say so rather than hang.
        for (const id of [...this.pending.keys()]) this.settle(id, { ok: false, error: disconnected })
      }
      if (s === 'open') {
        // Every live subscription is (re)opened on the new connection: the host forgot the old one.
        for (const [id, sub] of this.subs) this.transport.send({ t: 'sub', id, stream: sub.stream, params: sub.params })
        for (const m of this.queued.splice(0)) this.transport.send(m)
      }
    })
  }

  call<M extends MethodName>(method: M, params: ParamsOf<M>, opts: CallOptions = {}): Promise<Result<ResultOf<M>>> {
    const id = this.nextId++
    const { signal, onProgress } = opts
    if (signal?.aborted) return Promise.resolve({ ok: false, error: notSent })
    return new Promise((resolve) => {
      const onAbort = () => this.cancel(id)
      signal?.addEventListener('abort', onAbort, { once: true })
      this.pending.set(id, {
        resolve: resolve as (r: Result<unknown>) => void,
        ...(onProgress ? { onProgress } : {}),
        release: () => signal?.removeEventListener('abort', onAbort),
      })
      this.sendOrQueue({ t: 'call', id, method, params })
    })
  }

  /** Opens a stream; the returned function stops it (and is safe to call twice). */
  subscribe<S extends StreamName>(
    stream: S,
    params: StreamParamsOf<S>,
    onEvent: (e: EventOf<S>) => void,
    onEnd?: (error: ApiError | null) => void,
  ): () => void {
    const id = this.nextId++
    this.subs.set(id, { stream, params, onEvent: onEvent as (e: unknown) => void, ...(onEnd ? { onEnd } : {}) })
    // While the link is down the subscription waits in `subs` and is opened when the link comes up.
    if (this.transport.state === 'open') this.transport.send({ t: 'sub', id, stream, params })
    return () => {
      if (this.subs.delete(id) && this.transport.state === 'open') this.transport.send({ t: 'unsub', id })
    }
  }

  private cancel(id: number) {
    if (!this.pending.has(id)) return
    const queuedAt = this.queued.findIndex((m) => m.t === 'call' && m.id === id)
    if (queuedAt >= 0) {
      // Never sent: nothing ran, so it can be settled here.
      this.queued.splice(queuedAt, 1)
      this.settle(id, { ok: false, error: notSent })
      return
    }
    // The host answers with the call's own result (it may have finished first) or a CANCELLED error.
    if (this.transport.state === 'open') this.transport.send({ t: 'cancel', id })
  }

  private settle(id: number, r: Result<unknown>) {
    const p = this.pending.get(id)
    if (!p) return
    this.pending.delete(id)
    p.release()
    p.resolve(r)
  }

  private sendOrQueue(m: ClientMessage) {
    if (this.transport.state === 'open') this.transport.send(m)
    else this.queued.push(m)
  }

  get liveSubscriptions(): number {
    return this.subs.size
  }

  get pendingCalls(): number {
    return this.pending.size
  }

  private receive(m: HostMessage) {
    switch (m.t) {
      case 'result':
        this.settle(m.id, m.result)
        return
      case 'progress':
        this.pending.get(m.id)?.onProgress?.(m.progress)
        return
      case 'event':
        this.subs.get(m.id)?.onEvent(m.payload)
        return
      case 'end': {
        const sub = this.subs.get(m.id)
        if (sub) {
          this.subs.delete(m.id)
          sub.onEnd?.(m.result.ok ? null : m.result.error)
        }
        return
      }
    }
  }
}

export type { Progress }
