/** etcdserverpb.Lease: Grant, Revoke, KeepAlive (stream), TimeToLive, Leases. */
import type * as grpc from '@grpc/grpc-js'
import type { ApiContext, LeaderAnswers, Proposing, QuotaCheck, Roles } from '../server/ports'
import { authOf, toServiceError, unary } from './handler'

const MAX_INT63 = (1n << 63n) - 1n

/** Keep-alives of one stream waiting to be answered; beyond this the stream is not read until they are. */
const MAX_PENDING_KEEPALIVES = 64

export type LeaseHost = ApiContext & Proposing & QuotaCheck & Roles & LeaderAnswers & { nextId(): bigint }

export function leaseService(server: LeaseHost): grpc.UntypedServiceImplementation {
  const lessor = () => server.state.lessor
  return {
    LeaseGrant: unary(server, async (req: { TTL: string; ID: string }, call) => {
      // A TTL over etcd's maximum is refused when applied (after the token is checked), as in etcd.
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
      const out = await server.propose({ lease_revoke: { ID: req.ID } }, { auth: authOf(server.state.auth, call.metadata) })
      return { header: server.header(out.revision) }
    }),
    // Only the leader's clock knows what is left; a follower asks it over the peer port.
    LeaseTimeToLive: unary(server, async (req: { ID: string; keys: boolean }) => ({ header: server.header(), ...(await server.leaseTimeToLive(req.ID, req.keys)) })),
    LeaseLeases: unary(server, async () => {
      const leases = [...lessor().leases.keys()].map((ID) => ({ ID }))
      return { header: server.header(), leases }
    }),
    /**
     * Each keep-alive is answered in order with the new TTL (0: the lease is gone or expired, as
     * etcd). On a follower it is forwarded to the leader over the peer port; a keep-alive that
     * cannot be answered (no leader in time) ends the stream with the error, as etcd does,
     * instead of leaving the client waiting.
     */
    LeaseKeepAlive: (call: grpc.ServerDuplexStream<{ ID: string }, unknown>) => {
      let chain: Promise<void> = Promise.resolve()
      let pending = 0
      let failed = false
      call.on('data', (req: { ID: string }) => {
        if (failed) return
        pending++
        if (pending >= MAX_PENDING_KEEPALIVES) call.pause()
        chain = chain
          .then(async () => {
            if (failed) return
            const ttl = await server.renewLease(req.ID)
            if (!call.writableEnded && !call.destroyed) call.write({ header: server.header(), ID: req.ID, TTL: String(ttl) })
          })
          .catch((err: unknown) => {
            if (failed) return
            failed = true
            call.emit('error', toServiceError(err))
          })
          .finally(() => {
            pending--
            if (pending < MAX_PENDING_KEEPALIVES / 2) call.resume()
          })
      })
      call.on('end', () => {
        void chain.then(() => {
          if (!call.writableEnded) call.end()
        })
      })
    },
  }
}
