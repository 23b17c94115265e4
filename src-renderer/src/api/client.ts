// The typed client over a transport: call(method, params) and subscribe(stream, params). Everything the
// renderer does with the services goes through here (via the Pinia stores).

import type { EventOf, MethodName, ParamsOf, ResultOf, StreamName, StreamParamsOf } from '@shared/contract'
import type { ApiError, Result } from '@shared/result'
import type { ClientMessage, HostMessage } from '@shared/protocol'
import type { Transport } from './transport'

interface PendingCall {
  resolve: (r: Result<unknown>) => void
}

interface LiveSubscription {
  stream: string
  params: unknown
  onEvent: (e: unknown) => void
  onEnd?: (error: ApiError | null) => void
}

const disconnected: ApiError = {
  code: 'UNAVAILABLE',
  message: 'Lost the connection to the Raftdeck services.',
  hint: 'It reconnects by itself; if it does not, check that `raftdeck serve` is still running.',
}

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
        for (const [id, p] of this.pending) {
          this.pending.delete(id)
          p.resolve({ ok: false, error: disconnected })
        }
      }
      if (s === 'open') {
        // Every live subscription is (re)opened on the new connection: the host forgot the old one.
        for (const [id, sub] of this.subs) this.transport.send({ t: 'sub', id, stream: sub.stream, params: sub.params })
        for (const m of this.queued.splice(0)) this.transport.send(m)
      }
    })
  }

  call<M extends MethodName>(method: M, params: ParamsOf<M>): Promise<Result<ResultOf<M>>> {
    const id = this.nextId++
    return new Promise((resolve) => {
      this.pending.set(id, { resolve: resolve as (r: Result<unknown>) => void })
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

  private sendOrQueue(m: ClientMessage) {
    if (this.transport.state === 'open') this.transport.send(m)
    else this.queued.push(m)
  }

  get liveSubscriptions(): number {
    return this.subs.size
  }

  private receive(m: HostMessage) {
    switch (m.t) {
      case 'result': {
        const p = this.pending.get(m.id)
        if (p) {
          this.pending.delete(m.id)
          p.resolve(m.result)
        }
        return
      }
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
