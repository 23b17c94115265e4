// Pure helpers of the cluster store: formatting and the timeline derived from polled statuses.
import type { ClusterStatus, EndpointStatus, MemberInfo } from '@shared/dto'

/** etcdctl prints member IDs in hex; so do we. */
export const hexId = (id: string | null | undefined): string => (id && id !== '0' ? BigInt(id).toString(16) : '—')

export function formatBytes(n: number | undefined): string {
  if (n === undefined) return '—'
  const units = ['B', 'kB', 'MB', 'GB', 'TB']
  let v = n
  let u = 0
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000
    u++
  }
  return `${v >= 100 || u === 0 ? Math.round(v) : v.toFixed(1)} ${units[u]}`
}

export interface MemberRow {
  key: string
  id: string | null
  name: string
  role: 'leader' | 'follower' | 'learner' | 'unknown'
  endpoint: string | null
  clientURLs: string[]
  status: EndpointStatus | null
}

/**
 * Joins the member list with per-endpoint status (matched by member ID, then by client URL). A split
 * cluster has no one member list: then there is one row per endpoint, with what that endpoint says.
 */
export function memberRows(s: ClusterStatus): MemberRow[] {
  if (s.split && s.views) {
    return s.endpoints.map((e) => {
      const v = s.views!.find((x) => x.endpoint === e.endpoint)
      const role: MemberRow['role'] = !e.ok ? 'unknown' : e.isLearner ? 'learner' : e.leader && e.leader === e.memberId ? 'leader' : e.leader && e.leader !== '0' ? 'follower' : 'unknown'
      return { key: e.endpoint, id: e.memberId ?? null, name: v?.name ?? '', role, endpoint: e.endpoint, clientURLs: [e.endpoint], status: e }
    })
  }
  const rows: MemberRow[] = []
  const used = new Set<string>()
  const byMember = new Map(s.endpoints.filter((e) => e.ok && e.memberId).map((e) => [e.memberId!, e]))
  for (const m of s.members as MemberInfo[]) {
    const st = byMember.get(m.id) ?? s.endpoints.find((e) => m.clientURLs.includes(e.endpoint)) ?? null
    if (st) used.add(st.endpoint)
    rows.push({
      key: m.id,
      id: m.id,
      name: m.name || '(not started)',
      role: m.isLearner ? 'learner' : s.leaderId === m.id ? 'leader' : st?.ok ? 'follower' : 'unknown',
      endpoint: st?.endpoint ?? null,
      clientURLs: m.clientURLs,
      status: st,
    })
  }
  for (const e of s.endpoints) {
    if (used.has(e.endpoint)) continue
    rows.push({ key: e.endpoint, id: e.memberId ?? null, name: '', role: 'unknown', endpoint: e.endpoint, clientURLs: [e.endpoint], status: e })
  }
  return rows
}

export interface TimelinePoint {
  time: number
  term: number
  index: number
  leaderId: string | null
}

export function timelinePoint(s: ClusterStatus): TimelinePoint | null {
  const up = s.endpoints.filter((e) => e.ok)
  if (up.length === 0) return { time: s.time, term: 0, index: 0, leaderId: null }
  return {
    time: s.time,
    term: Math.max(...up.map((e) => Number(e.raftTerm ?? 0))),
    index: Math.max(...up.map((e) => Number(e.raftIndex ?? 0))),
    leaderId: s.leaderId,
  }
}
