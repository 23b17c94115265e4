// The checks that say whether a set of endpoints is one healthy cluster, and, after a restore, the
// cluster the plan predicted. One code path for three targets: the cluster view (no plan: it looks for
// a split cluster on every refresh), the rehearsal's playground and production's endpoints after the
// restore. Every failed check names its cause and its fix.
//
// Facts are gathered per endpoint (Status and MemberList pinned to that endpoint), because a split
// cluster is exactly the case where "the cluster" has no single answer.

import type { SplitDiagnosis, SplitSymptom } from '../../shared'
import type { CheckResult, EndpointFacts, VerifyReport } from '../../shared/api/restore'
import { DEFAULT_MEMBER_ID } from '../../shared/api/restoreRules'
import { formatMessage, msg, type Msg } from '../../shared/i18n/message'
import type { EtcdClient } from '../etcd/client'

/** What the plan predicts (IDs as decimal strings, like the API's). */
export interface Expectations {
  planId: string
  clusterId: string
  members: { name: string; id: string; peerURLs: string[]; clientURLs: string[] }[]
  snapshotRevision: number
  bump: number
  liveKeys: number
}

/** Per-endpoint numbers gathered after the facts: key count and HashKV. */
export interface Measurements {
  counts: Map<string, { count: number; revision: number } | { error: string }>
  hash: { revision: string; byEndpoint: Map<string, { hash: number; compactRevision: string } | { error: string }> } | null
  alarms: { memberId: string; alarm: string }[] | { error: string }
}

