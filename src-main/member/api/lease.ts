/** etcdserverpb.Lease: Grant, Revoke, KeepAlive (stream), TimeToLive, Leases. */
import type * as grpc from '@grpc/grpc-js'
import { EtcdError, Errors } from '../errors'
import type { ApiContext, LeaderLookup, Proposing, QuotaCheck, Roles } from '../server/ports'
import { authOf, toServiceError, unary } from './handler'
import { forwardUnary, leaderClient } from './leaderClient'
import { rejectIfLearner } from './learner'

const MAX_INT63 = (1n << 63n) - 1n

/** Errors a forwarded call came back with keep their code and message. */
function rethrow(err: unknown): never {
  const e = err as { code?: number; details?: string; forwarded?: boolean }
  if (e.forwarded && e.code !== undefined) throw new EtcdError(e.code, e.details ?? '')
  throw err
}

export type LeaseHost = ApiContext & Proposing & QuotaCheck & Roles & LeaderLookup & { nextId(): bigint }

export function leaseService(server: LeaseHost): grpc.UntypedServiceImplementation {
  const lessor = () => server.state.lessor
  return {
    LeaseGrant: unary(server, async (req: { TTL: string; ID: string }, call) => {
      rejectIfLearner(server)
      await server.checkQuota(0)
      let id = req.ID
      if (id === '0') {
        // As etcd: IDs from the member's ID generator, kept positive as int64.
        do id = (server.nextId() & MAX_INT63).toString()
        while (lessor().leases.has(id) || id === '0')
      }
      const out = await server.propose({ lease_grant: { TTL: req.TTL, ID: id } }, { auth: authOf(server.state.auth, call.metadata) })
      return { header: server.header(out.revision), ...(out.result as object) }
    }),
    LeaseRevoke: unary(server, async (req: { ID: string }, call) => {
      rejectIfLearner(server)
      const out = await server.propose({ lease_revoke: { ID: req.ID } }, { auth: authOf(server.state.auth, call.metadata) })
      return { header: server.header(out.revision) }
    }),
    LeaseTimeToLive: unary(server, async (req: { ID: string; keys: boolean }) => {
      if (!server.isLeader()) return forwardUnary(server, 'Lease', 'LeaseTimeToLive', req).catch(rethrow)
      const l = lessor().leases.get(req.ID)
      if (!l) return { header: server.header(), ID: req.ID, TTL: '-1', grantedTTL: '0', keys: [] }
      return {
        header: server.header(),
        ID: req.ID,
        TTL: String(lessor().remaining(req.ID)),
        grantedTTL: String(l.ttl),
        keys: req.keys ? server.state.store.keysOfLease(req.ID).map((k) => Buffer.from(k, 'latin1')) : [],
      }
    }),
    LeaseLeases: unary(server, async () => {
      const leases = [...lessor().leases.keys()].map((ID) => ({ ID }))
      return { header: server.header(), leases }
    }),
    LeaseKeepAlive: (call: grpc.ServerDuplexStream<{ ID: string }, unknown>) => {
      let upstream: grpc.ClientDuplexStream<{ ID: string }, unknown> | undefined
      const fail = (err: unknown): void => {
        call.emit('error', toServiceError(err))
      }
      call.on('data', (req: { ID: string }) => {
        if (server.isLeader()) {
          try {
            const ttl = lessor().renew(req.ID)
            call.write({ header: server.header(), ID: req.ID, TTL: String(ttl) })
          } catch (err) {
            // etcd answers a keep-alive for an unknown lease with TTL 0 (the client reports it expired).
            if (err instanceof EtcdError && err.message === Errors.leaseNotFound().message) call.write({ header: server.header(), ID: req.ID, TTL: '0' })
            else fail(err)
          }
          return
        }
        // Follower: relay over one stream to the leader, like etcd's lease forwarding.
        try {
          if (!upstream) {
            const c = leaderClient(server, 'Lease') as unknown as { LeaseKeepAlive: () => grpc.ClientDuplexStream<{ ID: string }, unknown> }
            upstream = c.LeaseKeepAlive()
            upstream.on('data', (res) => call.write(res))
            upstream.on('error', () => {
              upstream = undefined
            })
          }
          upstream.write(req)
        } catch (err) {
          fail(err)
        }
      })
      call.on('end', () => {
        upstream?.end()
        call.end()
      })
      call.on('error', () => upstream?.cancel())
    },
  }
}
