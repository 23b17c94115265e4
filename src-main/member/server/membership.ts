/**
 * Membership changes and leader transfer (etcd's AddMember/RemoveMember/UpdateMember/
 * PromoteMember/MoveLeader), with etcd's safety checks before anything is proposed.
 */
import { EtcdError, Errors } from '../errors'
import { memberIdFor } from '../ids'
import type { EtcdServer } from './etcdServer'
import type { Member } from './pb'

export async function memberAdd(server: EtcdServer, peerURLs: string[], isLearner: boolean): Promise<{ member: Member; members: Member[] }> {
  const member: Member = { ID: memberIdFor(peerURLs, server.cfg.initialClusterToken, Math.floor(Date.now() / 1000)), name: '', peerURLs, clientURLs: [], isLearner }
  server.sm.cluster.checkAdd(member)
  if (!isLearner) checkQuorumAfterAdd(server)
  // etcd: every voting member must have been reachable for the last 5 s (HealthInterval).
  const since = Date.now() - 5000
  for (const v of server.sm.cluster.voters()) {
    if (v === server.localId) continue
    const up = server.transport.connectedSince(v)
    if (up === 0 || up > since) throw Errors.unhealthy()
  }
  const out = await server.propose({ member_change: { kind: 'ADD', member } }, { type: isLearner ? 'addLearnerNode' : 'addNode', nodeId: member.ID })
  return { member, members: (out.result as { members: Member[] }).members }
}

export async function memberRemove(server: EtcdServer, id: string): Promise<Member[]> {
  server.sm.cluster.checkRemove(id)
  const m = server.sm.cluster.get(id)!
  if (!m.isLearner) checkQuorumAfterRemove(server, id)
  const out = await server.propose({ member_change: { kind: 'REMOVE', member: m } }, { type: 'removeNode', nodeId: id })
  return (out.result as { members: Member[] }).members
}

export async function memberUpdate(server: EtcdServer, id: string, peerURLs: string[]): Promise<Member[]> {
  server.sm.cluster.checkUpdate(id, peerURLs)
  const m = { ...server.sm.cluster.get(id)!, peerURLs }
  const out = await server.propose({ member_change: { kind: 'UPDATE', member: m } })
  return (out.result as { members: Member[] }).members
}

export async function memberPromote(server: EtcdServer, id: string): Promise<Member[]> {
  server.sm.cluster.checkPromote(id)
  if (!server.isLeader()) throw Errors.notLeader()
  const st = server.raft.status()
  const pr = st.progress.get(id)
  // etcd promotes only a learner whose log is within 90% of the leader's.
  if (!pr || pr.match < st.commit * 0.9) throw Errors.learnerNotReady()
  const m = { ...server.sm.cluster.get(id)!, isLearner: false }
  const out = await server.propose({ member_change: { kind: 'PROMOTE', member: m } }, { type: 'addNode', nodeId: id })
  return (out.result as { members: Member[] }).members
}

/** etcd's strict reconfiguration check: adding a voter must not lose quorum among started members. */
function checkQuorumAfterAdd(server: EtcdServer): void {
  if (!server.isLeader()) return
  const voters = server.sm.cluster.voters()
  const active = activeVoters(server, voters)
  const newSize = voters.length + 1
  if (active < Math.floor(newSize / 2) + 1) throw Errors.memberNotEnoughStarted()
}

function checkQuorumAfterRemove(server: EtcdServer, id: string): void {
  if (!server.isLeader()) return
  const voters = server.sm.cluster.voters().filter((v) => v !== id)
  const active = activeVoters(server, voters)
  if (voters.length > 0 && active < Math.floor(voters.length / 2) + 1) throw Errors.memberNotEnoughStarted()
}

function activeVoters(server: EtcdServer, voters: string[]): number {
  const progress = server.raft.status().progress
  return voters.filter((v) => v === server.localId || progress.get(v)?.recentActive).length
}

export async function moveLeader(server: EtcdServer, target: string): Promise<void> {
  if (!server.isLeader()) throw Errors.notLeader()
  const m = server.sm.cluster.get(target)
  if (!m || m.isLearner) throw Errors.badLeaderTransferee()
  if (target === server.localId) return
  server.raft.transferLeader(target)
  const deadline = Date.now() + server.requestTimeoutMs
  while (server.lead !== target) {
    if (Date.now() > deadline) throw new EtcdError(14, 'etcdserver: request timed out, leader transfer took too long')
    await new Promise((r) => setTimeout(r, 20))
  }
}
