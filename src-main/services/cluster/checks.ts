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

const RESTART_FIX = 'Stop all members, move their data dirs aside, and run the restore plan: each member restored on its own host with its own --name and peer URL, the full member list and one new token.'

function label(f: EndpointFacts): string {
  return f.member ? `${f.member} (${f.endpoint})` : f.endpoint
}

/** Why several members lead (or disagree), from the IDs they report. */
function splitCause(up: EndpointFacts[]): string {
  const ids = new Map<string, number>()
  for (const f of up) ids.set(f.memberId!, (ids.get(f.memberId!) ?? 0) + 1)
  const repeated = [...ids.entries()].filter(([, n]) => n > 1)
  const clusters = new Set(up.map((f) => f.clusterId))
  if (repeated.length > 0) {
    const [id] = repeated[0]!
    return `They share member ID ${hex(id)}: one restored data dir was copied to every member, so each is a cluster of one.${hex(id) === DEFAULT_MEMBER_ID ? ` (${DEFAULT_MEMBER_ID} is etcd's default identity: that restore ran without --name, --initial-cluster and --initial-cluster-token.)` : ''}`
  }
  if (clusters.size === up.length) return 'Each reports its own cluster ID: each was restored alone (with its own --initial-cluster or token), so each formed a one-member cluster.'
  if (clusters.size > 1) return 'They report different cluster IDs: they were restored with different --initial-cluster or --initial-cluster-token values, or some were not restored at all.'
  return 'They report the same cluster but do not agree on its members: their data dirs come from different restores.'
}

export function evaluate(facts: EndpointFacts[], m: Measurements | null, expect?: Expectations): CheckResult[] {
  const checks: CheckResult[] = []
  const up = facts.filter((f) => f.ok)
  const down = facts.filter((f) => !f.ok)
  const push = (c: CheckResult) => checks.push(c)

  // ---- every member answers ----
  const unplanned = expect ? expect.members.filter((pm) => !facts.some((f) => f.member === pm.name)) : []
  if (down.length > 0)
    push({
      id: 'reachable',
      title: 'Every member answers',
      status: 'fail',
      summary: `${down.length} of ${facts.length} ${facts.length === 1 ? 'endpoint does' : 'endpoints do'} not answer: ${down.map(label).join(', ')}.`,
      cause: 'The member is not running, or this machine cannot reach it (address, port, firewall, TLS certificates).',
      fix: "Start it and read its log. 'member … has already been bootstrapped' or 'request cluster ID mismatch' means its data dir was not restored from this plan; a TLS error means the certificates given here are not the cluster's.",
      details: down.map((f) => `${label(f)}: ${f.error}`),
    })
  else if (unplanned.length > 0)
    push({
      id: 'reachable',
      title: 'Every member answers',
      status: 'warn',
      summary: `Every endpoint given answers, but ${unplanned.map((x) => x.name).join(', ')} ${unplanned.length === 1 ? 'was' : 'were'} not checked (no endpoint given).`,
      fix: `Add their client URLs: ${unplanned.flatMap((x) => x.clientURLs).join(', ')}.`,
    })
  else push({ id: 'reachable', title: 'Every member answers', status: 'pass', summary: `All ${facts.length} ${facts.length === 1 ? 'endpoint answers' : 'endpoints answer'}.` })

  if (up.length === 0) {
    for (const [id, title] of [
      ['one-leader', 'Exactly one leader'],
      ['cluster-id', 'One cluster ID'],
      ['member-ids', 'Member IDs'],
      ['member-list', 'Member list'],
    ] as const)
      push({ id, title, status: 'skip', summary: 'No endpoint answered.' })
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
      title: 'Exactly one leader',
      status: 'fail',
      summary: `${selfLeaders.length} members each lead a cluster of their own${clusterIds.size === up.length && up.length > 1 ? ' with different cluster IDs' : ''}: ${selfLeaders.map(label).join(', ')}.`,
      cause: splitCause(up),
      fix: RESTART_FIX,
      details: up.map((f) => `${label(f)}: member ${hex(f.memberId)}, leader ${hex(f.leader)}, cluster ${hex(f.clusterId)}, term ${f.term}`),
    })
  else if (claims.size === 0)
    push({
      id: 'one-leader',
      title: 'Exactly one leader',
      status: 'fail',
      summary: 'No member knows a leader.',
      cause: "Fewer than a majority of the members are running, or they cannot reach each other's peer URLs (firewall, peer TLS, a wrong --initial-advertise-peer-urls).",
      fix: "Start the remaining members; if they all run, read their logs for 'failed to reach the peer' or 'rejected connection' and fix the peer address or certificates.",
    })
  else if (claims.size > 1)
    push({
      id: 'one-leader',
      title: 'Exactly one leader',
      status: 'fail',
      summary: `The members disagree about the leader: ${up.map((f) => `${label(f)} follows ${hex(f.leader)}`).join('; ')}.`,
      cause: clusterIds.size > 1 ? splitCause(up) : 'An election in progress, or a member cut off from the others (it still believes in an old leader).',
      fix: clusterIds.size > 1 ? RESTART_FIX : 'Check again in a few seconds; if it persists, check the network between the members (peer URLs, firewall).',
    })
  else {
    const leader = [...claims][0]!
    const lf = byId.get(leader)
    push({
      id: 'one-leader',
      title: 'Exactly one leader',
      status: 'pass',
      summary: `${lf ? label(lf) : `member ${hex(leader)}`} leads; ${up.length === 1 ? 'the member agrees' : `all ${up.length} members agree`} (term ${lf?.term ?? up[0]!.term}).`,
    })
  }

  // ---- one cluster ID (the planned one) ----
  if (clusterIds.size > 1)
    push({
      id: 'cluster-id',
      title: expect ? 'The planned cluster ID' : 'One cluster ID',
      status: 'fail',
      summary: `The endpoints report ${clusterIds.size} different cluster IDs.`,
      cause: 'They were restored with different --initial-cluster or --initial-cluster-token values (or some were not restored), so they formed separate clusters.',
      fix: RESTART_FIX,
      details: up.map((f) => `${label(f)}: cluster ${hex(f.clusterId)}`),
    })
  else if (expect && [...clusterIds][0] !== expect.clusterId)
    push({
      id: 'cluster-id',
      title: 'The planned cluster ID',
      status: 'fail',
      summary: `Every member reports cluster ${hex([...clusterIds][0])}; the plan predicts ${hex(expect.clusterId)}.`,
      cause: "These data dirs were not restored with this plan's token and member list: an old data dir is still in use (the service points elsewhere, or steps 2–3 did not run), or they come from another plan.",
      fix: "Compare each member's --data-dir with the plan, then run the plan's scripts again from step 1.",
    })
  else push({ id: 'cluster-id', title: expect ? 'The planned cluster ID' : 'One cluster ID', status: 'pass', summary: `Every member reports cluster ${hex([...clusterIds][0])}${expect ? ' (as planned)' : ''}.` })

  // ---- member IDs: distinct, and the planned ones ----
  const seen = new Map<string, EndpointFacts[]>()
  for (const f of up) seen.set(f.memberId!, [...(seen.get(f.memberId!) ?? []), f])
  const repeated = [...seen.entries()].filter(([, fs]) => fs.length > 1)
  const wrong = expect ? up.filter((f) => f.member && expect.members.find((x) => x.name === f.member)!.id !== f.memberId) : []
  if (repeated.length > 0) {
    const [id, fs] = repeated[0]!
    push({
      id: 'member-ids',
      title: expect ? 'The planned member IDs' : 'Distinct member IDs',
      status: 'fail',
      summary: `Member ID ${hex(id)} answers at ${fs.length} endpoints: ${fs.map(label).join(', ')}.`,
      cause: `One data dir was copied to several members (a restore copied to every node, or a cloned disk).${hex(id) === DEFAULT_MEMBER_ID ? ` ${DEFAULT_MEMBER_ID} is the ID of a restore run with etcd's default flags.` : ''}`,
      fix: RESTART_FIX,
    })
  } else if (wrong.length > 0)
    push({
      id: 'member-ids',
      title: 'The planned member IDs',
      status: 'fail',
      summary: wrong.map((f) => `${f.member} answers as ${hex(f.memberId)}, the plan says ${hex(expect!.members.find((x) => x.name === f.member)!.id)}`).join('; ') + '.',
      cause: "That member's data dir was restored with other flags (--name, --initial-advertise-peer-urls or token), or it is an old data dir.",
      fix: "Stop it, move its data dir aside, and run its script's steps 3–5 again.",
    })
  else push({ id: 'member-ids', title: expect ? 'The planned member IDs' : 'Distinct member IDs', status: 'pass', summary: `${up.length} distinct member IDs${expect ? ', each the planned one' : ''}.` })

  // ---- member list ----
  const listKey = (f: EndpointFacts) => (f.memberList ?? []).map((x) => x.id).sort().join(',')
  const lists = new Set(up.map(listKey))
  const outsiders = up.filter((f) => up.some((g) => !(g.memberList ?? []).some((x) => x.id === f.memberId)))
  if (lists.size > 1 || outsiders.length > 0)
    push({
      id: 'member-list',
      title: expect ? 'The planned member list' : 'One member list',
      status: 'fail',
      summary:
        lists.size > 1
          ? `The endpoints return ${lists.size} different member lists.`
          : `${outsiders.map(label).join(', ')} ${outsiders.length === 1 ? 'is' : 'are'} missing from the member list the endpoints return.`,
      cause: splitCause(up),
      fix: RESTART_FIX,
      details: up.map((f) => `${label(f)}: ${(f.memberList ?? []).map((x) => `${x.name || '(unstarted)'} ${hex(x.id)} ${x.peerURLs.join(',')}`).join('; ')}`),
    })
  else {
    const list = up[0]!.memberList ?? []
    const problems: string[] = []
    if (expect) {
      for (const pm of expect.members) {
        const got = list.find((x) => x.id === pm.id)
        if (!got) problems.push(`${pm.name} (${hex(pm.id)}) is not in the list`)
        else {
          if (got.name && got.name !== pm.name) problems.push(`${hex(pm.id)} is named ${got.name}, the plan says ${pm.name} (the service's --name differs)`)
          if ([...got.peerURLs].sort().join(',') !== [...pm.peerURLs].sort().join(',')) problems.push(`${pm.name} has peer URLs ${got.peerURLs.join(',')}, the plan says ${pm.peerURLs.join(',')}`)
        }
      }
      for (const x of list) if (!expect.members.some((pm) => pm.id === x.id)) problems.push(`${x.name || hex(x.id)} (${hex(x.id)}) is in the list but not in the plan`)
    }
    if (problems.length)
      push({
        id: 'member-list',
        title: 'The planned member list',
        status: 'fail',
        summary: `The member list differs from the plan: ${problems.join('; ')}.`,
        cause: 'The data dirs were restored with another --initial-cluster, or a member runs with another --name than the plan.',
        fix: "Make the services' --name and peer URLs match the plan, or run the plan again with the members as they are.",
      })
    else {
      const unlisted = list.filter((x) => !up.some((f) => f.memberId === x.id))
      push({
        id: 'member-list',
        title: expect ? 'The planned member list' : 'One member list',
        status: !expect && unlisted.length > 0 ? 'warn' : 'pass',
        summary: `Every endpoint returns the same ${list.length} members${expect ? ', as planned' : ''}${!expect && unlisted.length > 0 ? `; ${unlisted.map((x) => x.name || hex(x.id)).join(', ')} ${unlisted.length === 1 ? 'was' : 'were'} not asked (no endpoint given)` : ''}.`,
        ...(!expect && unlisted.length > 0 ? { fix: `Add their client URLs to check them too: ${unlisted.flatMap((x) => x.clientURLs).join(', ') || '(not published yet)'}.` } : {}),
      })
    }
  }

  if (!m) return checks

  // ---- revision ≥ snapshot + bump ----
  if (expect) {
    const min = expect.snapshotRevision + expect.bump
    const revs = up.map((f) => ({ f, rev: Number(f.revision) }))
    const low = revs.filter((r) => r.rev < min)
    if (low.length === 0) push({ id: 'revision', title: 'Revision ≥ snapshot + bump', status: 'pass', summary: `Every member is at revision ${Math.min(...revs.map((r) => r.rev))} or later (snapshot ${expect.snapshotRevision}${expect.bump ? ` + bump ${expect.bump}` : ''} = ${min}).` })
    else {
      const older = low.some((r) => r.rev < expect.snapshotRevision)
      push({
        id: 'revision',
        title: 'Revision ≥ snapshot + bump',
        status: 'fail',
        summary: `${low.map((r) => `${label(r.f)} is at revision ${r.rev}`).join('; ')}, below snapshot ${expect.snapshotRevision}${expect.bump ? ` + bump ${expect.bump}` : ''} = ${min}.`,
        cause: older
          ? 'The data is older than the snapshot: it was restored from another file, or an old data dir is in use.'
          : 'The revision bump was not applied: the restore ran without --bump-revision (or from the snapshot instead of the plan’s bumped copy).',
        fix: "Run the plan's step 3 again, with the plan's restore file and flags.",
      })
    }

    // ---- key count explained ----
    const lines: string[] = []
    let bad = false
    for (const f of up) {
      const c = m.counts.get(f.endpoint)
      if (!c) continue
      if ('error' in c) {
        lines.push(`${label(f)}: could not count (${c.error})`)
        continue
      }
      const since = c.revision - min
      if (c.count === expect.liveKeys) lines.push(`${label(f)}: ${c.count} keys, as in the snapshot`)
      else if (since > 0) lines.push(`${label(f)}: ${c.count} keys (snapshot ${expect.liveKeys}); the ${since} revision${since === 1 ? '' : 's'} written since the restore explain the difference`)
      else {
        bad = true
        lines.push(`${label(f)}: ${c.count} keys, the snapshot has ${expect.liveKeys}, and nothing was written since the restore`)
      }
    }
    push({
      id: 'key-count',
      title: 'Key count explained',
      status: bad ? 'fail' : lines.some((l) => l.includes('could not')) ? 'warn' : 'pass',
      summary: bad ? 'A member holds a different number of keys than the snapshot, with no write to explain it.' : lines.length === 1 ? lines[0]! : `${lines.length} members: ${lines.every((l) => l.endsWith('as in the snapshot')) ? `${expect.liveKeys} keys each, as in the snapshot` : 'every difference is explained by writes since the restore'}.`,
      ...(bad ? { cause: 'This is not the snapshot’s data: restored from another file, or an old data dir is in use.', fix: "Check the member's --data-dir and run the plan's steps 2–5 again." } : {}),
      details: lines,
    })
  }

  // ---- HashKV agrees ----
  if (m.hash) {
    const entries = up.map((f) => ({ f, h: m.hash!.byEndpoint.get(f.endpoint) }))
    const failed = entries.filter((e) => !e.h || 'error' in e.h)
    const hashes = new Set(entries.filter((e) => e.h && !('error' in e.h)).map((e) => `${(e.h as { hash: number }).hash}/${(e.h as { compactRevision: string }).compactRevision}`))
    const details = entries.map((e) => `${label(e.f)}: ${!e.h ? 'no answer' : 'error' in e.h ? e.h.error : `hash ${e.h.hash.toString(16).padStart(8, '0')}, compacted at ${e.h.compactRevision}`}`)
    if (hashes.size > 1)
      push({
        id: 'hashkv',
        title: 'HashKV agrees',
        status: 'fail',
        summary: `The members' data differ at revision ${m.hash.revision}.`,
        cause: 'They hold different data: restored from different files, or one of them was not restored at all.',
        fix: RESTART_FIX,
        details,
      })
    else if (failed.length > 0) push({ id: 'hashkv', title: 'HashKV agrees', status: 'warn', summary: `${failed.length} member${failed.length === 1 ? '' : 's'} could not hash revision ${m.hash.revision}.`, details })
    else push({ id: 'hashkv', title: 'HashKV agrees', status: 'pass', summary: `${entries.length === 1 ? 'One member hashed' : `All ${entries.length} members hash`} revision ${m.hash.revision} alike.`, details })
  }

  // ---- alarms ----
  if ('error' in m.alarms) push({ id: 'alarms', title: 'No alarms', status: 'warn', summary: `Could not list alarms: ${m.alarms.error}` })
  else if (m.alarms.length === 0) push({ id: 'alarms', title: 'No alarms', status: 'pass', summary: 'No member has an alarm.' })
  else
    push({
      id: 'alarms',
      title: 'No alarms',
      status: 'fail',
      summary: m.alarms.map((a) => `${a.alarm} on member ${hex(a.memberId)}`).join('; ') + '.',
      cause: m.alarms.some((a) => a.alarm === 'CORRUPT') ? "A member's data failed etcd's corruption check." : 'The database is at its space quota (--quota-backend-bytes).',
      fix: m.alarms.some((a) => a.alarm === 'CORRUPT') ? "Restore that member again from the plan's steps 2–5." : 'Compact and defragment, then disarm the alarm; raise --quota-backend-bytes if the snapshot is near it.',
    })
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
  return {
    symptoms,
    headline: first.summary,
    cause: first.cause ?? '',
    fix: first.fix ?? '',
    facts: up.map((f) => `${f.endpoint}: member ${hex(f.memberId)}, ${f.leader === f.memberId ? 'leader of itself' : `follows ${hex(f.leader)}`}, cluster ${hex(f.clusterId)}, term ${f.term}, ${(f.memberList ?? []).length} member${(f.memberList ?? []).length === 1 ? '' : 's'} in its list`),
  }
}
