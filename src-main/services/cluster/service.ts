// The cluster health view's data: per-endpoint status as `etcdctl endpoint status` shows it, the member
// list, alarms, a consistency check (HashKV of every member at one revision) and maintenance actions.

import { AppError, ErrorCode, msg, type AlarmInfo, type ClusterStatus, type EndpointStatus, type HashKvResult, type Target } from '../../shared'
import type { EndpointFacts, VerifyReport } from '../../shared/api/restore'
import type { EtcdClient } from '../etcd/client'
import { diagnoseSplit, verifyCluster } from './checks'
import type { Logger } from '../log'
import type { TargetResolver } from '../targets'

const num = (s: string | undefined): number | undefined => (s === undefined ? undefined : Number(s))

/** How long endpoints may disagree about the leader before the view calls it a problem (an election settles well within it). */
const LEADER_SETTLE_MS = 1500

export class ClusterService {
  constructor(
    private readonly targets: TargetResolver,
    private readonly log: Logger,
  ) {}

  async endpointStatus(client: EtcdClient, endpoint: string, timeoutMs = 3000): Promise<EndpointStatus> {
    const t = performance.now()
    try {
      const s = await client.status(endpoint, timeoutMs)
      return {
        endpoint,
        ok: true,
        memberId: s.header.member_id,
        clusterId: s.header.cluster_id,
        revision: s.header.revision,
        version: s.version,
        dbSize: num(s.dbSize),
        dbSizeInUse: num(s.dbSizeInUse),
        leader: s.leader,
        raftTerm: s.raftTerm,
        raftIndex: s.raftIndex,
        raftAppliedIndex: s.raftAppliedIndex,
        isLearner: s.isLearner,
        errors: s.errors,
        latencyMs: Math.round(performance.now() - t),
      } as EndpointStatus
    } catch (err) {
      return { endpoint, ok: false, error: err instanceof Error ? err.message : String(err), ...(err instanceof AppError && err.msg ? { errorMsg: err.msg } : {}) }
    }
  }

  /** Status and member list of every endpoint, each asked on its own: a split cluster has no single answer. */
  private async sample(client: EtcdClient, endpoints: string[]): Promise<{ statuses: EndpointStatus[]; facts: EndpointFacts[] }> {
    const [statuses, lists] = await Promise.all([
      Promise.all(endpoints.map((e) => this.endpointStatus(client, e))),
      Promise.all(endpoints.map((e) => client.memberList({ endpoint: e, timeoutMs: 3000 }).then((r) => r.members, () => null))),
    ])
    const facts = statuses.map((s, i): EndpointFacts => ({
      endpoint: s.endpoint,
      ok: s.ok && lists[i] !== null,
      ...(s.memberId ? { memberId: s.memberId, clusterId: s.clusterId!, leader: s.leader!, term: s.raftTerm!, revision: s.revision! } : {}),
      ...(lists[i] ? { memberList: lists[i]!.map((m) => ({ id: m.ID, name: m.name, peerURLs: m.peerURLs, clientURLs: m.clientURLs })) } : {}),
    }))
    return { statuses, facts }
  }

  async status(target: Target): Promise<ClusterStatus> {
    const client = await this.targets.client(target)
    const policy = await this.targets.policy(target)
    let { statuses: endpoints, facts } = await this.sample(client, policy.endpoints)
    let split = diagnoseSplit(facts)
    if (split && split.symptoms.every((s) => s === 'leader-disagreement')) {
      // An election can make endpoints disagree for a moment: only a disagreement that lasts is reported.
      await new Promise((r) => setTimeout(r, LEADER_SETTLE_MS))
      ;({ statuses: endpoints, facts } = await this.sample(client, policy.endpoints))
      split = diagnoseSplit(facts)
      if (split?.symptoms.every((s) => s === 'leader-disagreement')) split.headline = `${split.headline} (still after ${LEADER_SETTLE_MS / 1000} s)`
    }
    const result: ClusterStatus = { target, time: Date.now(), clusterId: null, leaderId: null, revision: null, endpoints, members: [], alarms: [], split, views: facts.map((f) => ({ endpoint: f.endpoint, ...(f.clusterId ? { clusterId: f.clusterId } : {}), ...(f.memberId ? { memberId: f.memberId, name: f.memberList?.find((m) => m.id === f.memberId)?.name ?? '' } : {}), ...(f.leader ? { leader: f.leader } : {}), ...(f.memberList ? { members: f.memberList.map((m) => m.id) } : {}) })) }
    const up = endpoints.find((e) => e.ok)
    if (!up) {
      const first = endpoints[0]
      result.error = first?.error ?? 'No endpoint answered.'
      const errorMsg = first?.error !== undefined ? first.errorMsg : msg('conn.cluster.noEndpointAnswered')
      if (errorMsg) result.errorMsg = errorMsg
      return result
    }
    result.leaderId = endpoints.find((e) => e.ok && e.leader !== '0')?.leader ?? null
    // MemberList carries no revision; the newest Status header does.
    result.revision = endpoints.filter((e) => e.ok && e.revision).reduce<string | null>((m, e) => (m === null || BigInt(e.revision!) > BigInt(m) ? e.revision! : m), null)
    const [members, alarms] = await Promise.allSettled([client.memberList(), client.alarmList()])
    if (members.status === 'fulfilled') {
      result.clusterId = members.value.header.cluster_id
      result.members = members.value.members.map((m) => ({ id: m.ID, name: m.name, peerURLs: m.peerURLs, clientURLs: m.clientURLs, isLearner: m.isLearner }))
    }
    if (alarms.status === 'fulfilled') result.alarms = alarms.value.alarms.map((a): AlarmInfo => ({ memberId: a.memberID, alarm: a.alarm }))
    return result
  }

