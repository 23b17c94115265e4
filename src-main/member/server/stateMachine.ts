/**
 * The replicated state machine: the MVCC store, leases, membership, alarms and auth. Every
 * committed log entry is applied here, in order, on every member, so each makes the same changes
 * with the same results (errors included: a Put with a missing lease fails identically everywhere).
 *
 * It applies every entry type itself (empty entries, requests and configuration changes), owns the
 * applied index, and reports what the rest of the member must do as values: the proposal to wake,
 * the Raft configuration change to apply, the membership the peer links must follow.
 */
import { decodeConfChange, EntryType, type ConfChange, type Entry } from '../../raft/index'
import { internalRequestCodec } from '../../etcdpb/load'
import { AuthStore } from '../auth/store'
import { DEFAULT_QUOTA_BYTES } from '../config'
import { EtcdError, Errors } from '../errors'
import { Lessor } from '../lease/lessor'
import { MvccStore } from '../mvcc/store'
import { decodeState, encodeState, freezeState, StateDecoder, type FrozenState, type StateImage } from './stateCodec'
import { AlarmStore, type AlarmMember, type AlarmName } from './alarms'
import { applyRequest, type Applier, type AuthInfo } from './apply/applier'
import { buildApplier } from './apply/chain'
import { backendQuota, type Quota } from './apply/quota'
import { ClusterMembers, MAX_LEARNERS } from './cluster'
import type { InternalRequest, Member } from './pb'

export type { AlarmName }

const codec = internalRequestCodec<InternalRequest>()

export interface ApplyOutcome {
  /** Response body without header, or the error the client must see. */
  result: unknown
  error?: EtcdError
  /** Store revision right after applying (goes into the response header). */
  revision: number
}

/** Membership after a change, for the peer links and the member's own fate. */
export interface MembershipEffect {
  members: Member[]
  /** This member was removed from the cluster: it must stop. */
  removedSelf: boolean
}

/** What applying one entry asks of the rest of the member. */
export interface EntryResult {
  index: number
  /** The proposal this member is waiting on, with its outcome (only on the proposing member). */
  proposal?: { id: string; outcome: ApplyOutcome }
  /** A Raft configuration change the node must apply at this same step. */
  confChange?: ConfChange
  membership?: MembershipEffect
}

export class StateMachine {
  readonly store = new MvccStore()
  readonly lessor: Lessor
  readonly cluster: ClusterMembers
  readonly auth = new AuthStore()
  readonly alarms = new AlarmStore()
  /** The quota the API checks before proposing and the quota layer checks again when applying. */
  readonly quota: Quota
  /** Set by the first leader (etcd's cluster version), '' until then. */
  clusterVersion = ''
  /** Told about an entry that could not be decoded or applied as planned (the member logs it). */
  onInternalError?: (index: number, err: unknown) => void
  private applied = 0
  private appliedAtTerm = 0
  private applier: Applier
  private applierAlarms: number

  constructor(
    clusterId: string,
    readonly localId: string,
    minLeaseTTL: number,
    quotaBytes = DEFAULT_QUOTA_BYTES,
  ) {
    this.lessor = new Lessor(minLeaseTTL)
    this.cluster = new ClusterMembers(clusterId, localId)
    this.quota = backendQuota(() => this.store.sizeInUse(), quotaBytes)
    this.applier = buildApplier(this, this.quota, this.alarms)
    this.applierAlarms = this.alarms.revision
  }

  /** Index of the last applied entry (etcd's consistent index). */
  get appliedIndex(): number {
    return this.applied
  }

  get appliedTerm(): number {
    return this.appliedAtTerm
  }

  hasAlarm(name: AlarmName): boolean {
    return this.alarms.has(name)
  }

  alarmList(): AlarmMember[] {
    return this.alarms.list()
  }

  /** Applies one committed entry. Entries at or below the applied index are in the state already. */
  applyEntry(e: Entry): EntryResult {
    if (e.index <= this.applied) return { index: e.index }
    if (e.type === EntryType.ConfChange) return this.applyConfChange(e)
    // Read once: an entry from Raft's storage makes a new view of its bytes at each read (KeptEntry).
    const data = e.data
    if (data.byteLength === 0) {
      // The empty entry a new leader appends.
      this.markApplied(e.index, e.term)
      return { index: e.index }
    }
    const req = this.decode(e, data)
    if (!req) return { index: e.index }
    const outcome = this.applyRequest(e.index, e.term, req)
    const result: EntryResult = { index: e.index, proposal: this.proposalOf(req, outcome) }
    // A peer URL update changes no Raft configuration, but the links must follow it.
    if (req.member_change && !outcome.error) result.membership = this.membership(undefined)
    return result
  }

