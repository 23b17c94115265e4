// The Raft state machine of one node. Deterministic: it reacts to tick() and
// step(message) only, and leaves its outputs (messages, read states, log
// changes) for RawNode to hand to the caller as a Ready batch.

import { resolveConfig } from './config'
import type { Config, ResolvedConfig } from './config'
import { decodeConfChange } from './confChange'
import { CAMPAIGN_TRANSFER, inLeaderLease, isTransferCampaign, randomizedElectionTimeout } from './election'
import { CompactedError, RaftInvariantError, SnapshotTemporarilyUnavailableError } from './errors'
import { RaftLog } from './log'
import { Progress } from './progress'
import { majority } from './quorum'
import { ReadOnly } from './readOnly'
import { payloadsSize } from './sizes'
import type { Storage } from './storage'
import type { TraceSink } from './trace'
import { ProgressTracker } from './tracker'
import type { ConfChange, ConfState, Entry, HardState, Message, NodeId, ReadState, Role, Snapshot, SoftState } from './types'
import { EntryType, MessageType, NO_NODE, makeMessage } from './types'

type CampaignKind = 'pre' | 'election' | 'transfer'

/** A proposal to append: the core assigns term and index. */
export interface ProposedEntry {
  readonly type: EntryType
  readonly data: Uint8Array
}

export interface ProgressStatus {
  readonly match: number
  readonly next: number
  readonly state: string
  readonly isLearner: boolean
  readonly recentActive: boolean
  readonly inflight: number
}

export interface Status {
  readonly id: NodeId
  readonly term: number
  readonly vote: NodeId
  readonly lead: NodeId
  readonly role: Role
  readonly commit: number
  readonly applied: number
  readonly lastIndex: number
  readonly leadTransferee: NodeId
  readonly config: ConfState
  /** Only on the leader. */
  readonly progress: ReadonlyMap<NodeId, ProgressStatus>
}

const NO_DATA = new Uint8Array(0)

export class Raft {
  readonly id: NodeId
  term = 0
  vote: NodeId = NO_NODE
  lead: NodeId = NO_NODE
  role: Role = 'follower'
  readonly log: RaftLog
  readonly tracker: ProgressTracker
  /** Outgoing messages, drained by RawNode.ready(). */
  msgs: Message[] = []
  readStates: ReadState[] = []

  private readonly cfg: ResolvedConfig
  private trace: TraceSink | undefined
  private readonly readOnly = new ReadOnly()
  /** Reads that arrived before this leader committed an entry of its term. */
  private pendingReadIndex: Message[] = []
  private electionElapsed = 0
  private heartbeatElapsed = 0
  private randomizedTimeout: number
  leadTransferee: NodeId = NO_NODE
  /** Index of the newest ConfChange entry in the leader's log; at most one may be unapplied. */
  private pendingConfIndex = 0
  private uncommittedSize = 0
  /**
   * A broadcast of appends is owed (new entries or a new commit index). It is
   * sent when the caller next asks for a Ready, so every proposal and ack of
   * one caller turn shares one MsgApp per follower instead of one each.
   */
  private broadcastPending = false

  constructor(config: Config, storage: Storage) {
    this.cfg = resolveConfig(config)
    this.id = this.cfg.id
    this.trace = this.cfg.trace
    this.log = new RaftLog(storage)
    this.tracker = new ProgressTracker(this.cfg.maxInflightMsgs, this.cfg.maxInflightBytes)
    const { hardState, confState } = storage.initialState()
    this.tracker.reset(confState, this.log.lastIndex() + 1)
    if (hardState.term !== 0 || hardState.vote !== NO_NODE || hardState.commit !== 0) this.loadState(hardState)
    if (this.cfg.applied > 0) this.log.appliedTo(Math.min(Math.max(this.cfg.applied, this.log.applied), this.log.committed))
    this.randomizedTimeout = randomizedElectionTimeout(this.cfg.electionTick, this.cfg.random)
    this.becomeFollower(this.term, NO_NODE)
  }

