// The caller's handle on a Raft node: inputs in, Ready batches out.
//
// The caller's loop, once per Ready (see docs/raft.md):
//   1. rd = node.ready()
//   2. send the messages for which canSendBeforePersist(m) is true (the leader
//      writes its own log in parallel with its followers)
//   3. persist: install rd.snapshot, append rd.entries (truncating any
//      conflicting suffix), save rd.hardState; fsync if rd.mustSync
//   4. send the remaining messages
//   5. apply rd.snapshot then rd.committedEntries to the state machine, in
//      order; call applyConfChange for ConfChange entries; serve rd.readStates
//      once applied ≥ their index
//   6. node.advance()

import type { Config } from './config'
import { encodeConfChange } from './confChange'
import { RaftInvariantError } from './errors'
import { Raft } from './raft'
import type { Status } from './raft'
import type { Storage } from './storage'
import type { ConfChange, ConfState, Entry, HardState, Message, NodeId, Ready, SoftState } from './types'
import { EntryType, MessageType, NO_NODE, isLocalMessage, isResponseMessage, makeMessage } from './types'

/**
 * Messages a leader may send before its own Ready is persisted: they carry
 * no promise that depends on local durability (thesis §10.2.1). Every other
 * message (vote grants, append acknowledgements, vote requests) must wait.
 */
export function canSendBeforePersist(m: Message): boolean {
  return (
    m.type === MessageType.App ||
    m.type === MessageType.Snap ||
    m.type === MessageType.Heartbeat ||
    m.type === MessageType.TimeoutNow
  )
}

export class RawNode {
  readonly raft: Raft
  private prevSoft: SoftState
  private prevHard: HardState
  private inFlight: Ready | null = null

  constructor(config: Config, storage: Storage) {
    this.raft = new Raft(config, storage)
    this.prevSoft = this.raft.softState()
    this.prevHard = storage.initialState().hardState
  }

  /**
   * Starts a brand-new cluster: the log begins with one AddNode ConfChange per
   * initial voter at term 1, committed, so that a member added later learns
   * the full membership by replaying the log, as in etcd. Storage must be empty.
   */
  bootstrap(voters: readonly NodeId[]): void {
    const log = this.raft.log
    if (log.lastIndex() !== 0) throw new RaftInvariantError('bootstrap needs empty storage')
    if (voters.length === 0) throw new RaftInvariantError('bootstrap needs at least one voter')
    this.raft.becomeFollower(1, NO_NODE)
    const ents: Entry[] = voters.map((id, i) => ({
      term: 1,
      index: i + 1,
      type: EntryType.ConfChange,
      data: encodeConfChange({ type: 'addNode', nodeId: id, context: new Uint8Array(0) }),
    }))
    log.append(ents)
    log.committed = ents.length
    // Apply the membership now so the node can campaign; the entries are also
    // delivered as committed entries and applying them again is a no-op.
    for (const id of voters) this.raft.applyConfChange({ type: 'addNode', nodeId: id, context: new Uint8Array(0) })
  }

  tick(): void {
    this.raft.tick()
  }

  /** Starts an election now (tests, and `etcdctl move-leader` style forcing). */
  campaign(): void {
    this.raft.step(makeMessage({ type: MessageType.Hup, to: this.raft.id, from: this.raft.id, term: 0 }))
  }

  /** Returns false when the proposal was dropped here; true means accepted or forwarded (not committed). */
  propose(data: Uint8Array): boolean {
    return this.proposeEntry(EntryType.Normal, data)
  }

  /**
   * Proposes several entries as one message: one append for all of them, so
   * followers receive them in one MsgApp. The caller's batching unit (e.g.
   * everything queued during one event-loop turn).
   */
  proposeMany(datas: readonly Uint8Array[]): boolean {
    if (datas.length === 0) return true
    const entries: Entry[] = datas.map((data) => ({ term: 0, index: 0, type: EntryType.Normal, data }))
    return this.raft.step(makeMessage({ type: MessageType.Prop, to: this.raft.id, from: this.raft.id, term: 0, entries }))
  }

  proposeConfChange(cc: ConfChange): boolean {
    return this.proposeEntry(EntryType.ConfChange, encodeConfChange(cc))
  }

  private proposeEntry(type: EntryType, data: Uint8Array): boolean {
    const e: Entry = { term: 0, index: 0, type, data }
    return this.raft.step(makeMessage({ type: MessageType.Prop, to: this.raft.id, from: this.raft.id, term: 0, entries: [e] }))
  }

