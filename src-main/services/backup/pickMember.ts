// Which member a run takes its snapshot from. A snapshot is one member's backend at one moment, so the
// member matters: it must answer, carry no alarm (a NOSPACE or CORRUPT member's data is suspect), see
// a leader, and among those the one with the highest applied index is the freshest. Voters before
// learners, then the leader on a tie. The reason is written down with the choice.

import { AppError, ErrorCode } from '../../shared'
import type { EtcdClient } from '../etcd/client'
import { EtcdError } from '../etcd/errors'
import type { StatusResponse } from '../etcd/messages'

export interface PickedMember {
  endpoint: string
  memberId: string
  memberName: string | null
  clusterId: string
  etcdVersion: string
  dbSize: number
  appliedIndex: bigint
  reason: string
}

export class NoHealthyMemberError extends AppError {
  constructor(
    message: string,
    hint: string,
    readonly unreachable: boolean,
    readonly authFailed: boolean,
  ) {
    super(ErrorCode.Unavailable, message, hint)
  }
}

const hex = (id: string) => BigInt(id).toString(16)
/** "connection refused" instead of grpc's paragraph about subchannels, when the cause is that plain. */
function why(err: Error | null): string {
  const m = err?.message ?? 'unknown error'
  const code = /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN)\b/.exec(m)?.[1]
  const plain: Record<string, string> = { ECONNREFUSED: 'connection refused', ECONNRESET: 'connection reset', ETIMEDOUT: 'timed out', EHOSTUNREACH: 'host unreachable', ENETUNREACH: 'network unreachable', ENOTFOUND: 'unknown host', EAI_AGAIN: 'name lookup failed' }
  return code ? plain[code]! : m.replace(/\.$/, '')
}

const isAuth = (err: unknown) => err instanceof EtcdError && (err.kind === 'auth-failed' || err.kind === 'permission-denied' || err.kind === 'auth-not-enabled')

export async function pickMember(client: EtcdClient, endpoints: string[], timeoutMs = 3000): Promise<PickedMember> {
  // Through an SSH tunnel: bring it up first, outside the per-member deadline (a tunnel failure is reported as such).
  await client.ready()
  const results = await Promise.all(
    endpoints.map(async (endpoint) => {
      try {
        return { endpoint, status: await client.status(endpoint, timeoutMs), error: null as Error | null }
      } catch (err) {
        return { endpoint, status: null as StatusResponse | null, error: err as Error }
      }
    }),
  )
  // Names and alarms are cluster-wide; ask once, and carry on without them when they fail.
  let names = new Map<string, string>()
  let alarms: { memberID: string; alarm: string }[] = []
  let authError: Error | null = null
  if (results.some((r) => r.status)) {
    try {
      names = new Map((await client.memberList()).members.map((m) => [m.ID, m.name]))
    } catch (err) {
      if (isAuth(err)) authError = err as Error
    }
    try {
      alarms = (await client.alarmList()).alarms.filter((a) => a.alarm !== 'NONE')
    } catch (err) {
      if (isAuth(err)) authError ??= err as Error
    }
  }
  authError ??= results.find((r) => isAuth(r.error))?.error ?? null
  if (authError)
    throw new NoHealthyMemberError(`The cluster refused the credentials: ${authError.message}`, 'Check the user name and password of the connection (a snapshot needs the root user when auth is on).', false, true)

  const excluded: string[] = []
  const healthy: { endpoint: string; st: StatusResponse }[] = []
  for (const r of results) {
    if (!r.status) {
      excluded.push(`${r.endpoint}: no answer (${why(r.error)})`)
      continue
    }
    const id = r.status.header.member_id
    const label = `${names.get(id) || hex(id)} (${r.endpoint})`
    const alarm = alarms.find((a) => a.memberID === id)
    if (alarm) excluded.push(`${label}: ${alarm.alarm} alarm`)
    else if (r.status.errors?.length) excluded.push(`${label}: reports ${r.status.errors.join('; ')}`)
    else if (r.status.leader === '0') excluded.push(`${label}: sees no leader`)
    else healthy.push({ endpoint: r.endpoint, st: r.status })
  }
  if (healthy.length === 0) {
    const unreachable = results.every((r) => !r.status)
    throw new NoHealthyMemberError(
      unreachable ? `No member of the cluster answered: ${excluded.join('; ')}.` : `No member is healthy enough to take a snapshot from: ${excluded.join('; ')}.`,
      unreachable ? 'Check that etcd runs at these endpoints and that this machine can reach them (raftdeck doctor explains each step).' : 'Clear the alarms (etcdctl alarm disarm) or repair the members, then run again.',
      unreachable,
      false,
    )
  }
  healthy.sort((a, b) => {
    const d = BigInt(b.st.raftAppliedIndex) - BigInt(a.st.raftAppliedIndex)
    if (d !== 0n) return d > 0n ? 1 : -1
    if (a.st.isLearner !== b.st.isLearner) return a.st.isLearner ? 1 : -1
    const al = a.st.leader === a.st.header.member_id ? 0 : 1
    const bl = b.st.leader === b.st.header.member_id ? 0 : 1
    return al - bl
  })
  const best = healthy[0]!
  const id = best.st.header.member_id
  const isLeader = best.st.leader === id
  const reason =
    `${names.get(id) || hex(id)} answers, sees a leader and has no alarm; its applied index ${best.st.raftAppliedIndex} ` +
    `${healthy.length > 1 ? `is the highest of ${healthy.length} healthy members` : '(the only healthy member)'}${isLeader ? '; it is the leader' : ''}` +
    `${excluded.length ? `. Skipped: ${excluded.join('; ')}` : ''}`
  return {
    endpoint: best.endpoint,
    memberId: id,
    memberName: names.get(id) || null,
    clusterId: best.st.header.cluster_id,
    etcdVersion: best.st.version,
    dbSize: Number(best.st.dbSize),
    appliedIndex: BigInt(best.st.raftAppliedIndex),
    reason,
  }
}
