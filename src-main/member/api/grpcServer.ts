/** The client-facing gRPC server: etcd's six services (and raftdeck.Debug when enabled). */
import fs from 'node:fs'
import net from 'node:net'
import * as grpc from '@grpc/grpc-js'
import { AuthorityShim } from './authorityShim'
import { serviceDefinition } from '../../etcdpb/load'
import type { MemberConfig } from '../config'
import { authService, type AuthHost } from './auth'
import { clusterService, type ClusterHost } from './cluster'
import { debugService, type DebugHost } from './debug'
import { kvService, type KvHost } from './kv'
import { leaseService, type LeaseHost } from './lease'
import { maintenanceService, type MaintenanceHost } from './maintenance'
import { watchService, type WatchHost } from './watch'

/** Everything the client API uses of a member: the union of what each service needs. */
export type ClientApiHost = KvHost & WatchHost & LeaseHost & ClusterHost & MaintenanceHost & AuthHost & DebugHost

/** etcd allows this much gRPC framing on top of --max-request-bytes. */
const GRPC_OVERHEAD_BYTES = 512 * 1024

export class ClientServer {
  private readonly grpcServer: grpc.Server
  private readonly plainListeners: net.Server[] = []

  constructor(
    private readonly cfg: MemberConfig,
    server: ClientApiHost,
  ) {
    this.grpcServer = new grpc.Server({
      'grpc.max_receive_message_length': cfg.maxRequestBytes + GRPC_OVERHEAD_BYTES,
      'grpc.max_send_message_length': 0x7fffffff,
      'grpc.keepalive_permit_without_calls': 1,
    })
    const s = this.grpcServer
    s.addService(serviceDefinition('etcdserverpb.KV'), kvService(server))
    s.addService(serviceDefinition('etcdserverpb.Watch'), watchService(server))
    s.addService(serviceDefinition('etcdserverpb.Lease'), leaseService(server))
    s.addService(serviceDefinition('etcdserverpb.Cluster'), clusterService(server))
    s.addService(serviceDefinition('etcdserverpb.Maintenance'), maintenanceService(server))
    s.addService(serviceDefinition('etcdserverpb.Auth'), authService(server))
    if (cfg.enableDebugService) s.addService(serviceDefinition('raftdeck.Debug'), debugService(server))
  }

  /** Bind every --listen-client-urls address; rejects with etcd-like one-line reasons. */
  async listen(): Promise<void> {
    for (const raw of this.cfg.listenClientUrls) {
      const url = new URL(raw)
      const host = url.hostname
      if (url.protocol === 'http:') {
        await this.listenPlain(host, Number(url.port), raw)
        continue
      }
      const creds = this.tlsCredentials()
      await new Promise<void>((resolve, reject) => {
        this.grpcServer.bindAsync(`${host}:${url.port}`, creds, (err) => {
          if (err) {
            reject(new Error(/EADDRINUSE|address already in use|No address added/i.test(err.message) ? `listen tcp ${host}:${url.port}: bind: address already in use` : `listen ${raw}: ${err.message}`))
          } else resolve()
        })
      })
    }
  }

  /**
   * Plain client URLs accept connections themselves and hand them to gRPC through the authority shim,
   * so etcdctl's per-endpoint dials with a scheme in the target work as they do against etcd.
   */
  private async listenPlain(host: string, port: number, raw: string): Promise<void> {
    const injector = this.grpcServer.createConnectionInjector(grpc.ServerCredentials.createInsecure())
    const listener = net.createServer((socket) => {
      socket.setNoDelay(true)
      injector.injectConnection(new AuthorityShim(socket, `${host.includes(':') ? `[${host}]` : host}:${port}`))
    })
    await new Promise<void>((resolve, reject) => {
      listener.once('error', (err: NodeJS.ErrnoException) =>
        reject(new Error(err.code === 'EADDRINUSE' ? `listen tcp ${host}:${port}: bind: address already in use` : `listen ${raw}: ${err.message}`)),
      )
      listener.listen(port, host.replace(/^\[|\]$/g, ''), () => resolve())
    })
    this.plainListeners.push(listener)
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
    for (const l of this.plainListeners) l.close()
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
  }
}