const hex = (dec: string | undefined) => (dec && dec !== '0' ? BigInt(dec).toString(16) : '—')
const errText = (err: unknown) => (err instanceof Error ? err.message : String(err))
/** scheme://host:port, lowercased, no trailing slash: how endpoints are matched to members. */
export const canonicalEndpoint = (u: string) => {
  const m = /^(https?):\/\/([^/]+?)\/*$/i.exec(u.trim())
  return m ? `${m[1]!.toLowerCase()}://${m[2]!.toLowerCase()}` : u.trim().toLowerCase()
}

/**
 * Status and member list of every endpoint. With `settle`, an endpoint whose connection is down or backing
 * off is waited for up to `timeoutMs` (a member that was just started is given time to come up) instead of
 * being reported unreachable at once.
 */
export async function gatherFacts(client: EtcdClient, endpoints: string[], expect?: Expectations, timeoutMs = 3000, settle = false): Promise<EndpointFacts[]> {
  const owner = new Map<string, string>()
  for (const m of expect?.members ?? []) for (const u of m.clientURLs) owner.set(canonicalEndpoint(u), m.name)
  return Promise.all(
    endpoints.map(async (endpoint): Promise<EndpointFacts> => {
      const member = owner.get(canonicalEndpoint(endpoint))
      const base: EndpointFacts = { endpoint, ok: false, ...(member ? { member } : {}) }
      try {
        const [st, list] = await Promise.all([client.status(endpoint, timeoutMs, settle), client.memberList({ endpoint, timeoutMs, ...(settle ? { waitForReady: true } : {}) })])
        return {
          ...base,
          ok: true,
          memberId: st.header.member_id,
          clusterId: st.header.cluster_id,
          leader: st.leader,
          term: st.raftTerm,
          revision: st.header.revision,
          version: st.version,
          memberList: list.members.map((m) => ({ id: m.ID, name: m.name, peerURLs: m.peerURLs, clientURLs: m.clientURLs })),
        }
      } catch (err) {
        return { ...base, error: errText(err) }
      }
    }),
  )
}

export async function measure(client: EtcdClient, facts: EndpointFacts[], withCounts: boolean): Promise<Measurements> {
  const up = facts.filter((f) => f.ok)
  const counts = new Map<string, { count: number; revision: number } | { error: string }>()
  const alarmsP = client.alarmList().then(
    (r) => r.alarms.map((a) => ({ memberId: a.memberID, alarm: a.alarm })),
    (err: unknown) => ({ error: errText(err) }),
  )
  if (withCounts)
    await Promise.all(
      up.map(async (f) => {
        try {
          // Serializable: each member answers from its own data, which is what a split cluster needs.
          const r = await client.range({ key: Buffer.from([0]), range_end: Buffer.from([0]), count_only: true, serializable: true }, { endpoint: f.endpoint, timeoutMs: 10_000 })
          counts.set(f.endpoint, { count: Number(r.count), revision: Number(r.header.revision) })
        } catch (err) {
          counts.set(f.endpoint, { error: errText(err) })
        }
      }),
    )
  let hash: Measurements['hash'] = null
  if (up.length > 0) {
    // The lowest revision any member reported: every member has applied it. etcd refuses HashKV at the
    // compaction revision itself (right after a --mark-compacted restore that is the current one); then
    // every member hashes its current revision, which must be the same one for the hashes to compare.
    let revision = up.map((f) => BigInt(f.revision ?? '0')).reduce((a, b) => (b < a ? b : a)).toString()
    for (let attempt = 0; attempt < 4; attempt++) {
      const byEndpoint = new Map<string, { hash: number; compactRevision: string } | { error: string }>()
      const at = new Set<string>()
      let compacted = false
      await Promise.all(
        up.map(async (f) => {
          try {
            const r = await client.hashKV(f.endpoint, revision)
            byEndpoint.set(f.endpoint, { hash: r.hash, compactRevision: r.compact_revision })
            at.add(r.header.revision)
          } catch (err) {
            if ((err as { kind?: string }).kind === 'compacted') compacted = true
            byEndpoint.set(f.endpoint, { error: errText(err) })
          }
        }),
      )
      if (compacted && revision !== '0') {
        revision = '0'
        continue
      }
      if (revision === '0' && at.size > 1) {
        if (attempt < 3) continue
        for (const k of byEndpoint.keys()) byEndpoint.set(k, { error: 'writes kept moving the members to different revisions while they hashed' })
      }
      hash = { revision: revision === '0' ? [...at][0] ?? '0' : revision, byEndpoint }
      break
    }
  }
  return { counts, hash, alarms: await alarmsP }
}

/** A check whose texts are catalog messages (the UI's language), with their English for the CLI and logs. */
interface Draft {
  id: CheckResult['id']
  status: CheckResult['status']
  title: Msg
  summary: Msg
  cause?: Msg
  fix?: Msg
  details?: (string | Msg)[]
}

function result(d: Draft): CheckResult {
  const c: CheckResult = { id: d.id, title: formatMessage(d.title), status: d.status, summary: formatMessage(d.summary) }
  if (d.cause) c.cause = formatMessage(d.cause)
  if (d.fix) c.fix = formatMessage(d.fix)
  const details = d.details?.map((x) => (typeof x === 'string' ? msg('restore.checks.plain', { text: x }) : x))
  if (details) c.details = details.map(formatMessage)
  c.msgs = { title: d.title, summary: d.summary, ...(d.cause ? { cause: d.cause } : {}), ...(d.fix ? { fix: d.fix } : {}), ...(details ? { details } : {}) }
  return c
}

/** Messages joined with '; ' (or ', '), as one message: each part stays translatable. */
function joined(parts: Msg[], sep: 'semi' | 'comma' = 'semi'): Msg {
  const key = sep === 'semi' ? 'restore.checks.joinSemi' : 'restore.checks.joinComma'
  return parts.slice(0, -1).reduceRight<Msg>((rest, part) => msg(key, { a: part, b: rest }), parts[parts.length - 1]!)
}

const RESTART_FIX = msg('restore.checks.restartFix')

function label(f: EndpointFacts): string {
  return f.member ? `${f.member} (${f.endpoint})` : f.endpoint
}

/** Why several members lead (or disagree), from the IDs they report. */
function splitCause(up: EndpointFacts[]): Msg {
  const ids = new Map<string, number>()
  for (const f of up) ids.set(f.memberId!, (ids.get(f.memberId!) ?? 0) + 1)
  const repeated = [...ids.entries()].filter(([, n]) => n > 1)
  const clusters = new Set(up.map((f) => f.clusterId))
  if (repeated.length > 0) {
    const [id] = repeated[0]!
    return msg('restore.checks.splitSharedId', { id: hex(id), note: hex(id) === DEFAULT_MEMBER_ID ? msg('restore.checks.splitDefaultNote', { id: DEFAULT_MEMBER_ID }) : '' })
  }
  if (clusters.size === up.length) return msg('restore.checks.splitOwnIds')
  if (clusters.size > 1) return msg('restore.checks.splitDifferentIds')
  return msg('restore.checks.splitMembers')
}

export function evaluate(facts: EndpointFacts[], m: Measurements | null, expect?: Expectations): CheckResult[] {
  const checks: CheckResult[] = []
  const up = facts.filter((f) => f.ok)
  const down = facts.filter((f) => !f.ok)
  const push = (c: Draft) => checks.push(result(c))
  const title = {
    reachable: msg('restore.checks.title.reachable'),
    leader: msg('restore.checks.title.oneLeader'),
    clusterId: expect ? msg('restore.checks.title.plannedClusterId') : msg('restore.checks.title.oneClusterId'),
    memberIds: expect ? msg('restore.checks.title.plannedMemberIds') : msg('restore.checks.title.distinctMemberIds'),
    memberList: expect ? msg('restore.checks.title.plannedMemberList') : msg('restore.checks.title.oneMemberList'),
    revision: msg('restore.checks.title.revision'),
    keyCount: msg('restore.checks.title.keyCount'),
    hashkv: msg('restore.checks.title.hashkv'),
    alarms: msg('restore.checks.title.alarms'),
  }

  // ---- every member answers ----
  const unplanned = expect ? expect.members.filter((pm) => !facts.some((f) => f.member === pm.name)) : []
  if (down.length > 0)
    push({
      id: 'reachable',
      title: title.reachable,
      status: 'fail',
      summary: msg('restore.checks.downSummary', { down: String(down.length), count: facts.length, list: down.map(label).join(', ') }),
      cause: msg('restore.checks.downCause'),
      fix: msg('restore.checks.downFix'),
      details: down.map((f) => `${label(f)}: ${f.error}`),
    })
  else if (unplanned.length > 0)
    push({
      id: 'reachable',
      title: title.reachable,
      status: 'warn',
      summary: msg(unplanned.length === 1 ? 'restore.checks.uncheckedOne' : 'restore.checks.uncheckedMany', { names: unplanned.map((x) => x.name).join(', ') }),
      fix: msg('restore.checks.uncheckedFix', { urls: unplanned.flatMap((x) => x.clientURLs).join(', ') }),
    })
  else push({ id: 'reachable', title: title.reachable, status: 'pass', summary: msg('restore.checks.allAnswer', { count: facts.length }) })

  if (up.length === 0) {
    for (const [id, t] of [
      ['one-leader', msg('restore.checks.title.oneLeader')],
      ['cluster-id', msg('restore.checks.title.oneClusterId')],
      ['member-ids', msg('restore.checks.title.memberIds')],
      ['member-list', msg('restore.checks.title.memberList')],
    ] as const)
      push({ id, title: t, status: 'skip', summary: msg('restore.checks.noAnswer') })
    return checks
  }

  // ---- exactly one leader ----
  const selfLeaders = up.filter((f) => f.leader !== '0' && f.leader === f.memberId)
  const claims = new Set(up.map((f) => f.leader).filter((l) => l && l !== '0'))
  const byId = new Map(up.map((f) => [f.memberId!, f]))
  const clusterIds = new Set(up.map((f) => f.clusterId))
  if (selfLeaders.length > 1)
    push({
      id: 'one-leader',
      title: title.leader,
      status: 'fail',
      summary: msg(clusterIds.size === up.length && up.length > 1 ? 'restore.checks.selfLeadersIds' : 'restore.checks.selfLeaders', {
        count: String(selfLeaders.length),
        list: selfLeaders.map(label).join(', '),
      }),
      cause: splitCause(up),
      fix: RESTART_FIX,
      details: up.map((f) => msg('restore.checks.factLine', { who: label(f), id: hex(f.memberId), leader: hex(f.leader), cluster: hex(f.clusterId), term: f.term ?? '' })),
    })
  else if (claims.size === 0)
    push({
      id: 'one-leader',
      title: title.leader,
      status: 'fail',
      summary: msg('restore.checks.noLeader'),
      cause: msg('restore.checks.noLeaderCause'),
      fix: msg('restore.checks.noLeaderFix'),
    })
  else if (claims.size > 1)
    push({
      id: 'one-leader',
      title: title.leader,
      status: 'fail',
      summary: msg('restore.checks.disagree', { list: joined(up.map((f) => msg('restore.checks.follows', { who: label(f), leader: hex(f.leader) }))) }),
      cause: clusterIds.size > 1 ? splitCause(up) : msg('restore.checks.disagreeCause'),
      fix: clusterIds.size > 1 ? RESTART_FIX : msg('restore.checks.disagreeFix'),
    })
  else {
    const leader = [...claims][0]!
    const lf = byId.get(leader)
    const who = lf ? label(lf) : msg('restore.checks.memberHex', { id: hex(leader) })
    const term = lf?.term ?? up[0]!.term ?? ''
    push({
      id: 'one-leader',
      title: title.leader,
      status: 'pass',
      summary: up.length === 1 ? msg('restore.checks.leadsOne', { who, term }) : msg('restore.checks.leadsAll', { who, count: String(up.length), term }),
    })
  }

  // ---- one cluster ID (the planned one) ----
  if (clusterIds.size > 1)
    push({
      id: 'cluster-id',
      title: title.clusterId,
      status: 'fail',
      summary: msg('restore.checks.clusterIds', { count: String(clusterIds.size) }),
      cause: msg('restore.checks.clusterIdsCause'),
      fix: RESTART_FIX,
      details: up.map((f) => msg('restore.checks.clusterLine', { who: label(f), id: hex(f.clusterId) })),
    })
  else if (expect && [...clusterIds][0] !== expect.clusterId)
    push({
      id: 'cluster-id',
      title: title.clusterId,
      status: 'fail',
      summary: msg('restore.checks.clusterIdWrong', { got: hex([...clusterIds][0]), want: hex(expect.clusterId) }),
      cause: msg('restore.checks.clusterIdWrongCause'),
      fix: msg('restore.checks.clusterIdWrongFix'),
    })
  else
    push({
      id: 'cluster-id',
      title: title.clusterId,
      status: 'pass',
      summary: expect ? msg('restore.checks.clusterIdPlanned', { id: hex([...clusterIds][0]) }) : msg('restore.checks.clusterIdOne', { id: hex([...clusterIds][0]) }),
    })

  // ---- member IDs: distinct, and the planned ones ----
  const seen = new Map<string, EndpointFacts[]>()
  for (const f of up) seen.set(f.memberId!, [...(seen.get(f.memberId!) ?? []), f])
  const repeated = [...seen.entries()].filter(([, fs]) => fs.length > 1)
  const wrong = expect ? up.filter((f) => f.member && expect.members.find((x) => x.name === f.member)!.id !== f.memberId) : []
  if (repeated.length > 0) {
    const [id, fs] = repeated[0]!
    push({
      id: 'member-ids',
      title: title.memberIds,
      status: 'fail',
      summary: msg('restore.checks.repeatedId', { id: hex(id), count: String(fs.length), list: fs.map(label).join(', ') }),
      cause: msg('restore.checks.repeatedIdCause', { note: hex(id) === DEFAULT_MEMBER_ID ? msg('restore.checks.repeatedIdDefault', { id: DEFAULT_MEMBER_ID }) : '' }),
      fix: RESTART_FIX,
    })
  } else if (wrong.length > 0)
    push({
      id: 'member-ids',
      title: msg('restore.checks.title.plannedMemberIds'),
      status: 'fail',
      summary: msg('restore.checks.sentence', {
        text: joined(wrong.map((f) => msg('restore.checks.wrongId', { member: f.member!, got: hex(f.memberId), want: hex(expect!.members.find((x) => x.name === f.member)!.id) }))),
      }),
      cause: msg('restore.checks.wrongIdCause'),
      fix: msg('restore.checks.wrongIdFix'),
    })
  else
    push({
      id: 'member-ids',
      title: title.memberIds,
      status: 'pass',
      summary: expect ? msg('restore.checks.distinctIdsPlanned', { count: String(up.length) }) : msg('restore.checks.distinctIds', { count: String(up.length) }),
    })

  // ---- member list ----
  const listKey = (f: EndpointFacts) => (f.memberList ?? []).map((x) => x.id).sort().join(',')
  const lists = new Set(up.map(listKey))
  const outsiders = up.filter((f) => up.some((g) => !(g.memberList ?? []).some((x) => x.id === f.memberId)))
  if (lists.size > 1 || outsiders.length > 0)
    push({
      id: 'member-list',
      title: title.memberList,
      status: 'fail',
      summary: lists.size > 1 ? msg('restore.checks.lists', { count: String(lists.size) }) : msg(outsiders.length === 1 ? 'restore.checks.outsidersOne' : 'restore.checks.outsidersMany', { list: outsiders.map(label).join(', ') }),
      cause: splitCause(up),
      fix: RESTART_FIX,
      details: up.map((f) => `${label(f)}: ${(f.memberList ?? []).map((x) => `${x.name || '(unstarted)'} ${hex(x.id)} ${x.peerURLs.join(',')}`).join('; ')}`),
    })
  else {
    const list = up[0]!.memberList ?? []
    const problems: Msg[] = []
    if (expect) {
      for (const pm of expect.members) {
        const got = list.find((x) => x.id === pm.id)
        if (!got) problems.push(msg('restore.checks.notInList', { name: pm.name, id: hex(pm.id) }))
        else {
          if (got.name && got.name !== pm.name) problems.push(msg('restore.checks.misnamed', { id: hex(pm.id), got: got.name, want: pm.name }))
          if ([...got.peerURLs].sort().join(',') !== [...pm.peerURLs].sort().join(',')) problems.push(msg('restore.checks.peerDiff', { name: pm.name, got: got.peerURLs.join(','), want: pm.peerURLs.join(',') }))
        }
      }
      for (const x of list) if (!expect.members.some((pm) => pm.id === x.id)) problems.push(msg('restore.checks.extra', { name: x.name || hex(x.id), id: hex(x.id) }))
    }
    if (problems.length)
      push({
        id: 'member-list',
        title: msg('restore.checks.title.plannedMemberList'),
        status: 'fail',
        summary: msg('restore.checks.listDiffers', { list: joined(problems) }),
        cause: msg('restore.checks.listDiffersCause'),
        fix: msg('restore.checks.listDiffersFix'),
      })
    else {
      const unlisted = list.filter((x) => !up.some((f) => f.memberId === x.id))
      const unasked = !expect && unlisted.length > 0
      push({
        id: 'member-list',
        title: title.memberList,
        status: unasked ? 'warn' : 'pass',
        summary: expect
          ? msg('restore.checks.sameListPlanned', { members: String(list.length) })
          : unasked
            ? msg(unlisted.length === 1 ? 'restore.checks.sameListUnaskedOne' : 'restore.checks.sameListUnaskedMany', { members: String(list.length), names: unlisted.map((x) => x.name || hex(x.id)).join(', ') })
            : msg('restore.checks.sameList', { members: String(list.length) }),
        ...(unasked ? { fix: msg('restore.checks.unaskedFix', { urls: unlisted.flatMap((x) => x.clientURLs).join(', ') || msg('restore.checks.notPublished') }) } : {}),
      })
    }
  }

  if (!m) return checks

  // ---- revision ≥ snapshot + bump ----
  if (expect) {
    const min = expect.snapshotRevision + expect.bump
    const revs = up.map((f) => ({ f, rev: Number(f.revision) }))
    const low = revs.filter((r) => r.rev < min)
    const bump = expect.bump ? msg('restore.checks.plusBump', { bump: String(expect.bump) }) : ''
    if (low.length === 0)
      push({
        id: 'revision',
        title: title.revision,
        status: 'pass',
        summary: msg('restore.checks.revisionOk', { rev: String(Math.min(...revs.map((r) => r.rev))), snapshot: String(expect.snapshotRevision), bump, min: String(min) }),
      })
    else {
      const older = low.some((r) => r.rev < expect.snapshotRevision)
      push({
        id: 'revision',
        title: title.revision,
        status: 'fail',
        summary: msg('restore.checks.revisionLow', {
          list: joined(low.map((r) => msg('restore.checks.atRevision', { who: label(r.f), rev: String(r.rev) }))),
          snapshot: String(expect.snapshotRevision),
          bump,
          min: String(min),
        }),
        cause: older ? msg('restore.checks.revisionOlder') : msg('restore.checks.revisionNoBump'),
        fix: msg('restore.checks.revisionFix'),
      })
    }

    // ---- key count explained ----
    const lines: { kind: 'error' | 'same' | 'explained' | 'bad'; text: Msg }[] = []
    for (const f of up) {
      const c = m.counts.get(f.endpoint)
      if (!c) continue
      if ('error' in c) {
        lines.push({ kind: 'error', text: msg('restore.checks.countError', { who: label(f), error: c.error }) })
        continue
      }
      const since = c.revision - min
      if (c.count === expect.liveKeys) lines.push({ kind: 'same', text: msg('restore.checks.countSame', { who: label(f), keys: String(c.count) }) })
      else if (since > 0) lines.push({ kind: 'explained', text: msg('restore.checks.countExplained', { who: label(f), keys: String(c.count), snapshot: String(expect.liveKeys), count: since }) })
      else lines.push({ kind: 'bad', text: msg('restore.checks.countBad', { who: label(f), keys: String(c.count), snapshot: String(expect.liveKeys) }) })
    }
    const bad = lines.some((l) => l.kind === 'bad')
    push({
      id: 'key-count',
      title: title.keyCount,
      status: bad ? 'fail' : lines.some((l) => l.kind === 'error') ? 'warn' : 'pass',
      summary: bad
        ? msg('restore.checks.countSummaryBad')
        : lines.length === 1
          ? lines[0]!.text
          : lines.every((l) => l.kind === 'same')
            ? msg('restore.checks.countSummarySame', { count: String(lines.length), keys: String(expect.liveKeys) })
            : msg('restore.checks.countSummaryExplained', { count: String(lines.length) }),
      ...(bad ? { cause: msg('restore.checks.countCause'), fix: msg('restore.checks.countFix') } : {}),
      details: lines.map((l) => l.text),
    })
  }

  // ---- HashKV agrees ----
  if (m.hash) {
    const entries = up.map((f) => ({ f, h: m.hash!.byEndpoint.get(f.endpoint) }))
    const failed = entries.filter((e) => !e.h || 'error' in e.h)
    const hashes = new Set(entries.filter((e) => e.h && !('error' in e.h)).map((e) => `${(e.h as { hash: number }).hash}/${(e.h as { compactRevision: string }).compactRevision}`))
    const details = entries.map((e) =>
      !e.h
        ? msg('restore.checks.hashNoAnswer', { who: label(e.f) })
        : 'error' in e.h
          ? msg('restore.checks.hashError', { who: label(e.f), error: e.h.error })
          : msg('restore.checks.hashLine', { who: label(e.f), hash: e.h.hash.toString(16).padStart(8, '0'), rev: e.h.compactRevision }),
    )
    const rev = m.hash.revision
    if (hashes.size > 1)
      push({ id: 'hashkv', title: title.hashkv, status: 'fail', summary: msg('restore.checks.hashDiffer', { rev }), cause: msg('restore.checks.hashDifferCause'), fix: RESTART_FIX, details })
    else if (failed.length > 0) push({ id: 'hashkv', title: title.hashkv, status: 'warn', summary: msg('restore.checks.hashFailed', { count: failed.length, rev }), details })
    else
      push({
        id: 'hashkv',
        title: title.hashkv,
        status: 'pass',
        summary: entries.length === 1 ? msg('restore.checks.hashOne', { rev }) : msg('restore.checks.hashAll', { count: String(entries.length), rev }),
        details,
      })
  }

  // ---- alarms ----
  if ('error' in m.alarms) push({ id: 'alarms', title: title.alarms, status: 'warn', summary: msg('restore.checks.alarmsError', { error: m.alarms.error }) })
  else if (m.alarms.length === 0) push({ id: 'alarms', title: title.alarms, status: 'pass', summary: msg('restore.checks.noAlarms') })
  else {
    const corrupt = m.alarms.some((a) => a.alarm === 'CORRUPT')
    push({
      id: 'alarms',
      title: title.alarms,
      status: 'fail',
      summary: msg('restore.checks.sentence', { text: joined(m.alarms.map((a) => msg('restore.checks.alarmOn', { alarm: a.alarm, id: hex(a.memberId) }))) }),
      cause: corrupt ? msg('restore.checks.corruptCause') : msg('restore.checks.quotaCause'),
      fix: corrupt ? msg('restore.checks.corruptFix') : msg('restore.checks.quotaFix'),
    })
  }
  return checks
}

/** How long a verification after a restore waits for a member that does not answer yet. */
export const RESTORE_SETTLE_MS = 20_000

/**
 * The checks of a cluster against the plan (or the plan-free ones). `settleMs`: the members were just
 * (re)started, so one that does not answer yet is waited for that long before it counts as down; a gRPC
 * connection refused while the member was stopped backs off for seconds, and must not fail the check.
 */
export async function verifyCluster(client: EtcdClient, endpoints: string[], expect?: Expectations, settleMs?: number): Promise<VerifyReport> {
  const facts = await gatherFacts(client, endpoints, expect, settleMs ?? 3000, settleMs !== undefined)
  const m = facts.some((f) => f.ok) ? await measure(client, facts, Boolean(expect)) : null
  const checks = evaluate(facts, m, expect)
  return { ok: checks.every((c) => c.status !== 'fail'), time: Date.now(), checks, endpoints: facts, planId: expect?.planId ?? null }
}

const SPLIT_CHECKS: Partial<Record<CheckResult['id'], SplitSymptom>> = { 'one-leader': 'several-leaders', 'cluster-id': 'cluster-ids', 'member-ids': 'repeated-member-id', 'member-list': 'member-lists' }

/**
 * A split cluster from the checks that need no plan: several leaders, several cluster IDs, a repeated
 * member ID, member lists that disagree. Null when the endpoints form one cluster (or only one answered).
 */
export function diagnoseSplit(facts: EndpointFacts[]): SplitDiagnosis | null {
  const up = facts.filter((f) => f.ok)
  if (up.length < 2) return null
  const failed = evaluate(facts, null).filter((c) => c.status === 'fail' && SPLIT_CHECKS[c.id])
  if (failed.length === 0) return null
  const symptoms = failed.map((c) => {
    if (c.id === 'one-leader' && !/each lead/.test(c.summary)) return 'leader-disagreement' as const
    return SPLIT_CHECKS[c.id]!
  })
  const first = failed[0]!
  const factMsgs = up.map((f) => {
    const common = { endpoint: f.endpoint, member: hex(f.memberId), cluster: hex(f.clusterId), term: String(f.term), count: (f.memberList ?? []).length }
    return f.leader === f.memberId ? msg('restore.checks.splitFactLeads', common) : msg('restore.checks.splitFactFollows', { ...common, leader: hex(f.leader) })
  })
  return {
    symptoms,
    headline: first.summary,
    cause: first.cause ?? '',
    fix: first.fix ?? '',
    facts: factMsgs.map((m) => formatMessage(m)),
    msgs: { ...(first.msgs?.summary ? { headline: first.msgs.summary } : {}), ...(first.msgs?.cause ? { cause: first.msgs.cause } : {}), ...(first.msgs?.fix ? { fix: first.msgs.fix } : {}), facts: factMsgs },
  }
}
