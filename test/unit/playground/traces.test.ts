// Trace events cross from the member's Raft core to the renderer as typed fields: core event →
// debug.proto (bytes on the wire) → the playground's MemberTrace. A change to the wire format that
// loses a field fails here, not silently in the message-flow view.
import { describe, expect, it } from 'vitest'
import { serviceDefinition } from '../../../src-main/etcdpb/load'
import { traceToWire } from '../../../src-main/member/api/debug'
import { makeMessage, MessageType, type TraceEvent } from '../../../src-main/raft/index'
import { traceFromWire } from '../../../src-main/services/playground/debugFeed'

const watch = serviceDefinition('raftdeck.Debug').Watch!
/** Through protobuf bytes, as the member's Watch stream sends them and the feed receives them. */
const overTheWire = (trace: object) => (watch.responseDeserialize(watch.responseSerialize({ trace }) as Buffer) as { trace: Parameters<typeof traceFromWire>[0] }).trace

const roundTrip = (ev: TraceEvent) => {
  const wire = traceToWire(ev, 1_700_000_000_123)
  return wire ? traceFromWire(overTheWire(wire)) : null
}

describe('typed trace events', () => {
  it('carry a sent message with its type, ends, term, indexes and entry count', () => {
    const m = makeMessage({ type: MessageType.App, from: '11', to: '12', term: 4, logTerm: 3, index: 9, commit: 8, entries: [{ term: 4, index: 10, type: 0, data: new Uint8Array([1]) }] })
    expect(roundTrip({ kind: 'send', node: '11', message: m })).toEqual({
      kind: 'send',
      at: 1_700_000_000_123,
      message: { type: 'MsgApp', from: '11', to: '12', term: '4', logTerm: '3', index: '9', commit: '8', entries: 1, reject: false },
    })
    const resp = makeMessage({ type: MessageType.AppResp, from: '12', to: '11', term: 4, index: 9, reject: true })
    expect(roundTrip({ kind: 'receive', node: '11', message: resp })).toMatchObject({ kind: 'receive', message: { type: 'MsgAppResp', reject: true, entries: 0 } })
  })

  it('carry role changes in the playground vocabulary, votes and commits', () => {
    expect(roundTrip({ kind: 'role', node: '11', term: 5, from: 'preCandidate', to: 'candidate', lead: '0' })).toEqual({ kind: 'role', at: 1_700_000_000_123, from: 'pre-candidate', to: 'candidate', term: '5', leader: '0' })
    expect(roundTrip({ kind: 'vote', node: '12', term: 5, voter: '12', candidate: '11', preVote: true, granted: false })).toEqual({
      kind: 'vote',
      at: 1_700_000_000_123,
      voter: '12',
      candidate: '11',
      term: '5',
      preVote: true,
      granted: false,
    })
    expect(roundTrip({ kind: 'commit', node: '11', term: 5, from: 7, to: 9 })).toEqual({ kind: 'commit', at: 1_700_000_000_123, from: '7', to: '9', term: '5' })
  })

  it('leave out what the playground does not show, and drop what this build does not know', () => {
    expect(traceToWire({ kind: 'apply', node: '1', from: 1, to: 2 }, 0)).toBeUndefined()
    expect(traceToWire({ kind: 'progress', node: '1', peer: '2', state: 'probe', match: 1, next: 2 }, 0)).toBeUndefined()
    const m = makeMessage({ type: MessageType.App, from: '1', to: '2', term: 1 })
    const wire = overTheWire(traceToWire({ kind: 'send', node: '1', message: m }, 0)!)
    expect(traceFromWire({ ...wire, send: { ...wire.send!, type: 'MsgFromTheFuture' } })).toBeNull()
    expect(traceFromWire({ at_unix_ms: '0' })).toBeNull()
  })
})
