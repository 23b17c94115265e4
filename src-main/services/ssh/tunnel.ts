// An SSH tunnel for one connection profile: a chain of hops kept open with keepalives, reconnected
// on the next use after it drops, and a private local socket per etcd endpoint that gRPC dials.
//
// Why local sockets: grpc-js dials addresses, not streams. Each endpoint gets a Unix socket in a
// folder only this user can open (0700); every connection to it becomes a direct-tcpip channel from
// the last hop to the endpoint. TLS still runs end to end between gRPC and etcd, and the client
// verifies the server certificate against the endpoint's own name (see EtcdClient's dialer), so the
// tunnel never weakens TLS.

import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import type { Duplex } from 'node:stream'
import type { Client } from 'ssh2'
import { AppError, ErrorCode } from '../../shared'
import type { Unsealer } from '../etcd/tlsMaterial'
import type { Logger } from '../log'
import { hopLabel, type SshHopSpec } from './credentials'
import { connectChain, forwardThrough, type StepRecorder } from './connect'
import { SshError } from './errors'
import type { HostKey } from './hostKeys'

export interface TunnelOptions {
  /** Per-stage timeout for connecting and for opening a channel (default 10 s). */
  timeoutMs?: number
  /** SSH keepalive interval (default 15 s; three missed answers drop the connection). 0: none. */
  keepaliveIntervalMs?: number
  unseal?: Unsealer
  log?: Logger
}

const MIN_RETRY_MS = 1000
const MAX_RETRY_MS = 10_000

export class SshTunnel {
  private clients: Client[] | null = null
  private connecting: Promise<Client[]> | null = null
  private failedAt = 0
  private retryMs = 0
  private closed = false
  private socketDir: string | null = null
  private readonly listeners = new Map<string, { server: Server; target: string }>()
  private readonly channels = new Set<Duplex>()
  private readonly forwardErrors = new Map<string, SshError>()
  /** The last failure to bring the tunnel up; cleared when it comes up. */
  lastError: SshError | null = null
  /** The host key each hop presented and the trust accepted, by hop index (from the last connection). */
  readonly presentedHostKeys: HostKey[] = []
  /** How many times the chain was established (1 = never dropped). */
  connects = 0
  readonly label: string
  private readonly timeoutMs: number

  constructor(
    readonly hops: SshHopSpec[],
    private readonly options: TunnelOptions = {},
  ) {
    if (hops.length === 0) throw new AppError(ErrorCode.InvalidParams, 'An SSH tunnel needs at least one host.')
    this.label = hops.map(hopLabel).join(' → ')
    this.timeoutMs = options.timeoutMs ?? 10_000
  }

  get isUp(): boolean {
    return this.clients !== null
  }

  /**
   * Brings the chain up, or returns the one that is up. `onStep` hears every stage of a fresh
   * connection (the doctor). After a failure, further attempts within the back-off window fail fast
   * with the same error, so gRPC's retries do not hammer the bastion.
   */
  connect(onStep?: StepRecorder): Promise<Client[]> {
    if (this.closed) return Promise.reject(new AppError(ErrorCode.FailedPrecondition, 'This SSH tunnel was closed.'))
    if (this.clients) return Promise.resolve(this.clients)
    if (this.connecting) return this.connecting
    if (this.lastError && !onStep && Date.now() - this.failedAt < this.retryMs) return Promise.reject(this.lastError)
    const attempt = connectChain(this.hops, {
      timeoutMs: this.timeoutMs,
      keepaliveIntervalMs: this.options.keepaliveIntervalMs ?? 15_000,
      ...(this.options.unseal ? { unseal: this.options.unseal } : {}),
      ...(onStep ? { onStep } : {}),
      onHostKey: (hop, key) => {
        this.presentedHostKeys[hop] = key
      },
    }).then(
      (clients) => {
        if (this.closed) {
          for (const c of clients) c.end()
          throw new AppError(ErrorCode.FailedPrecondition, 'This SSH tunnel was closed.')
        }
        this.clients = clients
        this.lastError = null
        this.retryMs = 0
        this.connects++
        for (const c of clients) {
          c.on('error', (err: Error) => this.options.log?.warn(`SSH tunnel ${this.label}: ${err.message}`))
          c.on('close', () => this.dropped(clients))
        }
        this.options.log?.info(`SSH tunnel ${this.label} is up${this.connects > 1 ? ' again' : ''}`)
        return clients
      },
      (err: unknown) => {
        this.lastError = err instanceof SshError ? err : new SshError('ssh-disconnected', 'ssh-tcp', `SSH tunnel ${this.label}: ${(err as Error).message}`, 'Check the tunnel settings with Test connection.')
        this.failedAt = Date.now()
        this.retryMs = Math.min(MAX_RETRY_MS, Math.max(MIN_RETRY_MS, this.retryMs * 2))
        this.options.log?.warn(`SSH tunnel ${this.label} could not connect: ${this.lastError.message}`)
        throw this.lastError
      },
    )
    this.connecting = attempt.finally(() => {
      this.connecting = null
    })
    return this.connecting
  }

