/**
 * Requests one member makes of another over the peer port, as etcd does over its peer HTTP
 * endpoints: a follower forwards lease keep-alives and time-to-live questions to the leader (only
 * its lease clocks count) and learner promotions (only it knows how far a learner is). Going
 * through the peer port, they use peer TLS and peer certificates, whatever the client URLs are.
 *
 * A requests connection opens with the hello `{query: 'requests', from, clusterId}`; then each
 * frame is one JSON request `{id, method, body}` and the answer `{id, ok}` or `{id, error: {code,
 * message}}`. Many requests share one connection and may be answered out of order.
 */
import type net from 'node:net'
import { status } from '@grpc/grpc-js'
import type { DropLog } from '../dropLog'
import { sendFrame, frameReader, MAX_HELLO_FRAME } from './framing'

/** What a member answers to its peers' requests (the server implements it). */
export interface PeerRequestHandler {
  /** `from` is the member the connection said hello as. Rejects with an error carrying a gRPC `code` to report it. */
  handle(from: string, method: string, body: unknown): Promise<unknown>
}

/** An answer the other member gave as an error (code and message travel as they are). */
export class PeerRequestError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message)
  }
}

/** Requests one connection may have waiting for answers; more are refused at once. */
const MAX_IN_FLIGHT = 1024

/**
 * Serves the requests arriving on an identified connection: returns the handler for each of its
 * frames (false: the connection is being dropped).
 */
export function requestServer(sock: net.Socket, from: string, handler: PeerRequestHandler, drops: DropLog): (f: Buffer) => boolean {
  let inFlight = 0
  const answer = (msg: object): void => {
    if (sock.destroyed) return
    sendFrame(sock, Buffer.from(JSON.stringify(msg)))
  }
  return (f: Buffer): boolean => {
    let req: { id?: unknown; method?: unknown; body?: unknown }
    try {
      req = JSON.parse(f.toString('utf8')) as typeof req
    } catch {
      drops.drop(`peer: dropped requests connection from member ${from}: a request is not JSON`)
      sock.destroy()
      return false
    }
    if (typeof req !== 'object' || req === null || typeof req.id !== 'number' || typeof req.method !== 'string') {
      drops.drop(`peer: dropped requests connection from member ${from}: malformed request`)
      sock.destroy()
      return false
    }
    const id = req.id
    if (inFlight >= MAX_IN_FLIGHT) {
      answer({ id, error: { code: status.RESOURCE_EXHAUSTED, message: 'etcdserver: too many requests' } })
      return true
    }
    inFlight++
    handler
      .handle(from, req.method, req.body)
      .then(
        (ok) => answer({ id, ok: ok ?? null }),
        (err: unknown) => {
          const e = err as { code?: unknown; message?: unknown }
          answer({ id, error: { code: typeof e.code === 'number' ? e.code : status.UNKNOWN, message: typeof e.message === 'string' ? e.message : String(err) } })
        },
      )
      .finally(() => inFlight--)
    return true
  }
}

interface Pending {
  sock: net.Socket
  resolve(v: unknown): void
  reject(e: Error): void
  timer: NodeJS.Timeout
}

/** The asking side: one connection to one member, opened when first needed and again after it drops. */
export class RequestChannel {
  private sock: net.Socket | undefined
  private nextId = 1
  private readonly pending = new Map<number, Pending>()
  private closed = false

  constructor(
    private readonly dial: () => net.Socket,
    private readonly hello: object,
  ) {}

  call(method: string, body: unknown, timeoutMs: number): Promise<unknown> {
    if (this.closed) return Promise.reject(new PeerRequestError(status.UNAVAILABLE, 'etcdserver: server stopped'))
    const s = this.connection()
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new PeerRequestError(status.UNAVAILABLE, 'etcdserver: request timed out'))
      }, timeoutMs)
      timer.unref()
      this.pending.set(id, { sock: s, resolve, reject, timer })
      sendFrame(s, Buffer.from(JSON.stringify({ id, method, body })))
    })
  }

  private connection(): net.Socket {
    if (this.sock && !this.sock.destroyed) return this.sock
    const s = this.dial()
    this.sock = s
    s.setNoDelay(true)
    sendFrame(s, Buffer.from(JSON.stringify(this.hello)))
    const fail = (why: string): void => {
      if (this.sock === s) this.sock = undefined
      s.destroy()
      for (const [id, p] of this.pending) {
        if (p.sock !== s) continue
        clearTimeout(p.timer)
        this.pending.delete(id)
        p.reject(new PeerRequestError(status.UNAVAILABLE, why))
      }
    }
    s.on('error', (err) => fail(`etcdserver: cannot reach the leader's peer port: ${err.message}`))
    s.on('close', () => fail('etcdserver: leader changed'))
    s.on(
      'data',
      frameReader(
        (f) => {
          let res: { id?: unknown; ok?: unknown; error?: { code?: unknown; message?: unknown } }
          try {
            res = JSON.parse(f.toString('utf8')) as typeof res
          } catch {
            fail('etcdserver: the peer answered with something else')
            return false
          }
          const p = typeof res.id === 'number' ? this.pending.get(res.id) : undefined
          if (!p) return true
          this.pending.delete(res.id as number)
          clearTimeout(p.timer)
          if (res.error) p.reject(new PeerRequestError(typeof res.error.code === 'number' ? res.error.code : status.UNKNOWN, String(res.error.message)))
          else p.resolve(res.ok)
          return true
        },
        (err) => fail(`etcdserver: bad answer from the peer: ${err.message}`),
        () => MAX_HELLO_FRAME,
      ),
    )
    return s
  }

  close(): void {
    this.closed = true
    this.sock?.destroy()
  }
}
