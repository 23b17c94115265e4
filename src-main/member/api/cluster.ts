/** etcdserverpb.Cluster: MemberAdd (incl. learners), MemberRemove, MemberUpdate, MemberList, MemberPromote. */
import type * as grpc from '@grpc/grpc-js'
import { EtcdError, Errors } from '../errors'
import { memberAdd, memberPromote, memberRemove, memberUpdate } from '../server/membership'
import type { ApiContext, LeaderLookup, MembershipHost } from '../server/ports'
import { authOf, requireAdmin, unary } from './handler'
import { forwardUnary } from './leaderClient'

function checkUrls(urls: string[]): void {
  if (urls.length === 0) throw Errors.memberBadURLs()
  for (const u of urls) {
    try {
      const url = new URL(u)
      if (!url.port || (url.protocol !== 'http:' && url.protocol !== 'https:')) throw new Error()
    } catch {
      throw Errors.memberBadURLs()
    }
  }
}

export type ClusterHost = ApiContext & MembershipHost & LeaderLookup

export function clusterService(server: ClusterHost): grpc.UntypedServiceImplementation {
  return {
    MemberList: unary(server, async () => ({ header: server.header(), members: server.cluster.list() })),
    MemberAdd: unary(server, async (req: { peerURLs: string[]; isLearner: boolean }, call) => {
      requireAdmin(server.state.auth, call.metadata)
      checkUrls(req.peerURLs)
      const { member, members } = await memberAdd(server, req.peerURLs, req.isLearner, authOf(server.state.auth, call.metadata))
      return { header: server.header(), member, members }
    }),
    MemberRemove: unary(server, async (req: { ID: string }, call) => {
      requireAdmin(server.state.auth, call.metadata)
      const members = await memberRemove(server, req.ID, authOf(server.state.auth, call.metadata))
      return { header: server.header(), members }
    }),
    MemberUpdate: unary(server, async (req: { ID: string; peerURLs: string[] }, call) => {
      requireAdmin(server.state.auth, call.metadata)
      checkUrls(req.peerURLs)
      const members = await memberUpdate(server, req.ID, req.peerURLs, authOf(server.state.auth, call.metadata))
      return { header: server.header(), members }
    }),
    MemberPromote: unary(server, async (req: { ID: string }, call) => {
      requireAdmin(server.state.auth, call.metadata)
      if (!server.isLeader()) {
        // Only the leader knows how far the learner has caught up: ask it.
        server.cluster.checkPromote(req.ID)
        return forwardUnary(server, 'Cluster', 'MemberPromote', req, call.metadata).catch((err: { code?: number; details?: string }) => {
          throw new EtcdError(err.code ?? 2, err.details ?? String(err))
        })
      }
      const members = await memberPromote(server, req.ID, authOf(server.state.auth, call.metadata))
      return { header: server.header(), members }
    }),
  }
}
