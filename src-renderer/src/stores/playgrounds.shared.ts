// Pure helpers for the playground view: the event log derived from trace events and state changes,
// and message statistics. Kept apart from the store so they are easy to test and reason about.
import type { PlaygroundSummary, PlaygroundTrace, RaftMessageType } from '@shared/api/playground'

export type LogKind = 'election' | 'vote' | 'leader' | 'process' | 'fault' | 'membership'

export interface LogEvent {
  at: number
  kind: LogKind
  /** The member the line is about. */
  member: string
  /** Other members the line names (the candidate of a vote), so filtering by member finds it too. */
  others?: string[]
  text: string
}

/** Turns typed trace events into the readable log lines users filter and export. */
export function traceToLog(t: PlaygroundTrace): LogEvent | null {
  if (t.kind === 'role') {
    const text =
      t.to === 'pre-candidate'
        ? `${t.member} lost the leader and asks for pre-votes (term ${t.term})`
        : t.to === 'candidate'
          ? `${t.member} starts an election for term ${t.term}`
          : t.to === 'leader'
            ? `${t.member} won the election and leads term ${t.term}`
            : `${t.member} is a follower again (was ${t.from}, term ${t.term})`
    return { at: t.at, kind: 'election', member: t.member, text }
  }
  // A vote is seen twice, at the voter and at the candidate counting it: the voter's is the one told.
  if (t.kind === 'vote' && t.voter === t.member && t.voter !== t.candidate) {
    const what = t.preVote ? 'pre-vote' : 'vote'
    return { at: t.at, kind: 'vote', member: t.member, others: [t.candidate], text: `${t.member} ${t.granted ? 'granted' : 'rejected'} its ${what} to ${t.candidate} (term ${t.term})` }
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
  if (pl?.name !== nl?.name) out.push({ at, kind: 'leader', member: nl?.name ?? '', text: nl ? `Leader is now ${nl.name} (term ${nl.raft!.term})` : 'No leader' })
  for (const m of next.members) {
    const before = prev.members.find((x) => x.name === m.name)
    if (!before) out.push({ at, kind: 'membership', member: m.name, text: `${m.name} joined${m.learner ? ' as a learner' : ''}` })
    else {
      if (before.process !== m.process) out.push({ at, kind: 'process', member: m.name, text: `${m.name} is ${m.process}${m.process === 'crashed' && m.exitCode !== null ? ` (exit code ${m.exitCode})` : ''}` })
      if (before.learner && !m.learner && m.raft) out.push({ at, kind: 'membership', member: m.name, text: `${m.name} was promoted to a voting member` })
      const cutBefore = before.raft?.peers.filter((p) => p.isolatedIn || p.isolatedOut).length ?? 0
      const cutNow = m.raft?.peers.filter((p) => p.isolatedIn || p.isolatedOut).length ?? 0
      if (m.raft && before.raft && cutBefore !== cutNow) out.push({ at, kind: 'fault', member: m.name, text: cutNow ? `${m.name}: ${cutNow} link(s) cut` : `${m.name}: links healed` })
    }
  }
  for (const m of prev.members) if (!next.members.some((x) => x.name === m.name)) out.push({ at, kind: 'membership', member: m.name, text: `${m.name} was removed` })
  return out
}

/** Raft message type → colour and short label for the message-flow view. */
export const MESSAGE_STYLE: Partial<Record<RaftMessageType, { color: string; label: string }>> = {
  MsgApp: { color: '#2563eb', label: 'append' },
  MsgAppResp: { color: '#60a5fa', label: 'append ack' },
  MsgHeartbeat: { color: '#9ca3af', label: 'heartbeat' },
  MsgHeartbeatResp: { color: '#d1d5db', label: 'heartbeat ack' },
  MsgVote: { color: '#dc2626', label: 'vote' },
  MsgVoteResp: { color: '#f87171', label: 'vote reply' },
  MsgPreVote: { color: '#d97706', label: 'pre-vote' },
  MsgPreVoteResp: { color: '#fbbf24', label: 'pre-vote reply' },
  MsgSnap: { color: '#7c3aed', label: 'snapshot' },
  MsgTimeoutNow: { color: '#db2777', label: 'timeout now' },
  MsgReadIndex: { color: '#0891b2', label: 'read index' },
  MsgReadIndexResp: { color: '#22d3ee', label: 'read index reply' },
}

export const roleColor: Record<string, string> = {
  leader: '#16a34a',
  follower: '#2563eb',
  'pre-candidate': '#d97706',
  candidate: '#dc2626',
  learner: '#7c3aed',
}