  /** The checks of one healthy cluster on the target's endpoints (no plan). */
  async check(target: Target): Promise<VerifyReport> {
    const client = await this.targets.client(target)
    const policy = await this.targets.policy(target)
    return verifyCluster(client, policy.endpoints)
  }

  /** HashKV of every endpoint at one revision: a mismatch means the members' data diverged. */
  async hashKV(target: Target): Promise<HashKvResult> {
    const client = await this.targets.client(target)
    const policy = await this.targets.policy(target)
    // The revision is taken once, from a linearizable read, so every member hashes the same history.
    const head = await client.range({ key: Buffer.from([0]), count_only: true, limit: 1 })
    const revision = head.header.revision
    const members = await Promise.all(
      policy.endpoints.map(async (endpoint) => {
        try {
          const r = await client.hashKV(endpoint, revision)
          return { endpoint, memberId: r.header.member_id, hash: r.hash, compactRevision: r.compact_revision }
        } catch (err) {
          return { endpoint, error: err instanceof Error ? err.message : String(err), ...(err instanceof AppError && err.msg ? { errorMsg: err.msg } : {}) }
        }
      }),
    )
    const hashes = new Set(members.filter((m) => m.hash !== undefined).map((m) => m.hash))
    return { revision, members, consistent: hashes.size === 1 && members.every((m) => m.hash !== undefined) }
  }

  async defragment(target: Target, endpoint: string, confirmedProduction?: boolean): Promise<EndpointStatus> {
    await this.targets.assertWritable(target, confirmedProduction)
    const client = await this.targets.client(target)
    const t = Date.now()
    await client.defragment(endpoint)
    this.log.info(`defragmented ${endpoint} in ${Date.now() - t} ms`)
    return this.endpointStatus(client, endpoint)
  }

  async compact(target: Target, revision: string | undefined, physical: boolean, confirmedProduction?: boolean): Promise<{ revision: string }> {
    await this.targets.assertWritable(target, confirmedProduction)
    const client = await this.targets.client(target)
    const rev = revision ?? (await client.range({ key: Buffer.from([0]), count_only: true })).header.revision
    await client.compact(rev, physical)
    this.log.info(`compacted to revision ${rev}`)
    return { revision: rev }
  }

  async disarm(target: Target, memberId: string, alarm: 'NOSPACE' | 'CORRUPT', confirmedProduction?: boolean): Promise<AlarmInfo[]> {
    await this.targets.assertWritable(target, confirmedProduction)
    const client = await this.targets.client(target)
    const r = await client.alarmDisarm(memberId, alarm)
    this.log.info(`disarmed ${alarm} on member ${memberId}`)
    return r.alarms.map((a) => ({ memberId: a.memberID, alarm: a.alarm }))
  }

  async moveLeader(target: Target, toMemberId: string, confirmedProduction?: boolean): Promise<void> {
    await this.targets.assertWritable(target, confirmedProduction)
    const client = await this.targets.client(target)
    const policy = await this.targets.policy(target)
    const statuses = await Promise.all(policy.endpoints.map((e) => this.endpointStatus(client, e)))
    const leader = statuses.find((s) => s.ok && s.memberId === s.leader)
    if (!leader) throw new AppError(ErrorCode.Unavailable, msg('conn.cluster.leaderNotHere'), msg('conn.cluster.leaderNotHereHint'))
    if (leader.memberId === toMemberId) throw new AppError(ErrorCode.FailedPrecondition, msg('conn.cluster.alreadyLeader'))
    await client.moveLeader(leader.endpoint, toMemberId)
    this.log.info(`moved leadership from ${leader.memberId} to ${toMemberId}`)
  }
}
