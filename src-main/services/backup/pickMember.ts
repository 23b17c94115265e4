// Which member a run takes its snapshot from. A snapshot is one member's backend at one moment, so the
// member matters: it must answer, carry no alarm (a NOSPACE or CORRUPT member's data is suspect), see
// a leader, and among those the one with the highest applied index is the freshest. Voters before
// learners, then the leader on a tie. The reason is written down with the choice.

import { AppError, ErrorCode, formatMessage, msg, type Msg } from '../../shared'
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
  /** In English (the manifest's `pickReason`, the CLI, the log) and as a message the UI translates. */
  reason: string
  reasonMsg: Msg
}

export class NoHealthyMemberError extends AppError {
  constructor(
    message: Msg,
    hint: Msg,
    readonly unreachable: boolean,
    readonly authFailed: boolean,
  ) {
    super(ErrorCode.Unavailable, message, hint)
  }
}

const hex = (id: string) => BigInt(id).toString(16)
type PlainCause = 'ECONNREFUSED' | 'ECONNRESET' | 'ETIMEDOUT' | 'EHOSTUNREACH' | 'ENETUNREACH' | 'ENOTFOUND' | 'EAI_AGAIN'
/** "connection refused" instead of grpc's paragraph about subchannels, when the cause is that plain. */
function why(err: Error | null): Msg | string {
  if (!err) return msg('backup.pick.cause.unknown')
  const code = /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN)\b/.exec(err.message)?.[1] as PlainCause | undefined
  return code ? msg(`backup.pick.cause.${code}`) : err.message.replace(/\.$/, '')
}

/** Items of a list joined in the reader's punctuation ("a; b; c" in English). */
const joined = (items: Msg[]): Msg => items.reduce((a, b) => msg('backup.pick.join', { a, b }))

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
    const [list, alarmList] = await Promise.allSettled([client.memberList(), client.alarmList()])
    if (list.status === 'fulfilled') names = new Map(list.value.members.map((m) => [m.ID, m.name]))
    else if (isAuth(list.reason)) authError = list.reason as Error
    if (alarmList.status === 'fulfilled') alarms = alarmList.value.alarms.filter((a) => a.alarm !== 'NONE')
    else if (isAuth(alarmList.reason)) authError ??= alarmList.reason as Error
  }
  authError ??= results.find((r) => isAuth(r.error))?.error ?? null
  if (authError)
    throw new NoHealthyMemberError(msg('backup.pick.authRefused', { detail: authError.message }), msg('backup.pick.authRefusedHint'), false, true)

  const excluded: Msg[] = []
  const healthy: { endpoint: string; st: StatusResponse }[] = []
  for (const r of results) {
    if (!r.status) {
      excluded.push(msg('backup.pick.skipped.noAnswer', { endpoint: r.endpoint, why: why(r.error) }))
      continue
    }
    const id = r.status.header.member_id
    const label = msg('backup.pick.label', { name: names.get(id) || hex(id), endpoint: r.endpoint })
    const alarm = alarms.find((a) => a.memberID === id)
    if (alarm) excluded.push(msg('backup.pick.skipped.alarm', { member: label, alarm: alarm.alarm }))
    else if (r.status.errors?.length) excluded.push(msg('backup.pick.skipped.errors', { member: label, errors: r.status.errors.join('; ') }))
    else if (r.status.leader === '0') excluded.push(msg('backup.pick.skipped.noLeader', { member: label }))
    else healthy.push({ endpoint: r.endpoint, st: r.status })
  }
  if (healthy.length === 0) {
    const unreachable = results.every((r) => !r.status)
    throw new NoHealthyMemberError(
      unreachable ? msg('backup.pick.noAnswer', { skipped: joined(excluded) }) : msg('backup.pick.noneHealthy', { skipped: joined(excluded) }),
      unreachable ? msg('backup.pick.noAnswerHint') : msg('backup.pick.noneHealthyHint'),
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
  const member = names.get(id) || hex(id)
  const index = String(best.st.raftAppliedIndex)
  let reasonMsg = healthy.length > 1 ? msg('backup.pick.highest', { member, index, healthy: healthy.length }) : msg('backup.pick.only', { member, index })
  if (isLeader) reasonMsg = msg('backup.pick.leader', { reason: reasonMsg })
  if (excluded.length) reasonMsg = msg('backup.pick.withSkipped', { reason: reasonMsg, skipped: joined(excluded) })
  return {
    endpoint: best.endpoint,
    memberId: id,
    memberName: names.get(id) || null,
    clusterId: best.st.header.cluster_id,
    etcdVersion: best.st.version,
    dbSize: Number(best.st.dbSize),
    appliedIndex: BigInt(best.st.raftAppliedIndex),
    reason: formatMessage(reasonMsg),
    reasonMsg,
  }
}