  /**
   * The request an entry carries. An entry that does not decode (no member of ours writes one, but
   * the log is input too) is applied as nothing, identically on every member, and logged.
   */
  private decode(e: Entry, data: Uint8Array): InternalRequest | undefined {
    try {
      return codec.decode(Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength))
    } catch (err) {
      this.markApplied(e.index, e.term)
      this.onInternalError?.(e.index, err)
      return undefined
    }
  }

  private applyConfChange(e: Entry): EntryResult {
    let cc: ConfChange
    try {
      cc = decodeConfChange(e.data)
    } catch (err) {
      this.markApplied(e.index, e.term)
      this.onInternalError?.(e.index, err)
      return { index: e.index }
    }
    if (cc.context.byteLength === 0) {
      // The entries that bootstrap a new cluster: its members are in the state from the start.
      this.markApplied(e.index, e.term)
      return { index: e.index, confChange: cc, membership: this.membership(cc) }
    }
    const req = this.decode(e, cc.context)
    // A conf change whose request cannot be read changes nothing, in Raft either (as a refused one).
    if (!req) return { index: e.index }
    // Checked again when applied, as etcd does: two racing changes may both have passed the check
    // at proposal time. A change that is no longer valid changes nothing, in Raft either.
    const invalid = this.checkMemberChange(req)
    if (invalid) {
      this.markApplied(e.index, e.term)
      return { index: e.index, proposal: this.proposalOf(req, { result: undefined, error: invalid, revision: this.store.currentRev }) }
    }
    const outcome = this.applyRequest(e.index, e.term, req)
    return { index: e.index, proposal: this.proposalOf(req, outcome), confChange: cc, membership: this.membership(cc) }
  }

  private proposalOf(req: InternalRequest, outcome: ApplyOutcome): EntryResult['proposal'] {
    return req.proposer === this.localId ? { id: req.ID, outcome } : undefined
  }

  private membership(cc: ConfChange | undefined): MembershipEffect {
    return { members: this.cluster.list(), removedSelf: cc?.type === 'removeNode' && cc.nodeId === this.localId }
  }

  /** Applies one decoded request as the entry at (index, term). */
  applyRequest(index: number, term: number, req: InternalRequest): ApplyOutcome {
    this.markApplied(index, term)
    if (this.applierAlarms !== this.alarms.revision) {
      this.applier = buildApplier(this, this.quota, this.alarms)
      this.applierAlarms = this.alarms.revision
    }
    const h = req.header
    const ai: AuthInfo | undefined = h ? { username: h.username, revision: Number(h.auth_revision) } : undefined
    try {
      const result = applyRequest(this.applier, req, ai)
      return { result, revision: this.store.currentRev }
    } catch (err) {
      if (err instanceof EtcdError) return { result: undefined, error: err, revision: this.store.currentRev }
      // Apply is total: a request the layers did not foresee fails the same way on every member
      // (the same code meets the same entry), and the member goes on.
      this.onInternalError?.(index, err)
      return { result: undefined, error: Errors.applyFailed(err instanceof Error ? err.message : String(err)), revision: this.store.currentRev }
    } finally {
      // An alarm raised or cleared by this entry guards the very next one.
      if (this.applierAlarms !== this.alarms.revision) {
        this.applier = buildApplier(this, this.quota, this.alarms)
        this.applierAlarms = this.alarms.revision
      }
    }
  }

  private markApplied(index: number, term: number): void {
    this.applied = index
    this.appliedAtTerm = term
  }

  /**
   * For a state built outside the log (a restore from an etcd snapshot): the log position it
   * stands for.
   */
  startAt(index: number, term: number): void {
    this.markApplied(index, term)
  }

  /** The whole state in one buffer, as a snapshot holds it (tests and small states). */
  snapshot(): Buffer {
    return encodeState(this)
  }

  /** The state now, captured at once for a snapshot written in pieces (see stateCodec.ts). */
  freeze(): FrozenState {
    return freezeState(this)
  }

  logMemoryReleased(released: (b: ArrayBufferLike) => boolean): void {
    this.store.promoteLiveValues(released)
  }

  /** Replaces the whole state with a snapshot's held in one buffer. */
  restore(data: Uint8Array): MembershipEffect {
    return this.adopt(decodeState(data))
  }

  /**
   * Replaces the whole state with a snapshot's that arrives in chunks (a restart, or a snapshot
   * sent by the leader): the new state is built aside and swapped in by finish().
   */
  beginRestore(): { push(chunk: Uint8Array): void; finish(): MembershipEffect } {
    const d = new StateDecoder()
    return { push: (c) => d.push(c), finish: () => this.adopt(d.finish()) }
  }

  private adopt(image: StateImage): MembershipEffect {
    this.store.adopt(image.store)
    this.lessor.restore(image.leases)
    this.cluster.restore(image.cluster)
    this.alarms.restore(image.alarms)
    this.auth.restore(image.auth)
    this.clusterVersion = image.clusterVersion
    this.markApplied(image.appliedIndex, image.appliedTerm)
    return this.membership(undefined)
  }

  /**
   * The error a membership change would fail with now, if any (re-checked at apply time). Lenient
   * where the change is already in effect: a member that joined with the current member list, or a
   * restart without a snapshot, replays changes its seeded list already contains.
   */
  checkMemberChange(req: InternalRequest): EtcdError | undefined {
    const change = req.member_change
    if (!change) return undefined
    const m = change.member
    if (!m) return Errors.applyFailed('membership change without a member')
    const existing = this.cluster.get(m.ID)
    switch (change.kind) {
      case 'ADD': {
        if (existing) return undefined
        if (this.cluster.removed.has(m.ID)) return Errors.memberExist()
        const urls = new Set(m.peerURLs)
        for (const other of this.cluster.members.values()) if (other.peerURLs.some((u) => urls.has(u))) return Errors.peerURLExist()
        // Two learner adds racing each other both passed the check before proposing.
        if (m.isLearner && this.cluster.learnerCount() >= MAX_LEARNERS) return Errors.tooManyLearners()
        return undefined
      }
      case 'PROMOTE':
      case 'UPDATE':
        return existing ? undefined : Errors.memberNotFound()
      default:
        return undefined
    }
  }
}
