// The one etcd client of the app, over @grpc/grpc-js: remote clusters and playgrounds alike.
//
// - One channel per endpoint, created lazily; calls go to the current endpoint and move on to the
//   next one when it cannot be reached, but only for calls that are safe to repeat (reads, status,
//   member list). A write whose fate is unknown is reported, never silently retried.
// - Deadlines on every call. Message size limits raised on purpose: a Kubernetes /registry range
//   easily exceeds gRPC's 4 MiB default.
// - etcd auth: a token from Authenticate, sent as the `token` metadata, refreshed once when etcd says
//   it is invalid.

import * as grpc from '@grpc/grpc-js'
import { etcdGrpcObject } from '../../etcdpb/load'
import { fromGrpcError, EtcdError } from './errors'
import type { TlsMaterial } from './tlsMaterial'
import type * as pb from './messages'
import { ErrorCode, msg, type AppError } from '../../shared'
import { stoppedError } from '../cancel'
import { decodeSnapshotResponse } from './snapshotResponse'
import { installLeanAsyncBind } from './asyncBind'

// Every gRPC call starts an HTTP/2 request, which on Node 20 would otherwise keep the whole call
// alive until a full collection (asyncBind.ts). Done once, for the whole process, before any call.
installLeanAsyncBind()

export interface EtcdClientOptions {
  /** Client URLs: http://host:port or https://host:port. */
  endpoints: string[]
  tls?: TlsMaterial
  auth?: { username: string; password: string }
  /** Per-call deadline; long operations (defragment, snapshot) take their own. */
  requestTimeoutMs?: number
  /** How long to wait for a connection before trying the next endpoint. */
  dialTimeoutMs?: number
  /** Reaches endpoints some other way than TCP to their address: an SSH tunnel. */
  dialer?: EndpointDialer
  /** How long an interrupted watch keeps trying to resume before it ends with the error (default 2 min). */
  watchResumeMs?: number
}

/**
 * Dials endpoints through something else, such as an SSH tunnel. The channel still speaks TLS end to end
 * and verifies the server certificate against the endpoint's own name (or the profile's server name).
 */
export interface EndpointDialer {
  /** The gRPC target that leads to host:port (e.g. unix:/private/dir/0.sock). */
  target(host: string, port: number): string
  /** Why host:port cannot be reached, when the dialer knows better than gRPC (a refused forward, a tunnel down). */
  explain?(host: string, port: number): AppError | null
  /** Brings the way up (the SSH chain), so that calls' deadlines do not pay for it; fails with the dialer's own error. */
  ready?(): Promise<void>
}

export const MAX_RECEIVE_BYTES = 512 * 1024 * 1024
export const MAX_SEND_BYTES = 64 * 1024 * 1024

const SNAPSHOT_METHOD = '/etcdserverpb.Maintenance/Snapshot'
const encodeEmpty = () => Buffer.alloc(0)

type ServiceName = 'KV' | 'Watch' | 'Lease' | 'Cluster' | 'Maintenance' | 'Auth'
type GenericClient = grpc.Client & Record<string, (...args: unknown[]) => unknown>

interface CallOptions {
  /** Pin the call to one endpoint (status, defragment, hashKV are per member). */
  endpoint?: string
  timeoutMs?: number
  /** Safe to send again to another endpoint after a connection failure. */
  idempotent?: boolean
  /** Aborting it cancels the call in flight; the call then fails with the signal's stop error (cancel.ts). */
  signal?: AbortSignal
  /**
   * Wait out a connection that is down or backing off, up to the timeout, instead of failing at once: for
   * a member that is expected to come up (verification right after a restore restarts every member).
   */
  waitForReady?: boolean
}

export interface Endpoint {
  url: string
  /** host:port for gRPC. */
  target: string
  /** The host without IPv6 brackets, and the port. */
  host: string
  port: number
  secure: boolean
}

