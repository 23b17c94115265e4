/** etcdserverpb.Cluster: MemberAdd (incl. learners), MemberRemove, MemberUpdate, MemberList, MemberPromote. */
import type * as grpc from '@grpc/grpc-js'
import { Errors } from '../errors'
import { memberAdd, memberRemove, memberUpdate } from '../server/membership'
import type { ApiContext, LeaderAnswers, MembershipHost } from '../server/ports'
import { authOf, requireAdmin, unary } from './handler'

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

export type ClusterHost = ApiContext & MembershipHost & LeaderAnswers

export function clusterService(server: ClusterHost): grpc.UntypedServiceImplementation {
  return {
    MemberList: unary(server, async () => ({ header: server.header(), members: server.cluster.list() })),
    MemberAdd: unary(server, async (req: { peerURLs: string[]; isLearner: boolean }, call) => {
      // etcd parses the URLs before it checks who is asking.
      checkUrls(req.peerURLs)
      requireAdmin(server.state.auth, call.metadata)
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
      if (!server.cluster.get(req.ID)) throw Errors.memberNotFound()
      // etcd 3.4 does not check these and every member exits applying URLs that do not parse.
      checkUrls(req.peerURLs)
      const members = await memberUpdate(server, req.ID, req.peerURLs, authOf(server.state.auth, call.metadata))
      return { header: server.header(), members }
    }),
    MemberPromote: unary(server, async (req: { ID: string }, call) => {
      requireAdmin(server.state.auth, call.metadata)
      // A follower asks the leader over the peer port: only it knows how far the learner is.
      const members = await server.promoteMember(req.ID, authOf(server.state.auth, call.metadata))
      return { header: server.header(), members }
    }),
  }
}
