// How the golden transcripts print what the Raft core emits: Readies, messages, entries and
// trace events, one line each, fields in a fixed order and only when they say something.

import { decodeConfChange } from '../../../../src-main/raft/confChange'
import type { TraceEvent } from '../../../../src-main/raft/trace'
import type { ConfState, Entry, HardState, Message, ReadState, Ready, Snapshot, SoftState } from '../../../../src-main/raft/types'
import { EntryType } from '../../../../src-main/raft/types'

const text = (b: Uint8Array): string => new TextDecoder().decode(b)

export function describeConfState(c: ConfState): string {
  const learners = c.learners.length ? ` learners=(${[...c.learners].join(',')})` : ''
  return `voters=(${[...c.voters].join(',')})${learners}`
}

export function describeEntry(e: Entry): string {
  if (e.type === EntryType.ConfChange) {
    const cc = decodeConfChange(e.data)
    return `${e.term}/${e.index} conf:${cc.type} ${cc.nodeId}`
  }
  return `${e.term}/${e.index} ${JSON.stringify(text(e.data))}`
}

export function describeSnapshot(s: Snapshot): string {
  return `${s.metadata.term}/${s.metadata.index} ${describeConfState(s.metadata.confState)}`
}

/** `1->2 MsgApp term:3 log:2/5 commit:5 entries:[3/6 "x"]` */
export function describeMessage(m: Message): string {
  const parts = [`${m.from}->${m.to} ${m.type} term:${m.term}`]
  if (m.logTerm !== 0 || m.index !== 0) parts.push(`log:${m.logTerm}/${m.index}`)
  if (m.commit !== 0) parts.push(`commit:${m.commit}`)
  if (m.reject) parts.push(m.type === 'MsgAppResp' ? `reject hint:${m.rejectHint}` : 'reject')
  if (m.context !== null && m.context.byteLength > 0) parts.push(`ctx:${JSON.stringify(text(m.context))}`)
  if (m.entries.length > 0) parts.push(`entries:[${m.entries.map(describeEntry).join(', ')}]`)
  if (m.snapshot !== null) parts.push(`snapshot:${describeSnapshot(m.snapshot)}`)
  return parts.join(' ')
}

function describeSoft(s: SoftState): string {
  return `soft: lead=${s.lead} role=${s.role}`
}

function describeHard(h: HardState): string {
  return `hard: term=${h.term} vote=${h.vote} commit=${h.commit}`
}

function describeRead(r: ReadState): string {
  return `read-state: ${JSON.stringify(text(r.requestCtx))} at ${r.index}`
}

/** Every part of a Ready that is there, in the order a member handles them. */
export function describeReady(rd: Ready): string[] {
  const out: string[] = [`ready${rd.mustSync ? ' (sync)' : ''}`]
  if (rd.softState) out.push(describeSoft(rd.softState))
  if (rd.hardState) out.push(describeHard(rd.hardState))
  if (rd.snapshot) out.push(`snapshot: ${describeSnapshot(rd.snapshot)}`)
  for (const e of rd.entries) out.push(`entry: ${describeEntry(e)}`)
  for (const e of rd.committedEntries) out.push(`commit: ${describeEntry(e)}`)
  for (const r of rd.readStates) out.push(describeRead(r))
  for (const m of rd.messages) out.push(`send: ${describeMessage(m)}`)
  return out
}

/**
 * The trace events worth a line: role changes, votes as the voter casts them and as the candidate
 * counts them, drops, configuration changes and changes of a follower's replication state.
 * Messages are printed where they are sent and delivered; commits show in the hard state.
 */
export class TraceLines {
  private readonly progressState = new Map<string, string>()
  lines: string[] = []

  readonly sink = (ev: TraceEvent): void => {
    const line = this.describe(ev)
    if (line) this.lines.push(line)
  }

  take(): string[] {
    const l = this.lines
    this.lines = []
    return l
  }

  private describe(ev: TraceEvent): string | undefined {
    switch (ev.kind) {
      case 'role':
        // A new role starts with fresh progress for every peer.
        for (const key of [...this.progressState.keys()]) if (key.startsWith(`${ev.node}/`)) this.progressState.delete(key)
        return `~ ${ev.node} became ${ev.to} at term ${ev.term}`
      case 'vote': {
        const what = ev.preVote ? 'pre-vote' : 'vote'
        const verdict = ev.granted ? 'granted' : 'rejected'
        if (ev.voter === ev.node && ev.candidate !== ev.node) return `~ ${ev.node} ${verdict} ${what} for ${ev.candidate} at term ${ev.term}`
        if (ev.voter === ev.node) return `~ ${ev.node} votes for itself (${what}) at term ${ev.term}`
        return `~ ${ev.node} counts ${what} from ${ev.voter}: ${verdict}`
      }
      case 'dropped':
        return `~ ${ev.node} dropped ${ev.what}: ${ev.reason}`
      case 'confChange':
        return `~ ${ev.node} config ${describeConfState({ voters: ev.voters, learners: ev.learners })}`
      case 'progress': {
        const key = `${ev.node}/${ev.peer}`
        if (this.progressState.get(key) === ev.state) return undefined
        this.progressState.set(key, ev.state)
        return `~ ${ev.node} tracks ${ev.peer} as ${ev.state} (match=${ev.match} next=${ev.next})`
      }
      default:
        return undefined
    }
  }
}
