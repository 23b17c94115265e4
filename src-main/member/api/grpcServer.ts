/** The client-facing gRPC server: etcd's six services (and raftdeck.Debug when enabled). */
import fs from 'node:fs'
import net from 'node:net'
import * as grpc from '@grpc/grpc-js'
import { DropLog } from '../dropLog'
import { prefaceSettings, routeConnection } from './authorityShim'
import { serviceDefinition } from '../../etcdpb/load'
import type { MemberConfig } from '../config'
import { authService, type AuthHost } from './auth'
import { clusterService, type ClusterHost } from './cluster'
import { debugService, type DebugHost } from './debug'
import { kvService, type KvHost } from './kv'
import { learnerRefusal } from './learner'
import { leaseService, type LeaseHost } from './lease'
import { maintenanceService, type MaintenanceHost } from './maintenance'
import { watchService, type WatchHost } from './watch'
import { injectorWithUnaryPath, methodPaths, unaryRoutes, type UnaryPathOptions } from './unaryPath'

/** Everything the client API uses of a member: the union of what each service needs. */
export type ClientApiHost = KvHost & WatchHost & LeaseHost & ClusterHost & MaintenanceHost & AuthHost & DebugHost

/** etcd allows this much gRPC framing on top of --max-request-bytes. */
const GRPC_OVERHEAD_BYTES = 512 * 1024

/**
 * The client port. Every --listen-client-urls address is our own TCP listener that counts
 * connections per client address (--max-connections-per-client) before handing each connection to
 * gRPC: plain ones through the authority shim (etcdctl's scheme-in-authority dials, with bounded
 * header buffering), https ones to a TLS server. Streams per connection are capped with HTTP/2's
 * SETTINGS_MAX_CONCURRENT_STREAMS (--max-concurrent-streams).
 */
export class ClientServer {
  private readonly grpcServer: grpc.Server
  private readonly listeners: net.Server[] = []
  private readonly perClient = new Map<string, number>()
  private readonly sockets = new Set<net.Socket>()
  private readonly drops: DropLog
  private readonly unaryPath: UnaryPathOptions

  constructor(
    private readonly cfg: MemberConfig,
    server: ClientApiHost,
    log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
  ) {
    this.drops = new DropLog(log)
    const maxReceiveBytes = cfg.maxRequestBytes + GRPC_OVERHEAD_BYTES
    this.grpcServer = new grpc.Server({
      'grpc.max_receive_message_length': maxReceiveBytes,
      'grpc.max_send_message_length': 0x7fffffff,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.max_concurrent_streams': cfg.maxConcurrentStreams,
      // Per-call bookkeeping nobody reads (no channelz service is exposed).
      'grpc.enable_channelz': 0,
    })
    const services: Array<[grpc.ServiceDefinition, grpc.UntypedServiceImplementation]> = [
      [serviceDefinition('etcdserverpb.KV'), kvService(server)],
      [serviceDefinition('etcdserverpb.Watch'), watchService(server)],
      [serviceDefinition('etcdserverpb.Lease'), leaseService(server)],
      [serviceDefinition('etcdserverpb.Cluster'), clusterService(server)],
      [serviceDefinition('etcdserverpb.Maintenance'), maintenanceService(server)],
      [serviceDefinition('etcdserverpb.Auth'), authService(server)],
    ]
    if (cfg.enableDebugService) services.push([serviceDefinition('raftdeck.Debug'), debugService(server)])
    for (const [definition, implementation] of services) this.grpcServer.addService(definition, implementation)
    // Unary calls (and a learner's refusals) are answered before grpc-js sees them: see unaryPath.ts.
    this.unaryPath = {
      routes: unaryRoutes(services),
      known: methodPaths(services.map(([d]) => d)),
      maxReceiveBytes,
      refuse: (path) => learnerRefusal(server, path),
    }
  }

  /** Bind every --listen-client-urls address; rejects with etcd-like one-line reasons. */
  async listen(): Promise<void> {
    for (const raw of this.cfg.listenClientUrls) {
      const url = new URL(raw)
      const host = url.hostname
      const port = Number(url.port)
      let handOver: (socket: net.Socket) => void
      if (url.protocol === 'http:') {
        // etcdctl's per-endpoint dials put a scheme in the authority: the shim repairs it.
        const injector = injectorWithUnaryPath(this.grpcServer, grpc.ServerCredentials.createInsecure(), this.unaryPath)
        const authority = `${host.includes(':') ? `[${host}]` : host}:${port}`
        const settings = prefaceSettings(this.cfg.maxConcurrentStreams)
        handOver = (socket) =>
          routeConnection(
            socket,
            authority,
            (plain) => injector.injectConnection(plain),
            (shim) => injector.injectConnection(shim),
            { settings },
          )
      } else {
        const injector = injectorWithUnaryPath(this.grpcServer, this.tlsCredentials(), this.unaryPath)
        handOver = (socket) => injector.injectConnection(socket)
      }
      this.listeners.push(await this.listenOn(host, port, raw, handOver))
    }
  }

  private async listenOn(host: string, port: number, raw: string, handOver: (socket: net.Socket) => void): Promise<net.Server> {
    const listener = net.createServer((socket) => this.accept(socket, handOver))
    await new Promise<void>((resolve, reject) => {
      listener.once('error', (err: NodeJS.ErrnoException) =>
        reject(new Error(err.code === 'EADDRINUSE' ? `listen tcp ${host}:${port}: bind: address already in use` : `listen ${raw}: ${err.message}`)),
      )
      listener.listen(port, host.replace(/^\[|\]$/g, ''), () => resolve())
    })
    return listener
  }

  /** One client connection: refused when its address already has the most connections allowed. */
  private accept(socket: net.Socket, handOver: (socket: net.Socket) => void): void {
    const who = socket.remoteAddress ?? '?'
    const open = this.perClient.get(who) ?? 0
    if (open >= this.cfg.maxConnectionsPerClient) {
      this.drops.drop(`client: refused a connection from ${who}: it has ${open} open already (--max-connections-per-client)`)
      socket.destroy()
      return
    }
    this.perClient.set(who, open + 1)
    this.sockets.add(socket)
    socket.once('close', () => {
      this.sockets.delete(socket)
      const n = (this.perClient.get(who) ?? 1) - 1
      if (n <= 0) this.perClient.delete(who)
      else this.perClient.set(who, n)
    })
    socket.on('error', () => socket.destroy())
    socket.setNoDelay(true)
    handOver(socket)
  }

  /** https client URLs: --cert-file/--key-file, and with --client-cert-auth clients must present a cert signed by --trusted-ca-file. */
  private tlsCredentials(): grpc.ServerCredentials {
    const c = this.cfg
    const read = (f: string, what: string): Buffer => {
      try {
        return fs.readFileSync(f)
      } catch (err) {
        throw new Error(`cannot read ${what} ${f}: ${(err as Error).message}`)
      }
    }
    const ca = c.trustedCaFile ? read(c.trustedCaFile, '--trusted-ca-file') : null
    return grpc.ServerCredentials.createSsl(ca, [{ private_key: read(c.keyFile, '--key-file'), cert_chain: read(c.certFile, '--cert-file') }], c.clientCertAuth)
  }

  async close(): Promise<void> {
    for (const l of this.listeners) l.close()
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        // Open watch and keep-alive streams would hold the shutdown; etcd closes them too.
        this.grpcServer.forceShutdown()
        resolve()
      }, 300)
      this.grpcServer.tryShutdown(() => {
        clearTimeout(t)
        resolve()
      })
    })
    for (const socket of this.sockets) socket.destroy()
  }
}
