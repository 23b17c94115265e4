/**
 * Membership changes and leader transfer (etcd's AddMember/RemoveMember/UpdateMember/
 * PromoteMember/MoveLeader), with etcd's safety checks before anything is proposed.
 */
import { EtcdError, Errors } from '../errors'
import { memberIdFor } from '../ids'
import type { Member } from './pb'
import type { AuthSource, MembershipHost } from './ports'

export async function memberAdd(server: MembershipHost, peerURLs: string[], isLearner: boolean, auth?: AuthSource): Promise<{ member: Member; members: Member[] }> {
  const member: Member = { ID: memberIdFor(peerURLs, server.clusterToken, Math.floor(Date.now() / 1000)), name: '', peerURLs, clientURLs: [], isLearner }
  server.cluster.checkAdd(member)
  if (!isLearner) checkQuorumAfterAdd(server)
  // etcd: every voting member must have been reachable for the last 5 s (HealthInterval).
  const since = Date.now() - 5000
  for (const v of server.cluster.voters()) {
    if (v === server.localId) continue
    const up = server.connectedSince(v)
    if (up === 0 || up > since) throw Errors.unhealthy()
  }
  const out = await server.propose({ member_change: { kind: 'ADD', member } }, { confChange: { type: isLearner ? 'addLearnerNode' : 'addNode', nodeId: member.ID }, auth })
  return { member, members: (out.result as { members: Member[] }).members }
}

export async function memberRemove(server: MembershipHost, id: string, auth?: AuthSource): Promise<Member[]> {
  server.cluster.checkRemove(id)
  const m = server.cluster.get(id)!
  if (!m.isLearner) checkQuorumAfterRemove(server, id)
  const out = await server.propose({ member_change: { kind: 'REMOVE', member: m } }, { confChange: { type: 'removeNode', nodeId: id }, auth })
  return (out.result as { members: Member[] }).members
}

export async function memberUpdate(server: MembershipHost, id: string, peerURLs: string[], auth?: AuthSource): Promise<Member[]> {
  server.cluster.checkUpdate(id, peerURLs)
  const m = { ...server.cluster.get(id)!, peerURLs }
  const out = await server.propose({ member_change: { kind: 'UPDATE', member: m } }, { auth })
  return (out.result as { members: Member[] }).members
}

export async function memberPromote(server: MembershipHost, id: string, auth?: AuthSource): Promise<Member[]> {
  server.cluster.checkPromote(id)
  if (!server.isLeader()) throw Errors.notLeader()
  const st = server.raftStatus()
  const pr = st.progress.get(id)
  // etcd promotes only a learner whose log is within 90% of the leader's.
  if (!pr || pr.match < st.commit * 0.9) throw Errors.learnerNotReady()
  const m = { ...server.cluster.get(id)!, isLearner: false }
  const out = await server.propose({ member_change: { kind: 'PROMOTE', member: m } }, { confChange: { type: 'addNode', nodeId: id }, auth })
  return (out.result as { members: Member[] }).members
}

/** etcd's strict reconfiguration check: adding a voter must not lose quorum among started members. */
function checkQuorumAfterAdd(server: MembershipHost): void {
  if (!server.isLeader()) return
  const voters = server.cluster.voters()
  const active = activeVoters(server, voters)
  const newSize = voters.length + 1
  if (active < Math.floor(newSize / 2) + 1) throw Errors.memberNotEnoughStarted()
}

function checkQuorumAfterRemove(server: MembershipHost, id: string): void {
  if (!server.isLeader()) return
  const voters = server.cluster.voters().filter((v) => v !== id)
  const active = activeVoters(server, voters)
  if (voters.length > 0 && active < Math.floor(voters.length / 2) + 1) throw Errors.memberNotEnoughStarted()
}

function activeVoters(server: MembershipHost, voters: string[]): number {
  const progress = server.raftStatus().progress
  return voters.filter((v) => v === server.localId || progress.get(v)?.recentActive).length
}

export async function moveLeader(server: MembershipHost, target: string): Promise<void> {
  if (!server.isLeader()) throw Errors.notLeader()
  const m = server.cluster.get(target)
  if (!m || m.isLearner) throw Errors.badLeaderTransferee()
  if (target === server.localId) return
  server.transferLeader(target)
  if (!(await server.untilLeader(target, server.requestTimeoutMs))) throw new EtcdError(14, 'etcdserver: request timed out, leader transfer took too long')
}