export function parseEndpoint(url: string): Endpoint {
  const withScheme = /^[a-z]+:\/\//i.test(url) ? url : `http://${url}`
  let u: URL
  try {
    u = new URL(withScheme)
  } catch {
    throw new EtcdError('invalid-argument', ErrorCode.InvalidParams, msg('conn.client.notUrl', { url }), msg('conn.client.notUrlHint'))
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:' && u.protocol !== 'unix:')
    throw new EtcdError('invalid-argument', ErrorCode.InvalidParams, msg('conn.client.badScheme', { url, scheme: u.protocol }))
  const port = u.port || '2379'
  const host = u.hostname.replace(/^\[|\]$/g, '')
  const hostPort = `${host.includes(':') ? `[${host}]` : host}:${port}`
  return { url: `${u.protocol}//${hostPort}`, target: hostPort, host, port: Number(port), secure: u.protocol === 'https:' }
}

export class EtcdClient {
  readonly endpoints: Endpoint[]
  private current = 0
  private readonly channels = new Map<string, Map<ServiceName, GenericClient>>()
  private token: string | null = null
  private tokenPromise: Promise<string> | null = null
  private closed = false
  private readonly requestTimeoutMs: number
  private readonly dialTimeoutMs: number

  constructor(private readonly options: EtcdClientOptions) {
    if (options.endpoints.length === 0) throw new EtcdError('invalid-argument', ErrorCode.InvalidParams, msg('conn.client.noEndpoints'), msg('conn.client.noEndpointsHint'))
    this.endpoints = options.endpoints.map(parseEndpoint)
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000
    this.dialTimeoutMs = options.dialTimeoutMs ?? 3_000
  }

  /** The etcd credentials this client signs in with (a trial restore of a backup reuses them). */
  get auth(): { username: string; password: string } | undefined {
    return this.options.auth
  }

  // ---- plumbing ----------------------------------------------------------------------------

  private credentials(ep: Endpoint): grpc.ChannelCredentials {
    if (!ep.secure) return grpc.credentials.createInsecure()
    const t = this.options.tls
    const verify: grpc.VerifyOptions = {}
    if (t?.insecureSkipVerify) {
      verify.rejectUnauthorized = false
      verify.checkServerIdentity = () => undefined
    }
    return grpc.credentials.createSsl(t?.ca ?? null, t?.key ?? null, t?.cert ?? null, verify)
  }

  private service(ep: Endpoint, name: ServiceName): GenericClient {
    if (this.closed) throw new EtcdError('unavailable', ErrorCode.FailedPrecondition, msg('conn.client.closed'))
    let clients = this.channels.get(ep.url)
    if (!clients) {
      clients = new Map()
      this.channels.set(ep.url, clients)
    }
    let client = clients.get(name)
    if (!client) {
      const pkg = etcdGrpcObject().etcdserverpb as grpc.GrpcObject
      const Ctor = pkg[name] as grpc.ServiceClientConstructor
      const channelOptions: grpc.ChannelOptions = {
        'grpc.max_receive_message_length': MAX_RECEIVE_BYTES,
        'grpc.max_send_message_length': MAX_SEND_BYTES,
        'grpc.keepalive_time_ms': 30_000,
        'grpc.keepalive_timeout_ms': 10_000,
        // Calls fail fast when the endpoint is down instead of waiting out their deadline.
        'grpc.initial_reconnect_backoff_ms': 500,
        'grpc.max_reconnect_backoff_ms': 5_000,
        // HTTP/2 flow control: 64 KiB (the default) lets a fast server send only one window per round
        // trip, which caps a snapshot stream or a large range well below what etcd can serve.
        'grpc-node.flow_control_window': 4 * 1024 * 1024,
      }
      const serverName = this.options.tls?.serverName
      const dialer = this.options.dialer
      if (ep.secure && serverName) {
        channelOptions['grpc.ssl_target_name_override'] = serverName
        channelOptions['grpc.default_authority'] = serverName
      } else if (dialer) {
        // Through a dialer the address is a local socket: the certificate must still match the endpoint's own name.
        if (ep.secure) channelOptions['grpc.ssl_target_name_override'] = ep.host
        channelOptions['grpc.default_authority'] = ep.target
      }
      const target = dialer ? dialer.target(ep.host, ep.port) : ep.target
      // Clients of one endpoint share a channel: grpc-js pools by target, credentials and options.
      client = new Ctor(target, this.credentials(ep), channelOptions) as unknown as GenericClient
      clients.set(name, client)
    }
    return client
  }

  /**
   * Waits until the dialer (an SSH tunnel) is up, if there is one. Per-member calls with short deadlines
   * (picking a member, status) call this first: the tunnel's handshake is not theirs to time, and its
   * failure says more than a deadline.
   */
  async ready(): Promise<void> {
    await this.options.dialer?.ready?.()
  }

  private endpointByUrl(url: string): Endpoint {
    const ep = parseEndpoint(url)
    return this.endpoints.find((e) => e.url === ep.url) ?? ep
  }

  private async metadata(): Promise<grpc.Metadata> {
    const md = new grpc.Metadata()
    if (this.options.auth) md.set('token', await this.authToken())
    return md
  }

  private authToken(): Promise<string> {
    if (this.token) return Promise.resolve(this.token)
    this.tokenPromise ??= (async () => {
      const auth = this.options.auth!
      const res = await this.rawUnary<{ token: string }>(this.endpoints[this.current]!, 'Auth', 'Authenticate', { name: auth.username, password: auth.password }, new grpc.Metadata(), this.requestTimeoutMs)
      this.token = res.token
      return res.token
    })().finally(() => {
      this.tokenPromise = null
    })
    return this.tokenPromise
  }

  private rawUnary<T>(ep: Endpoint, service: ServiceName, method: string, req: unknown, md: grpc.Metadata, timeoutMs: number, signal?: AbortSignal): Promise<T> {
    const client = this.service(ep, service)
    return new Promise<T>((resolve, reject) => {
      const deadline = Date.now() + timeoutMs
      // A cancelled call ends in the callback with gRPC's CANCELLED status; unary() turns it into the stop error.
      const cancel = () => call.cancel()
      const call = client[method]!(req, md, { deadline }, (err: grpc.ServiceError | null, res: T) => {
        signal?.removeEventListener('abort', cancel)
        if (err) reject(err)
        else resolve(res)
      }) as grpc.ClientUnaryCall
      signal?.addEventListener('abort', cancel, { once: true })
      // Aborted while the metadata was being fetched: the listener came too late to hear it.
      if (signal?.aborted) call.cancel()
    })
  }

  /** Waits until the endpoint's channel is connected, or fails after the dial timeout. */
  private waitReady(ep: Endpoint): Promise<void> {
    const client = this.service(ep, 'Maintenance')
    return new Promise((resolve, reject) =>
      client.waitForReady(Date.now() + this.dialTimeoutMs, (err) =>
        err
          ? reject(this.explain(ep, new EtcdError('unavailable', ErrorCode.Unavailable, msg('conn.client.dialTimeout', { url: ep.url, ms: String(this.dialTimeoutMs) }), msg('conn.client.dialTimeoutHint'))))
          : resolve(),
      ),
    )
  }

  private async unary<T>(service: ServiceName, method: string, req: unknown, opts: CallOptions = {}): Promise<T> {
    const context = `${service}.${method}`
    const timeoutMs = opts.timeoutMs ?? this.requestTimeoutMs
    const candidates = opts.endpoint ? [this.endpointByUrl(opts.endpoint)] : this.rotation()
    let lastError: unknown = null
    const signal = opts.signal
    for (const [i, ep] of candidates.entries()) {
      let refreshed = false
      for (;;) {
        if (signal?.aborted) throw stoppedError(signal)
        try {
          if (candidates.length > 1) await this.waitReady(ep)
          const md = await this.metadata()
          if (opts.waitForReady) md.setOptions({ waitForReady: true })
          const res = await this.rawUnary<T>(ep, service, method, req, md, timeoutMs, signal)
          if (!opts.endpoint) this.current = this.endpoints.indexOf(ep)
          return res
        } catch (err) {
          if (signal?.aborted) throw stoppedError(signal)
          const mapped = err instanceof EtcdError ? err : this.explain(ep, fromGrpcError(err, context))
          if (mapped.kind === 'auth-token-invalid' && !refreshed && this.options.auth) {
            refreshed = true
            this.token = null
            continue
          }
          lastError = mapped
          if (mapped.kind !== 'unavailable' || !(opts.idempotent ?? false) || i === candidates.length - 1) throw mapped
          break
        }
      }
    }
    throw lastError
  }

  /** An unreachable endpoint behind a dialer: say what the dialer knows (the tunnel is down, the forward was refused). */
  private explain(ep: Endpoint, err: EtcdError): EtcdError {
    // A channel that closed before TLS finished looks like a TLS failure to gRPC; the dialer knows when it closed it.
    if (err.kind !== 'unavailable' && err.kind !== 'timeout' && err.kind !== 'tls') return err
    const why = this.options.dialer?.explain?.(ep.host, ep.port)
    if (!why) return err
    return new EtcdError('unavailable', ErrorCode.Unavailable, msg('conn.client.viaTunnel', { url: ep.url, detail: why.msg ?? why.message }), why.hintMsg ?? why.hint, err.grpcCode)
  }

  private rotation(): Endpoint[] {
    return [...this.endpoints.slice(this.current), ...this.endpoints.slice(0, this.current)]
  }

  // ---- KV ----------------------------------------------------------------------------------

  range(req: pb.RangeRequest, opts: CallOptions = {}): Promise<pb.RangeResponse> {
    return this.unary('KV', 'Range', req, { idempotent: true, ...opts })
  }

  put(req: pb.PutRequest, opts: CallOptions = {}): Promise<pb.PutResponse> {
    return this.unary('KV', 'Put', req, opts)
  }

  deleteRange(req: pb.DeleteRangeRequest, opts: CallOptions = {}): Promise<pb.DeleteRangeResponse> {
    return this.unary('KV', 'DeleteRange', req, opts)
  }

  txn(req: pb.TxnRequest, opts: CallOptions = {}): Promise<pb.TxnResponse> {
    return this.unary('KV', 'Txn', req, opts)
  }

  compact(revision: string, physical = false): Promise<{ header: pb.ResponseHeader }> {
    return this.unary('KV', 'Compact', { revision, physical }, { timeoutMs: 60_000 })
  }

  // ---- Lease -------------------------------------------------------------------------------

  leaseGrant(ttlSeconds: number): Promise<pb.LeaseGrantResponse> {
    return this.unary('Lease', 'LeaseGrant', { TTL: ttlSeconds, ID: 0 })
  }

  leaseRevoke(id: string): Promise<{ header: pb.ResponseHeader }> {
    return this.unary('Lease', 'LeaseRevoke', { ID: id })
  }

  leaseTimeToLive(id: string, keys = false): Promise<pb.LeaseTimeToLiveResponse> {
    return this.unary('Lease', 'LeaseTimeToLive', { ID: id, keys }, { idempotent: true })
  }

  leaseLeases(): Promise<pb.LeaseLeasesResponse> {
    return this.unary('Lease', 'LeaseLeases', {}, { idempotent: true })
  }

  // ---- Cluster -----------------------------------------------------------------------------

  memberList(opts: CallOptions = {}): Promise<pb.MemberListResponse> {
    return this.unary('Cluster', 'MemberList', {}, { idempotent: true, ...opts })
  }

  memberAdd(peerURLs: string[], isLearner = false): Promise<{ header: pb.ResponseHeader; member: pb.Member; members: pb.Member[] }> {
    return this.unary('Cluster', 'MemberAdd', { peerURLs, isLearner })
  }

  /** Send it to a member other than the one removed: that one stops as soon as it applies the change. */
  memberRemove(id: string, opts: CallOptions = {}): Promise<{ header: pb.ResponseHeader; members: pb.Member[] }> {
    return this.unary('Cluster', 'MemberRemove', { ID: id }, opts)
  }

  memberPromote(id: string): Promise<{ header: pb.ResponseHeader; members: pb.Member[] }> {
    return this.unary('Cluster', 'MemberPromote', { ID: id })
  }

  // ---- Maintenance (per endpoint) ----------------------------------------------------------

  status(endpoint: string, timeoutMs?: number, waitForReady = false): Promise<pb.StatusResponse> {
    return this.unary('Maintenance', 'Status', {}, { endpoint, ...(timeoutMs ? { timeoutMs } : {}), ...(waitForReady ? { waitForReady } : {}) })
  }

  alarmList(): Promise<pb.AlarmResponse> {
    return this.unary('Maintenance', 'Alarm', { action: 'GET', memberID: '0', alarm: 'NONE' }, { idempotent: true })
  }

  alarmDisarm(memberID: string, alarm: pb.AlarmType): Promise<pb.AlarmResponse> {
    return this.unary('Maintenance', 'Alarm', { action: 'DEACTIVATE', memberID, alarm })
  }

  defragment(endpoint: string): Promise<{ header: pb.ResponseHeader }> {
    return this.unary('Maintenance', 'Defragment', {}, { endpoint, timeoutMs: 10 * 60_000 })
  }

  hashKV(endpoint: string, revision: string): Promise<pb.HashKVResponse> {
    return this.unary('Maintenance', 'HashKV', { revision }, { endpoint, timeoutMs: 120_000 })
  }

  moveLeader(leaderEndpoint: string, targetID: string): Promise<{ header: pb.ResponseHeader }> {
    return this.unary('Maintenance', 'MoveLeader', { targetID }, { endpoint: leaderEndpoint, timeoutMs: 30_000 })
  }

  /**
   * Streams a snapshot from one member; chunks go to `onChunk`, resolves when the stream ends.
   *
   * Backpressure: when `onChunk` returns a promise (its writes are queued), the stream pauses until
   * it settles, so what waits in memory is bounded by HTTP/2 flow control whatever the snapshot's
   * size. A rejected promise or a throw ends the stream with that error.
   */
  async snapshot(endpoint: string, onChunk: (blob: Buffer, remaining: string) => void | Promise<void>, signal?: AbortSignal): Promise<void> {
    const ep = this.endpointByUrl(endpoint)
    const client = this.service(ep, 'Maintenance')
    const md = await this.metadata()
    if (signal?.aborted) throw stoppedError(signal)
    await new Promise<void>((resolve, reject) => {
      // The generic decoder is the stream's main cost after etcd itself; see snapshotResponse.ts.
      const call = client.makeServerStreamRequest(SNAPSHOT_METHOD, encodeEmpty, decodeSnapshotResponse, {}, md, {}) as grpc.ClientReadableStream<pb.SnapshotResponse>
      const abort = () => call.cancel()
      signal?.addEventListener('abort', abort, { once: true })
      // A chunk the caller cannot take (disk full…) ends the stream with the caller's error.
      let sinkError: unknown = null
      const fail = (err: unknown) => {
        if (sinkError) return
        sinkError = err
        call.cancel()
      }
      let waiting = 0
      call.on('data', (r: pb.SnapshotResponse) => {
        if (sinkError) return
        let pending: void | Promise<void>
        try {
          pending = onChunk(r.blob, r.remaining_bytes)
        } catch (err) {
          return fail(err)
        }
        if (!pending) return
        if (waiting++ === 0) call.pause()
        pending.then(
          () => {
            if (--waiting === 0 && !sinkError) call.resume()
          },
          (err: unknown) => {
            waiting--
            fail(err)
          },
        )
      })
      call.on('error', (err) => {
        signal?.removeEventListener('abort', abort)
        reject(sinkError ?? (signal?.aborted ? stoppedError(signal) : this.explain(ep, fromGrpcError(err, 'Maintenance.Snapshot'))))
      })
      call.on('end', () => {
        signal?.removeEventListener('abort', abort)
        if (sinkError) reject(sinkError)
        else resolve()
      })
    })
  }

  // ---- Watch -------------------------------------------------------------------------------

  /**
   * Opens a watch on [key, rangeEnd) from a revision. Events arrive in order, each exactly once.
   *
   * When the stream breaks (the endpoint went away, an SSH tunnel dropped), the watch resumes by
   * itself on the next endpoint from the revision after the last one delivered, so nothing is lost
   * or repeated; if that revision was compacted meanwhile, it ends with the compaction error instead.
   * `onEnd` is called once: with null when cancelled, or with the error that ended the watch (the
   * server cancelled it, or it could not resume within watchResumeMs).
   */
  watch(
    req: { key: Buffer; range_end?: Buffer; start_revision?: string; prev_kv?: boolean; progress_notify?: boolean },
    onResponse: (r: pb.WatchResponse) => void,
    onEnd: (err: EtcdError | null) => void,
  ): () => void {
    let ended = false
    let cancelled = false
    let call: grpc.ClientDuplexStream<unknown, pb.WatchResponse> | null = null
    let retryTimer: NodeJS.Timeout | null = null
    /** The first revision not delivered yet; null until known (a watch from "now" learns it when created). */
    let nextRevision: bigint | null = req.start_revision && req.start_revision !== '0' ? BigInt(req.start_revision) : null
    let brokenSince: number | null = null
    let backoffMs = 250
    const resumeWindowMs = this.options.watchResumeMs ?? 120_000

    const finish = (err: EtcdError | null) => {
      if (ended) return
      ended = true
      if (retryTimer) clearTimeout(retryTimer)
      onEnd(err)
    }

    const broken = (err: EtcdError, ep: Endpoint) => {
      call = null
      if (ended) return
      if (cancelled) return finish(null)
      const now = Date.now()
      brokenSince ??= now
      if (err.kind !== 'unavailable' || now - brokenSince >= resumeWindowMs || this.closed) {
        const explained = this.explain(ep, err)
        return finish(
          brokenSince !== now
            ? new EtcdError(explained.kind, explained.code as ErrorCode, msg('conn.client.watchLost', { s: Math.round(resumeWindowMs / 1000), detail: explained.msg ?? explained.message }), msg('conn.client.watchLostHint'), explained.grpcCode)
            : explained,
        )
      }
      // Try the next endpoint; all of them lead to the same cluster.
      if (this.endpoints.length > 1) this.current = (this.endpoints.indexOf(ep) + 1) % this.endpoints.length
      retryTimer = setTimeout(open, backoffMs)
      backoffMs = Math.min(5000, backoffMs * 2)
    }

    const open = () => {
      retryTimer = null
      if (ended || cancelled) return finish(null)
      const ep = this.endpoints[this.current]!
      void this.metadata().then(
        (md) => {
          if (cancelled) return finish(null)
          let client: GenericClient
          try {
            client = this.service(ep, 'Watch')
          } catch (err) {
            return finish(fromGrpcError(err, 'Watch'))
          }
          // etcd requires a leader for watches unless asked otherwise; that is the behaviour we want.
          md.set('hasleader', 'true')
          const c = client.Watch!(md) as grpc.ClientDuplexStream<unknown, pb.WatchResponse>
          call = c
          c.on('data', (r: pb.WatchResponse) => {
            if (call !== c) return
            if (r.canceled) {
              const compacted = r.compact_revision !== '0'
              finish(
                compacted
                  ? new EtcdError('compacted', ErrorCode.FailedPrecondition, msg('conn.client.watchCompacted', { revision: r.compact_revision }), msg('conn.client.watchCompactedHint'))
                  : new EtcdError('other', ErrorCode.Unavailable, r.cancel_reason ? msg('conn.client.watchCancelledWhy', { reason: r.cancel_reason }) : msg('conn.client.watchCancelled')),
              )
              c.cancel()
              return
            }
            brokenSince = null
            backoffMs = 250
            if (r.created) {
              if (nextRevision === null) nextRevision = BigInt(r.header.revision) + 1n
            } else if (r.events.length > 0) {
              nextRevision = BigInt(r.events[r.events.length - 1]!.kv.mod_revision) + 1n
            } else if (nextRevision !== null && BigInt(r.header.revision) + 1n > nextRevision) {
              // A progress notification: every event up to this revision has been delivered.
              nextRevision = BigInt(r.header.revision) + 1n
            }
            onResponse(r)
          })
          c.on('error', (err: grpc.ServiceError) => {
            if (call !== c) return
            if (cancelled) return finish(null)
            broken(fromGrpcError(err, 'Watch'), ep)
          })
          c.on('end', () => {
            if (call === c) finish(null)
          })
          c.write({
            create_request: {
              key: req.key,
              range_end: req.range_end ?? Buffer.alloc(0),
              start_revision: nextRevision !== null ? String(nextRevision) : '0',
              prev_kv: req.prev_kv ?? false,
              progress_notify: req.progress_notify ?? false,
            },
          })
        },
        (err) => broken(fromGrpcError(err, 'Watch'), ep),
      )
    }

    open()
    return () => {
      cancelled = true
      if (retryTimer) {
        clearTimeout(retryTimer)
        retryTimer = null
      }
      const c = call
      call = null
      c?.cancel()
      finish(null)
    }
  }

  close(): void {
    this.closed = true
    for (const clients of this.channels.values()) for (const c of clients.values()) c.close()
    this.channels.clear()
  }
}

export { EtcdError }