  /**
   * Asks for a linearizable read point. `ctx` must be unique among waiting
   * reads; the answer arrives as a ReadState with the same ctx.
   */
  readIndex(ctx: Uint8Array): boolean {
    return this.raft.step(makeMessage({ type: MessageType.ReadIndex, to: this.raft.id, from: this.raft.id, term: 0, context: ctx }))
  }

  /** Asks the leader (directly or via forwarding) to hand leadership to `transferee`. */
  transferLeader(transferee: NodeId): boolean {
    return this.raft.step(makeMessage({ type: MessageType.TransferLeader, to: this.raft.id, from: transferee, term: 0 }))
  }

  /** Feeds a message received from a peer. Local message types are refused. */
  step(m: Message): boolean {
    if (isLocalMessage(m.type)) throw new RaftInvariantError(`${m.type} cannot be stepped from outside`)
    // A response from a peer that is not in our configuration is noise.
    if (isResponseMessage(m.type) && !this.raft.tracker.progress.has(m.from)) return false
    return this.raft.step(m)
  }

  applyConfChange(cc: ConfChange): ConfState {
    return this.raft.applyConfChange(cc)
  }

  /** The transport could not reach `id`: stop optimistic replication to it. */
  reportUnreachable(id: NodeId): void {
    this.raft.step(makeMessage({ type: MessageType.Unreachable, to: this.raft.id, from: id, term: 0 }))
  }

  /** The snapshot sent to `id` was delivered (ok) or failed. */
  reportSnapshot(id: NodeId, ok: boolean): void {
    this.raft.step(makeMessage({ type: MessageType.SnapStatus, to: this.raft.id, from: id, term: 0, reject: !ok }))
  }

  hasReady(): boolean {
    const r = this.raft
    if (r.msgs.length > 0 || r.readStates.length > 0 || r.hasPendingBroadcast()) return true
    if (r.log.unstable.entries.length > 0 || r.log.unstable.snapshot !== null) return true
    if (r.log.hasNextCommittedEntries()) return true
    const soft = r.softState()
    if (soft.lead !== this.prevSoft.lead || soft.role !== this.prevSoft.role) return true
    const hs = r.hardState()
    return hs.term !== this.prevHard.term || hs.vote !== this.prevHard.vote || hs.commit !== this.prevHard.commit
  }

  /** The next batch. Call advance() after handling it, before the next ready(). */
  ready(): Ready {
    if (this.inFlight) throw new RaftInvariantError('ready() called twice without advance()')
    const r = this.raft
    r.flushBroadcast()
    const soft = r.softState()
    const hs = r.hardState()
    const softChanged = soft.lead !== this.prevSoft.lead || soft.role !== this.prevSoft.role
    const termOrVote = hs.term !== this.prevHard.term || hs.vote !== this.prevHard.vote
    const hardChanged = termOrVote || hs.commit !== this.prevHard.commit
    const entries = r.log.unstable.entries.slice()
    const rd: Ready = {
      softState: softChanged ? soft : null,
      hardState: hardChanged ? hs : null,
      readStates: r.readStates,
      entries,
      snapshot: r.log.unstable.snapshot,
      committedEntries: r.log.nextCommittedEntries(r.maxCommittedSizePerReady()),
      messages: r.msgs,
      mustSync: entries.length > 0 || termOrVote,
    }
    r.msgs = []
    r.readStates = []
    this.inFlight = rd
    return rd
  }

  /** The caller persisted, sent and applied the last Ready. */
  advance(): void {
    const rd = this.inFlight
    if (!rd) throw new RaftInvariantError('advance() without ready()')
    this.inFlight = null
    const r = this.raft
    if (rd.softState) this.prevSoft = rd.softState
    if (rd.hardState) this.prevHard = rd.hardState
    if (rd.snapshot) {
      r.log.stableSnapTo(rd.snapshot.metadata.index)
      if (r.log.applied < rd.snapshot.metadata.index) r.appliedTo(rd.snapshot.metadata.index)
    }
    if (rd.entries.length > 0) {
      const last = rd.entries[rd.entries.length - 1]
      r.log.stableTo(last.index, last.term)
    }
    if (rd.committedEntries.length > 0) {
      r.appliedTo(rd.committedEntries[rd.committedEntries.length - 1].index)
      r.reduceUncommittedSize(rd.committedEntries)
    }
    r.onPersisted()
  }

  status(): Status {
    return this.raft.status()
  }
}
