/**
 * gRPC clients to the current leader's client URL, for the requests etcd forwards to the
 * leader (lease keep-alive and time-to-live, learner promotion): only the leader's lease clocks
 * are authoritative, and only the leader can judge whether a learner has caught up.
 */
import fs from 'node:fs'
import * as grpc from '@grpc/grpc-js'
import { etcdGrpcObject } from '../../etcdpb/load'
import { Errors } from '../errors'
import type { LeaderLookup } from '../server/ports'

type ClientCtor = new (address: string, creds: grpc.ChannelCredentials, options?: object) => grpc.Client

const clients = new Map<string, grpc.Client>()

function ctor(service: 'Lease' | 'Cluster'): ClientCtor {
  const pkg = etcdGrpcObject().etcdserverpb as grpc.GrpcObject
  return pkg[service] as unknown as ClientCtor
}

export function leaderClient(server: LeaderLookup, service: 'Lease' | 'Cluster'): grpc.Client {
  const leader = server.leaderMember()
  if (!leader) throw Errors.noLeader()
  const url = leader.clientURLs[0]
  if (!url) throw Errors.noLeader()
  const key = `${service} ${url}`
  let c = clients.get(key)
  if (!c) {
    const Ctor = ctor(service)
    c = new Ctor(new URL(url).host, credentialsFor(server, url))
    clients.set(key, c)
  }
  return c
}

/** A leader serving https is reached with this member's own certificate and CA. */
function credentialsFor(server: LeaderLookup, url: string): grpc.ChannelCredentials {
  if (!url.startsWith('https:')) return grpc.credentials.createInsecure()
  const c = server.clientTls
  const opt = (f: string): Buffer | null => (f ? fs.readFileSync(f) : null)
  return grpc.credentials.createSsl(opt(c.trustedCaFile), opt(c.keyFile), opt(c.certFile))
}

/** Call a unary method on the leader and hand back its answer or its error unchanged. */
export function forwardUnary<Res>(server: LeaderLookup, service: 'Lease' | 'Cluster', method: string, req: unknown, md?: grpc.Metadata): Promise<Res> {
  const c = leaderClient(server, service) as unknown as Record<string, (req: unknown, md: grpc.Metadata, opts: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r: Res) => void) => void>
  return new Promise((resolve, reject) => {
    c[method]!.call(c, req, md ?? new grpc.Metadata(), { deadline: Date.now() + server.requestTimeoutMs }, (err, res) => {
      if (err) reject(Object.assign(new Error(err.details), { code: err.code, details: err.details, forwarded: true }))
      else resolve(res)
    })
  })
}

export function closeLeaderClients(): void {
  for (const c of clients.values()) c.close()
  clients.clear()
}