  private dropped(clients: Client[]): void {
    if (this.clients !== clients) return
    this.clients = null
    for (const c of clients) c.end()
    if (!this.closed) this.options.log?.warn(`SSH tunnel ${this.label} dropped; it reconnects on the next call`)
  }

  /** A channel from the last hop to host:port (connecting the chain first when needed). */
  async forward(host: string, port: number, timeoutMs = this.timeoutMs): Promise<Duplex> {
    const clients = await this.connect()
    const channel = await forwardThrough(clients[clients.length - 1]!, this.hops[this.hops.length - 1]!, host, port, timeoutMs)
    this.channels.add(channel)
    channel.once('close', () => this.channels.delete(channel))
    return channel
  }

  /**
   * The gRPC target that reaches host:port through the tunnel: a Unix socket (a named pipe on
   * Windows) that only this user can open, created on first use.
   */
  target(host: string, port: number): string {
    const key = `${host}:${port}`
    const existing = this.listeners.get(key)
    if (existing) return existing.target
    if (this.closed) throw new AppError(ErrorCode.FailedPrecondition, 'This SSH tunnel was closed.')
    let where: string
    if (process.platform === 'win32') where = `\\\\.\\pipe\\raftdeck-ssh-${randomBytes(8).toString('hex')}-${this.listeners.size}`
    else {
      this.socketDir ??= mkdtempSync(path.join(os.tmpdir(), 'raftdeck-ssh-'))
      where = path.join(this.socketDir, `${this.listeners.size}.sock`)
    }
    const server = createServer((sock) => this.accept(sock, host, port))
    server.on('error', (err) => this.options.log?.error(`SSH tunnel local socket for ${key}: ${err.message}`))
    server.listen(where)
    const target = `unix:${where}`
    this.listeners.set(key, { server, target })
    return target
  }

  /** The chain is up (EtcdClient.ready): connects it now rather than on the first gRPC dial. */
  async ready(): Promise<void> {
    await this.connect()
  }

  /** Why connections to host:port fail, when the tunnel knows: a refused forward or a tunnel that is down. */
  explain(host: string, port: number): SshError | null {
    return this.forwardErrors.get(`${host}:${port}`) ?? (this.clients ? null : this.lastError)
  }

  private accept(sock: Socket, host: string, port: number): void {
    const key = `${host}:${port}`
    sock.on('error', () => undefined)
    this.forward(host, port).then(
      (channel) => {
        this.forwardErrors.delete(key)
        if (sock.destroyed) {
          channel.destroy()
          return
        }
        channel.on('error', () => undefined)
        const close = () => {
          sock.destroy()
          channel.destroy()
        }
        sock.once('close', close)
        channel.once('close', close)
        sock.pipe(channel)
        channel.pipe(sock)
      },
      (err: unknown) => {
        if (err instanceof SshError && (err.problem === 'forward-refused' || err.problem === 'forward-failed')) this.forwardErrors.set(key, err)
        sock.destroy()
      },
    )
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    for (const ch of this.channels) ch.destroy()
    this.channels.clear()
    for (const { server } of this.listeners.values()) server.close()
    this.listeners.clear()
    if (this.clients) for (const c of [...this.clients].reverse()) c.end()
    this.clients = null
    if (this.socketDir) rmSync(this.socketDir, { recursive: true, force: true })
    this.socketDir = null
  }
}