  private loadState(hs: HardState): void {
    if (hs.commit < this.log.committed || hs.commit > this.log.lastIndex()) {
      throw new RaftInvariantError(`hard state commit ${hs.commit} out of range [${this.log.committed}, ${this.log.lastIndex()}]`)
    }
    this.log.committed = hs.commit
    this.term = hs.term
    this.vote = hs.vote
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed }
  }

  softState(): SoftState {
    return { lead: this.lead, role: this.role }
  }

  /** A voter of the current config, with no snapshot waiting to be installed. */
  promotable(): boolean {
    return this.tracker.voters.has(this.id) && this.log.unstable.snapshot === null
  }

  // ---------------------------------------------------------------- timing

  tick(): void {
    if (this.role === 'leader') this.tickHeartbeat()
    else this.tickElection()
  }

  private tickElection(): void {
    this.electionElapsed++
    if (this.promotable() && this.electionElapsed >= this.randomizedTimeout) {
      this.electionElapsed = 0
      this.step(this.local(MessageType.Hup))
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++
    this.electionElapsed++
    if (this.electionElapsed >= this.cfg.electionTick) {
      this.electionElapsed = 0
      if (this.cfg.checkQuorum) this.step(this.local(MessageType.CheckQuorum))
      // A transfer that did not finish within an election timeout is abandoned.
      if (this.role === 'leader' && this.leadTransferee !== NO_NODE) this.abortLeaderTransfer()
    }
    if (this.role !== 'leader') return
    if (this.heartbeatElapsed >= this.cfg.heartbeatTick) {
      this.heartbeatElapsed = 0
      this.step(this.local(MessageType.Beat))
    }
  }

  private local(type: MessageType): Message {
    return makeMessage({ type, to: this.id, from: this.id, term: 0 })
  }

  // ---------------------------------------------------------------- roles

  private setRole(role: Role): void {
    const from = this.role
    this.role = role
    const t = this.trace
    if (t && from !== role) t({ kind: 'role', node: this.id, term: this.term, from, to: role, lead: this.lead })
  }

  private reset(term: number): void {
    if (this.term !== term) {
      const t = this.trace
      if (t) t({ kind: 'term', node: this.id, from: this.term, to: term })
      this.term = term
      this.vote = NO_NODE
    }
    this.lead = NO_NODE
    this.electionElapsed = 0
    this.heartbeatElapsed = 0
    this.randomizedTimeout = randomizedElectionTimeout(this.cfg.electionTick, this.cfg.random)
    this.leadTransferee = NO_NODE
    this.tracker.resetVotes()
    const last = this.log.lastIndex()
    for (const [id, old] of this.tracker.progress) {
      const pr = new Progress(last + 1, old.isLearner, this.cfg.maxInflightMsgs, this.cfg.maxInflightBytes)
      if (id === this.id) pr.match = this.log.persistedIndex()
      this.tracker.progress.set(id, pr)
    }
    this.pendingConfIndex = 0
    this.uncommittedSize = 0
    this.readOnly.reset()
    this.pendingReadIndex = []
    this.broadcastPending = false
  }

  becomeFollower(term: number, lead: NodeId): void {
    this.reset(term)
    this.lead = lead
    this.setRole('follower')
  }

  private becomePreCandidate(): void {
    if (this.role === 'leader') throw new RaftInvariantError('invalid transition leader -> preCandidate')
    // Pre-vote changes neither term nor vote: a node that cannot win leaves no trace.
    this.tracker.resetVotes()
    this.lead = NO_NODE
    this.setRole('preCandidate')
  }

  private becomeCandidate(): void {
    if (this.role === 'leader') throw new RaftInvariantError('invalid transition leader -> candidate')
    this.reset(this.term + 1)
    this.vote = this.id
    this.setRole('candidate')
  }

  private becomeLeader(): void {
    if (this.role === 'follower') throw new RaftInvariantError('invalid transition follower -> leader')
    this.reset(this.term)
    this.lead = this.id
    this.setRole('leader')
    this.tracker.progress.get(this.id)?.becomeReplicate()
    // Conservatively assume the uncommitted tail holds a ConfChange.
    this.pendingConfIndex = this.log.lastIndex()
    // The no-op entry of the new term: once it commits, everything before it
    // is committed too, and ReadIndex may be served (§5.4.2, §6.4).
    this.appendEntries([{ type: EntryType.Normal, data: NO_DATA }])
  }

  // ---------------------------------------------------------------- step

  /**
   * Feeds one message. Returns false if a proposal, read or transfer request
   * was dropped (no leader, transfer in progress, size bound, ...).
   */
  step(m: Message): boolean {
    const t = this.trace
    if (t && m.term !== 0) t({ kind: 'receive', node: this.id, message: m })
    if (m.term === 0) {
      // Local message or a forwarded proposal/read: no term to compare.
    } else if (m.term > this.term) {
      if (m.type === MessageType.Vote || m.type === MessageType.PreVote) {
        const force = isTransferCampaign(m.context)
        const inLease = inLeaderLease(this.cfg.checkQuorum, this.lead !== NO_NODE, this.electionElapsed, this.cfg.electionTick)
        // We heard from a leader recently: do not let this node depose it.
        if (!force && inLease) return true
      }
      if (m.type === MessageType.PreVote) {
        // A pre-vote never changes our term.
      } else if (m.type === MessageType.PreVoteResp && !m.reject) {
        // The term in a granted pre-vote is the one we will campaign in.
      } else if (m.type === MessageType.App || m.type === MessageType.Heartbeat || m.type === MessageType.Snap) {
        this.becomeFollower(m.term, m.from)
      } else {
        this.becomeFollower(m.term, NO_NODE)
      }
    } else if (m.term < this.term) {
      if ((this.cfg.checkQuorum || this.cfg.preVote) && (m.type === MessageType.Heartbeat || m.type === MessageType.App)) {
        // A stale leader: tell it our term so it steps down. Without this, a
        // leader cut off long enough would never learn it was replaced,
        // because pre-vote keeps our term from reaching it via elections.
        this.send(makeMessage({ type: MessageType.AppResp, to: m.from, from: this.id, term: this.term }))
      } else if (m.type === MessageType.PreVote) {
        this.send(makeMessage({ type: MessageType.PreVoteResp, to: m.from, from: this.id, term: this.term, reject: true }))
      }
      return true
    }

    switch (m.type) {
      case MessageType.Hup:
        this.hup(isTransferCampaign(m.context) ? 'transfer' : this.cfg.preVote ? 'pre' : 'election')
        return true
      case MessageType.Vote:
      case MessageType.PreVote:
        this.handleVoteRequest(m)
        return true
    }
    switch (this.role) {
      case 'leader':
        return this.stepLeader(m)
      case 'candidate':
      case 'preCandidate':
        return this.stepCandidate(m)
      case 'follower':
        return this.stepFollower(m)
    }
  }

  // ---------------------------------------------------------------- elections

  private hup(kind: CampaignKind): void {
    if (this.role === 'leader') return
    if (!this.promotable()) return
    // A node must not campaign with a committed but unapplied config change:
    // it could be counting votes in a configuration that no longer exists.
    if (this.hasUnappliedConfChanges()) {
      const t = this.trace
      if (t) t({ kind: 'dropped', node: this.id, what: 'campaign', reason: 'unapplied conf change' })
      return
    }
    this.campaign(kind)
  }

  private hasUnappliedConfChanges(): boolean {
    const lo = Math.max(this.log.applied + 1, this.log.firstIndex())
    if (lo > this.log.committed) return false
    let ents: readonly Entry[]
    try {
      ents = this.log.slice(lo, this.log.committed + 1, 0)
    } catch (e) {
      if (e instanceof CompactedError) return false
      throw e
    }
    for (const e of ents) if (e.type === EntryType.ConfChange) return true
    return false
  }

  private campaign(kind: CampaignKind): void {
    let voteType: MessageType
    let term: number
    if (kind === 'pre') {
      this.becomePreCandidate()
      voteType = MessageType.PreVote
      term = this.term + 1
    } else {
      this.becomeCandidate()
      voteType = MessageType.Vote
      term = this.term
    }
    if (this.poll(this.id, kind === 'pre', true) === 'won') {
      // Single-voter configuration.
      if (kind === 'pre') this.campaign('election')
      else this.becomeLeader()
      return
    }
    const lastIndex = this.log.lastIndex()
    const lastTerm = this.log.lastTerm()
    const ctx = kind === 'transfer' ? CAMPAIGN_TRANSFER : null
    for (const id of this.tracker.voters) {
      if (id === this.id) continue
      this.send(makeMessage({ type: voteType, to: id, from: this.id, term, index: lastIndex, logTerm: lastTerm, context: ctx }))
    }
  }

  private poll(from: NodeId, preVote: boolean, granted: boolean): 'won' | 'lost' | 'pending' {
    const t = this.trace
    if (t) t({ kind: 'vote', node: this.id, term: this.term, voter: from, candidate: this.id, preVote, granted })
    this.tracker.recordVote(from, granted)
    return this.tracker.tallyVotes().result
  }

  private handleVoteRequest(m: Message): void {
    const preVote = m.type === MessageType.PreVote
    const respType = preVote ? MessageType.PreVoteResp : MessageType.VoteResp
    // We may vote for the same candidate again (a retransmission), for anyone
    // if we have neither voted nor seen a leader this term, and pre-vote for
    // anyone campaigning in a future term.
    const canVote =
      this.vote === m.from || (this.vote === NO_NODE && this.lead === NO_NODE) || (preVote && m.term > this.term)
    const f = this.cfg.faults
    const upToDate = preVote && f.preVoteSkipsLogCheck ? true : this.log.isUpToDate(m.index, m.logTerm, f.voteIgnoresLastTerm === true)
    const granted = canVote && upToDate
    const t = this.trace
    if (t) t({ kind: 'vote', node: this.id, term: m.term, voter: this.id, candidate: m.from, preVote, granted })
    if (granted) {
      // The response carries the candidate's term, so it is counted in the
      // election it belongs to (a pre-vote grant is for term+1).
      this.send(makeMessage({ type: respType, to: m.from, from: this.id, term: m.term }))
      if (!preVote) {
        this.electionElapsed = 0
        this.vote = m.from
      }
    } else {
      this.send(makeMessage({ type: respType, to: m.from, from: this.id, term: this.term, reject: true }))
    }
  }

  private stepCandidate(m: Message): boolean {
    const myResp = this.role === 'preCandidate' ? MessageType.PreVoteResp : MessageType.VoteResp
    switch (m.type) {
      case MessageType.Prop:
      case MessageType.ReadIndex:
      case MessageType.TransferLeader:
        this.dropped(m, 'no leader')
        return false
      case MessageType.App:
        this.becomeFollower(m.term, m.from)
        this.handleAppend(m)
        return true
      case MessageType.Heartbeat:
        this.becomeFollower(m.term, m.from)
        this.handleHeartbeat(m)
        return true
      case MessageType.Snap:
        this.becomeFollower(m.term, m.from)
        this.handleSnapshot(m)
        return true
      case myResp: {
        const result = this.poll(m.from, m.type === MessageType.PreVoteResp, !m.reject)
        if (result === 'won') {
          if (this.role === 'preCandidate') this.campaign('election')
          else {
            this.becomeLeader()
            this.bcastAppend()
          }
        } else if (result === 'lost') {
          // Stay in this term as a follower; a later timeout retries.
          this.becomeFollower(this.term, NO_NODE)
        }
        return true
      }
    }
    return true
  }

  // ---------------------------------------------------------------- follower

  private stepFollower(m: Message): boolean {
    switch (m.type) {
      case MessageType.Prop:
        if (this.lead === NO_NODE) return this.dropped(m, 'no leader')
        if (this.cfg.disableProposalForwarding) return this.dropped(m, 'forwarding disabled')
        this.forward(m)
        return true
      case MessageType.App:
        this.electionElapsed = 0
        this.lead = m.from
        this.handleAppend(m)
        return true
      case MessageType.Heartbeat:
        this.electionElapsed = 0
        this.lead = m.from
        this.handleHeartbeat(m)
        return true
      case MessageType.Snap:
        this.electionElapsed = 0
        this.lead = m.from
        this.handleSnapshot(m)
        return true
      case MessageType.TransferLeader:
        if (this.lead === NO_NODE) return this.dropped(m, 'no leader')
        this.forward(m)
        return true
      case MessageType.TimeoutNow:
        // Our leader asked us to take over: campaign now, skipping pre-vote.
        this.hup('transfer')
        return true
      case MessageType.ReadIndex:
        if (this.lead === NO_NODE) return this.dropped(m, 'no leader')
        this.forward(m)
        return true
      case MessageType.ReadIndexResp:
        this.readStates.push({ index: m.index, requestCtx: m.context ?? NO_DATA })
        return true
    }
    return true
  }

  private forward(m: Message): void {
    this.send({ ...m, to: this.lead })
  }

  private dropped(m: Message, reason: string): false {
    const t = this.trace
    if (t) t({ kind: 'dropped', node: this.id, what: m.type, reason })
    return false
  }

  private handleAppend(m: Message): void {
    if (m.index < this.log.committed) {
      this.send(makeMessage({ type: MessageType.AppResp, to: m.from, from: this.id, term: this.term, index: this.log.committed }))
      return
    }
    const before = this.log.committed
    const last = this.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries)
    if (last !== undefined) {
      this.traceCommit(before)
      this.send(makeMessage({ type: MessageType.AppResp, to: m.from, from: this.id, term: this.term, index: last }))
      return
    }
    // Reject with a hint: the last index at or before m.index whose term is
    // ≤ m.logTerm. The leader can then skip every entry of a divergent term
    // in one round instead of one entry per round.
    const [hintIndex, hintTerm] = this.log.findConflictByTerm(Math.min(m.index, this.log.lastIndex()), m.logTerm)
    this.send(
      makeMessage({
        type: MessageType.AppResp,
        to: m.from,
        from: this.id,
        term: this.term,
        index: m.index,
        reject: true,
        rejectHint: hintIndex,
        logTerm: hintTerm,
      }),
    )
  }

  private handleHeartbeat(m: Message): void {
    const before = this.log.committed
    this.log.commitTo(m.commit)
    this.traceCommit(before)
    this.send(makeMessage({ type: MessageType.HeartbeatResp, to: m.from, from: this.id, term: this.term, context: m.context }))
  }

  private handleSnapshot(m: Message): void {
    const s = m.snapshot
    if (s === null) throw new RaftInvariantError('MsgSnap without snapshot')
    const index = this.restore(s) ? this.log.lastIndex() : this.log.committed
    this.send(makeMessage({ type: MessageType.AppResp, to: m.from, from: this.id, term: this.term, index }))
  }

  /** Installs a snapshot into the log if it is news to us; returns whether it did. */
  private restore(s: Snapshot): boolean {
    const { index, term } = s.metadata
    if (index <= this.log.committed) return false
    if (this.log.matchTerm(index, term)) {
      // We already have the snapshot's last entry: just fast-forward commit.
      const before = this.log.committed
      this.log.commitTo(index)
      this.traceCommit(before)
      return false
    }
    const before = this.log.committed
    this.log.restore(s)
    this.traceCommit(before)
    this.tracker.reset(s.metadata.confState, this.log.lastIndex() + 1)
    const t = this.trace
    if (t) t({ kind: 'confChange', node: this.id, voters: [...this.tracker.voters], learners: [...this.tracker.learners] })
    return true
  }

  // ---------------------------------------------------------------- leader

  private stepLeader(m: Message): boolean {
    switch (m.type) {
      case MessageType.Beat:
        this.bcastHeartbeat(this.readOnly.startRound())
        return true
      case MessageType.CheckQuorum: {
        if (!this.tracker.quorumActive(this.id) && !this.cfg.faults.checkQuorumNeverStepsDown) {
          // We cannot tell whether a majority still follows us: stop serving
          // as leader before a newer leader could have been elected.
          this.becomeFollower(this.term, NO_NODE)
        }
        for (const [id, pr] of this.tracker.progress) if (id !== this.id) pr.recentActive = false
        return true
      }
      case MessageType.Prop:
        return this.propose(m)
      case MessageType.ReadIndex:
        return this.leaderReadIndex(m)
    }

    const pr = this.tracker.progress.get(m.from)
    if (!pr) return m.type === MessageType.TransferLeader ? this.dropped(m, 'transferee is not a member') : true
    switch (m.type) {
      case MessageType.AppResp:
        this.handleAppendResponse(m, pr)
        break
      case MessageType.HeartbeatResp:
        this.handleHeartbeatResponse(m, pr)
        break
      case MessageType.SnapStatus:
        if (pr.state !== 'snapshot') break
        if (m.reject) pr.pendingSnapshot = 0
        pr.becomeProbe()
        // Wait for the follower's MsgAppResp (or the next heartbeat) before probing.
        pr.probeSent = true
        break
      case MessageType.Unreachable:
        // The transport failed: stop streaming optimistically.
        if (pr.state === 'replicate') pr.becomeProbe()
        break
      case MessageType.TransferLeader: {
        if (pr.isLearner) return this.dropped(m, 'transferee is a learner')
        const transferee = m.from
        if (this.leadTransferee !== NO_NODE) {
          if (this.leadTransferee === transferee) return true
          this.abortLeaderTransfer()
        }
        if (transferee === this.id) return true
        // The transfer must finish within one election timeout.
        this.electionElapsed = 0
        this.leadTransferee = transferee
        if (pr.match === this.log.lastIndex()) this.sendTimeoutNow(transferee)
        else this.sendAppend(transferee)
        break
      }
    }
    return true
  }

  private propose(m: Message): boolean {
    if (m.entries.length === 0) throw new RaftInvariantError('empty proposal')
    if (!this.tracker.progress.has(this.id)) return this.dropped(m, 'leader was removed')
    if (this.leadTransferee !== NO_NODE) return this.dropped(m, 'leadership transfer in progress')
    const ents: ProposedEntry[] = []
    for (let i = 0; i < m.entries.length; i++) {
      const e = m.entries[i]
      if (e.type === EntryType.ConfChange) {
        if (this.pendingConfIndex > this.log.applied) {
          // One change at a time: the previous one is not applied yet. Keep
          // the slot (so indexes do not shift) but make it a no-op.
          ents.push({ type: EntryType.Normal, data: NO_DATA })
          const t = this.trace
          if (t) t({ kind: 'dropped', node: this.id, what: 'confChange', reason: 'another change is pending' })
          continue
        }
        this.pendingConfIndex = this.log.lastIndex() + i + 1
      }
      ents.push({ type: e.type, data: e.data })
    }
    if (!this.appendEntries(ents)) return this.dropped(m, 'too many uncommitted bytes')
    this.broadcastPending = true
    return true
  }

  private appendEntries(proposed: readonly ProposedEntry[]): boolean {
    const size = payloadsSize(proposed as readonly Entry[])
    const max = this.cfg.maxUncommittedEntriesSize
    // Always admit one proposal when nothing is outstanding, so an oversized
    // entry cannot wedge the leader forever.
    if (max > 0 && this.uncommittedSize > 0 && size > 0 && this.uncommittedSize + size > max) return false
    this.uncommittedSize += size
    let index = this.log.lastIndex()
    const ents: Entry[] = proposed.map((p) => ({ term: this.term, index: ++index, type: p.type, data: p.data }))
    this.log.append(ents)
    // Our own copy counts toward commit only once the caller has persisted it
    // (see onPersisted); until then followers may get it in parallel.
    return true
  }

  /** Called by RawNode.advance() once the caller has persisted a Ready. */
  onPersisted(): void {
    if (this.role !== 'leader') return
    const pr = this.tracker.progress.get(this.id)
    if (pr && pr.maybeUpdate(this.log.persistedIndex()) && this.maybeCommit()) this.afterCommit()
  }

  maxCommittedSizePerReady(): number {
    return this.cfg.maxCommittedSizePerReady
  }

  /** The caller applied everything up to `index`. */
  appliedTo(index: number): void {
    const before = this.log.applied
    this.log.appliedTo(index)
    const t = this.trace
    if (t && index !== before) t({ kind: 'apply', node: this.id, from: before, to: index })
  }

  reduceUncommittedSize(ents: readonly Entry[]): void {
    if (this.role !== 'leader') return
    this.uncommittedSize = Math.max(0, this.uncommittedSize - payloadsSize(ents))
  }

  private maybeCommit(): boolean {
    const mci = this.tracker.committed()
    if (!Number.isFinite(mci)) return false
    const before = this.log.committed
    if (!this.log.maybeCommit(mci, this.term, this.cfg.faults.commitOldTermEntries === true)) return false
    this.traceCommit(before)
    return true
  }

  private afterCommit(): void {
    if (this.pendingReadIndex.length > 0 && this.committedEntryInCurrentTerm()) {
      const waiting = this.pendingReadIndex
      this.pendingReadIndex = []
      for (const m of waiting) this.leaderReadIndex(m)
    }
    this.broadcastPending = true
  }

  hasPendingBroadcast(): boolean {
    return this.broadcastPending
  }

  /** Sends the owed appends; RawNode calls this when building a Ready. */
  flushBroadcast(): void {
    if (!this.broadcastPending) return
    this.broadcastPending = false
    if (this.role === 'leader') this.bcastAppend()
  }

  private handleAppendResponse(m: Message, pr: Progress): void {
    pr.recentActive = true
    if (m.reject) {
      // The follower's hint names an index ≤ its last one whose term is ≤ the
      // term we probed with; find where our log agrees with that.
      let nextProbe = m.rejectHint
      if (m.logTerm > 0) nextProbe = this.log.findConflictByTerm(m.rejectHint, m.logTerm)[0]
      if (pr.maybeDecrTo(m.index, nextProbe)) {
        if (pr.state === 'replicate') pr.becomeProbe()
        this.sendAppend(m.from)
      }
      return
    }
    const wasPaused = pr.isPaused()
    if (!pr.maybeUpdate(m.index) && !(pr.match === m.index && pr.state === 'probe')) return
    if (pr.state === 'probe') pr.becomeReplicate()
    else if (pr.state === 'snapshot' && pr.match + 1 >= this.log.firstIndex()) {
      // The follower caught up past the snapshot: back to normal replication.
      pr.becomeProbe()
      pr.becomeReplicate()
    } else if (pr.state === 'replicate') pr.inflights.freeLE(m.index)
    if (this.maybeCommit()) this.afterCommit()
    else if (wasPaused) this.sendAppend(m.from)
    while (this.maybeSendAppend(m.from, false)) {
      // Fill the window.
    }
    this.traceProgress(m.from, pr)
    if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) this.sendTimeoutNow(m.from)
  }

  private handleHeartbeatResponse(m: Message, pr: Progress): void {
    pr.recentActive = true
    pr.probeSent = false
    // The follower is alive but our window is full: acks were probably lost.
    // Free one slot so a MsgApp can go out; a gap makes the follower reject
    // it, which sends us back to probing instead of stalling forever.
    if (pr.state === 'replicate' && pr.inflights.full()) pr.inflights.freeFirstOne()
    if (pr.match < this.log.lastIndex()) this.sendAppend(m.from)
    if (m.context === null) return
    const acks = this.readOnly.recvAck(m.from, m.context)
    if (!acks) return
    let votes = 0
    for (const id of acks) if (this.tracker.voters.has(id)) votes++
    if (votes < majority(this.tracker.voters.size)) return
    for (const rs of this.readOnly.advance(m.context)) this.respondRead(rs.from, rs.index, rs.ctx)
    // Reads that arrived during that round share the next one.
    if (this.readOnly.waiting() > 0 && this.readOnly.roundInFlight === null) {
      this.bcastHeartbeat(this.readOnly.startRound())
    }
  }

  private committedEntryInCurrentTerm(): boolean {
    return this.log.term(this.log.committed) === this.term
  }

  private leaderReadIndex(m: Message): boolean {
    const ctx = m.context ?? NO_DATA
    const f = this.cfg.faults
    // Until this leader commits an entry of its term it does not know the
    // true commit index (earlier-term entries may be committed unbeknownst).
    if (!f.readIndexSkipsTermCommitCheck && !this.committedEntryInCurrentTerm()) {
      this.pendingReadIndex.push(m)
      return true
    }
    const selfVoter = this.tracker.voters.has(this.id)
    if ((selfVoter && this.tracker.voters.size === 1) || f.readIndexSkipsQuorum) {
      this.respondRead(m.from, this.log.committed, ctx)
      return true
    }
    if (!this.readOnly.add(this.log.committed, ctx, m.from)) return true
    this.readOnly.recvAck(this.id, ctx)
    if (this.readOnly.roundInFlight === null) this.bcastHeartbeat(this.readOnly.startRound())
    return true
  }

  private respondRead(from: NodeId, index: number, ctx: Uint8Array): void {
    if (from === NO_NODE || from === this.id) this.readStates.push({ index, requestCtx: ctx })
    else this.send(makeMessage({ type: MessageType.ReadIndexResp, to: from, from: this.id, term: this.term, index, context: ctx }))
  }

  private abortLeaderTransfer(): void {
    this.leadTransferee = NO_NODE
  }

  private sendTimeoutNow(to: NodeId): void {
    this.send(makeMessage({ type: MessageType.TimeoutNow, to, from: this.id, term: this.term }))
  }

  // ---------------------------------------------------------------- replication

  private bcastAppend(): void {
    const last = this.log.lastIndex()
    const commit = this.log.committed
    for (const [id, pr] of this.tracker.progress) {
      if (id === this.id) continue
      // Already sent everything, and the current commit index, during this turn (a paused
      // follower that just answered): one append per follower is enough.
      if (pr.next > last && pr.sentCommit === commit) continue
      this.sendAppend(id)
    }
  }

  private sendAppend(to: NodeId): void {
    this.maybeSendAppend(to, true)
  }

  /**
   * Sends the next MsgApp (or a snapshot) to `to` if its progress allows.
   * With sendIfEmpty false, nothing is sent when there are no new entries.
   */
  private maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.tracker.progress.get(to)
    if (!pr || pr.isPaused()) return false
    const prevIndex = pr.next - 1
    const prevTerm = this.log.term(prevIndex)
    let ents: readonly Entry[] | undefined
    if (prevTerm !== undefined) {
      try {
        ents = this.log.entriesFrom(pr.next, this.cfg.maxSizePerMsg)
      } catch (e) {
        if (!(e instanceof CompactedError)) throw e
      }
    }
    if (prevTerm === undefined || ents === undefined) return this.sendSnapshot(to, pr)
    if (ents.length === 0 && !sendIfEmpty) return false
    this.send(
      makeMessage({
        type: MessageType.App,
        to,
        from: this.id,
        term: this.term,
        index: prevIndex,
        logTerm: prevTerm,
        entries: ents,
        commit: this.log.committed,
      }),
    )
    pr.sentEntries(ents.length, payloadsSize(ents))
    pr.sentCommit = this.log.committed
    return true
  }

  private sendSnapshot(to: NodeId, pr: Progress): boolean {
    // A peer we have not heard from lately may be down; do not ship it a
    // snapshot that might be large until it answers.
    if (!pr.recentActive) return false
    let snap: Snapshot
    try {
      snap = this.log.snapshot()
    } catch (e) {
      if (e instanceof SnapshotTemporarilyUnavailableError) return false
      throw e
    }
    if (snap.metadata.index === 0) throw new RaftInvariantError('need a snapshot but none is available')
    this.send(makeMessage({ type: MessageType.Snap, to, from: this.id, term: this.term, snapshot: snap }))
    pr.becomeSnapshot(snap.metadata.index)
    this.traceProgress(to, pr)
    return true
  }

  private bcastHeartbeat(ctx: Uint8Array | null): void {
    for (const [id, pr] of this.tracker.progress) {
      if (id === this.id) continue
      // Never tell a follower to commit beyond what it is known to hold.
      const commit = Math.min(pr.match, this.log.committed)
      this.send(makeMessage({ type: MessageType.Heartbeat, to: id, from: this.id, term: this.term, commit, context: ctx }))
    }
  }

  private send(m: Message): void {
    const t = this.trace
    if (t) t({ kind: 'send', node: this.id, message: m })
    this.msgs.push(m)
  }

  // ---------------------------------------------------------------- membership

  /**
   * Applies a committed v1 ConfChange; the caller invokes this when it applies
   * the entry, as etcd does. Returns the resulting configuration.
   */
  applyConfChange(cc: ConfChange): ConfState {
    const next = Math.max(this.log.lastIndex(), 1)
    switch (cc.type) {
      case 'addNode':
        this.tracker.setMember(cc.nodeId, false, next)
        break
      case 'addLearnerNode':
        this.tracker.setMember(cc.nodeId, true, next)
        break
      case 'removeNode':
        this.tracker.removeMember(cc.nodeId)
        break
    }
    const t = this.trace
    if (t) t({ kind: 'confChange', node: this.id, voters: [...this.tracker.voters], learners: [...this.tracker.learners] })
    if (this.role === 'leader') {
      if (!this.tracker.progress.has(this.id)) {
        // Removed ourselves: step down so the rest elect a leader among
        // themselves (etcd's StepDownOnRemoval behaviour).
        this.becomeFollower(this.term, NO_NODE)
      } else {
        if (this.leadTransferee !== NO_NODE && !this.tracker.voters.has(this.leadTransferee)) this.abortLeaderTransfer()
        // The quorum changed: the commit index may move, and a new member
        // must start receiving the log.
        if (this.maybeCommit()) this.afterCommit()
        else for (const id of this.tracker.progress.keys()) if (id !== this.id) this.maybeSendAppend(id, false)
      }
    } else if (!this.tracker.voters.has(this.id) && this.role !== 'follower') {
      this.becomeFollower(this.term, NO_NODE)
    }
    return this.tracker.confState()
  }

  /** Decodes and applies a ConfChange entry; convenience for callers. */
  applyConfChangeEntry(e: Entry): ConfState {
    return this.applyConfChange(decodeConfChange(e.data))
  }

  // ---------------------------------------------------------------- observability

  /**
   * Where trace events go from now on (undefined: nowhere, and none is built). A member switches
   * it on only while someone watches them: each event is an object per message sent or received.
   */
  setTrace(sink: TraceSink | undefined): void {
    this.trace = sink
  }

  status(): Status {
    const progress = new Map<NodeId, ProgressStatus>()
    if (this.role === 'leader') {
      for (const [id, pr] of this.tracker.progress) {
        progress.set(id, {
          match: pr.match,
          next: pr.next,
          state: pr.state,
          isLearner: pr.isLearner,
          recentActive: pr.recentActive,
          inflight: pr.inflights.size(),
        })
      }
    }
    return {
      id: this.id,
      term: this.term,
      vote: this.vote,
      lead: this.lead,
      role: this.role,
      commit: this.log.committed,
      applied: this.log.applied,
      lastIndex: this.log.lastIndex(),
      leadTransferee: this.leadTransferee,
      config: this.tracker.confState(),
      progress,
    }
  }

  private traceCommit(before: number): void {
    const t = this.trace
    if (t && this.log.committed !== before) t({ kind: 'commit', node: this.id, term: this.term, from: before, to: this.log.committed })
  }

  private traceProgress(peer: NodeId, pr: Progress): void {
    const t = this.trace
    if (t) t({ kind: 'progress', node: this.id, peer, state: pr.state, match: pr.match, next: pr.next })
  }
}
