// Pure helpers for the playground view: the event log derived from trace events and state changes,
// and message statistics. Kept apart from the store so they are easy to test and reason about.
import type { PlaygroundSummary, PlaygroundTrace, RaftMessageType } from '@shared/api/playground'
import en from '../i18n/locales/en/playground'

/** A log line as an i18n key (pg.events.*) and its values: the view shows it in the UI's language. */
export interface LogMsg {
  key: keyof typeof en.events
  params: Record<string, string | number>
}
/** The English line, for the exported JSON and for tests: the same words the English UI shows. */
export function englishLine(m: LogMsg): string {
  return en.events[m.key].replace(/\{(\w+)\}/g, (_, k: string) => String(m.params[k] ?? ''))
}
const line = (key: LogMsg['key'], params: LogMsg['params']) => {
  const msg = { key, params }
  return { msg, text: englishLine(msg) }
}

export type LogKind = 'election' | 'vote' | 'leader' | 'process' | 'fault' | 'membership'

export interface LogEvent {
  at: number
  kind: LogKind
  /** The member the line is about. */
  member: string
  /** Other members the line names (the candidate of a vote), so filtering by member finds it too. */
  others?: string[]
  /** The line in English (exported as is). */
  text: string
  msg: LogMsg
}

/** Turns typed trace events into the readable log lines users filter and export. */
export function traceToLog(t: PlaygroundTrace): LogEvent | null {
  if (t.kind === 'role') {
    const key = t.to === 'pre-candidate' ? 'preCandidate' : t.to === 'candidate' ? 'candidate' : t.to === 'leader' ? 'leader' : 'follower'
    return { at: t.at, kind: 'election', member: t.member, ...line(key, { member: t.member, term: t.term, from: t.from }) }
  }
  // A vote is seen twice, at the voter and at the candidate counting it: the voter's is the one told.
  if (t.kind === 'vote' && t.voter === t.member && t.voter !== t.candidate) {
    const key = t.preVote ? (t.granted ? 'preVoteGranted' : 'preVoteRejected') : t.granted ? 'voteGranted' : 'voteRejected'
    return { at: t.at, kind: 'vote', member: t.member, others: [t.candidate], ...line(key, { member: t.member, candidate: t.candidate, term: t.term }) }
  }
  return null
}

/** Does a log line concern `member` (as its subject, or named in it)? */
export function logConcerns(e: LogEvent, member: string): boolean {
  return e.member === member || (e.others?.includes(member) ?? false)
}

/** Log lines from comparing two consecutive states: leader changes and process changes. */
export function stateDiffToLog(prev: PlaygroundSummary | null, next: PlaygroundSummary): LogEvent[] {
  if (!prev) return []
  const out: LogEvent[] = []
  const at = Date.now()
  const leaderOf = (s: PlaygroundSummary) => s.members.find((m) => m.raft?.role === 'leader' && m.process === 'running')
  const pl = leaderOf(prev)
  const nl = leaderOf(next)
  if (pl?.name !== nl?.name) out.push({ at, kind: 'leader', member: nl?.name ?? '', ...(nl ? line('leaderNow', { name: nl.name, term: nl.raft!.term }) : line('noLeader', {})) })
  for (const m of next.members) {
    const before = prev.members.find((x) => x.name === m.name)
    if (!before) out.push({ at, kind: 'membership', member: m.name, ...line(m.learner ? 'joinedLearner' : 'joined', { member: m.name }) })
    else {
      if (before.process !== m.process) out.push({ at, kind: 'process', member: m.name, ...(m.process === 'crashed' && m.exitCode !== null ? line('crashedCode', { member: m.name, code: m.exitCode }) : line('process', { member: m.name, state: m.process })) })
      if (before.learner && !m.learner && m.raft) out.push({ at, kind: 'membership', member: m.name, ...line('promoted', { member: m.name }) })
      const cutBefore = before.raft?.peers.filter((p) => p.isolatedIn || p.isolatedOut).length ?? 0
      const cutNow = m.raft?.peers.filter((p) => p.isolatedIn || p.isolatedOut).length ?? 0
      if (m.raft && before.raft && cutBefore !== cutNow) out.push({ at, kind: 'fault', member: m.name, ...(cutNow ? line(cutNow === 1 ? 'linkCut' : 'linksCut', { member: m.name, n: cutNow }) : line('healed', { member: m.name })) })
    }
  }
  for (const m of prev.members) if (!next.members.some((x) => x.name === m.name)) out.push({ at, kind: 'membership', member: m.name, ...line('removed', { member: m.name }) })
  return out
}

/** Raft message type → colour for the message-flow view (its short name is pg.msgType.<type>). */
export const MESSAGE_STYLE: Partial<Record<RaftMessageType, { color: string }>> = {
  MsgApp: { color: '#2563eb' },
  MsgAppResp: { color: '#60a5fa' },
  MsgHeartbeat: { color: '#9ca3af' },
  MsgHeartbeatResp: { color: '#d1d5db' },
  MsgVote: { color: '#dc2626' },
  MsgVoteResp: { color: '#f87171' },
  MsgPreVote: { color: '#d97706' },
  MsgPreVoteResp: { color: '#fbbf24' },
  MsgSnap: { color: '#7c3aed' },
  MsgTimeoutNow: { color: '#db2777' },
  MsgReadIndex: { color: '#0891b2' },
  MsgReadIndexResp: { color: '#22d3ee' },
}

export const roleColor: Record<string, string> = {
  leader: '#16a34a',
  follower: '#2563eb',
  'pre-candidate': '#d97706',
  candidate: '#dc2626',
  learner: '#7c3aed',
}
