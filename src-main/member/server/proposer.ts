/**
 * Propose-and-wait (etcd's processInternalRaftRequest): a request gets an ID and the auth header
 * it was checked with, is encoded and size-checked, handed to Raft, and the caller waits until this
 * member applies the entry. A proposal Raft drops (no leader yet, a leader transfer under way) is
 * tried again when the Raft state next changes; one applied with an outdated auth revision is
 * proposed again with the current one, as etcd's raftRequest does.
 */
import type { ConfChange } from '../../raft/index'
import { internalRequestCodec } from '../../etcdpb/load'
import { encodeWriteProposal } from '../../etcdpb/writeProposal'
import { Errors } from '../errors'
import type { IdGenerator } from '../ids'
import type { InternalRequest } from './pb'
import type { ApplyOutcome, EntryResult } from './stateMachine'
import { Waiters, type StateWaiters } from './waiters'

const codec = internalRequestCodec<InternalRequest>()
const ignore = (): void => {}

export type ProposalBody = Omit<InternalRequest, 'ID' | 'proposer' | 'header'>

/** A put or a delete and nothing else: fields of wire shape only (see internalRequestCodec's encodeShaped). */
function isPlainWrite(body: ProposalBody): boolean {
  let n = 0
  for (const k in body) if ((body as Record<string, unknown>)[k] !== undefined) n++
  return n === 1 && (body.put !== undefined || body.delete_range !== undefined)
}

/** The user a request is made as, and the auth revision it was checked at. */
export interface AuthHeader {
  username: string
  revision: number
}

/** Called for every attempt, so a retry carries the current auth revision; may throw (e.g. an expired token). */
export type AuthSource = () => AuthHeader

export interface ProposeOptions {
  /** Propose as a Raft configuration change carrying the request. */
  confChange?: Omit<ConfChange, 'context'>
  /** The client's identity; without it the member proposes as itself (root, when auth is on). */
  auth?: AuthSource
}

/** The Raft calls a proposal needs. */
export interface ProposalSink {
  propose(data: Uint8Array): boolean
  proposeConfChange(cc: ConfChange): boolean
}

export interface ProposerOptions {
  localId: string
  ids: IdGenerator
  raft: ProposalSink
  /** Raft state changes: a dropped proposal is tried again at the next one. */
  changes: StateWaiters
  hasLeader(): boolean
  /** The member's own identity for internal proposals (etcd's WithRoot). */
  internalAuth: AuthSource
  maxRequestBytes: number
  timeoutMs: number
}

export class Proposer {
  private readonly waiters = new Waiters()
  private stopped = false

  constructor(private readonly o: ProposerOptions) {}

  async propose(body: ProposalBody, opts: ProposeOptions = {}): Promise<ApplyOutcome> {
    const deadline = performance.now() + this.o.timeoutMs
    let checkedAt = -1
    for (;;) {
      const auth = (opts.auth ?? this.o.internalAuth)()
      // Checked at an auth revision that is already old: again, but only with a newer one (a
      // simple token follows the store; a JWT keeps its own, and its client must log in again).
      if (auth.revision <= checkedAt) throw Errors.authOldRevision()
      checkedAt = auth.revision
      const outcome = await this.proposeOnce(body, opts, auth, deadline)
      if (outcome.error?.message === Errors.authOldRevision.message && performance.now() < deadline) continue
      if (outcome.error) throw outcome.error
      return outcome
    }
  }

  /**
   * One attempt. Not an async function: a proposal Raft takes at once (nearly all of them) returns
   * the waiter's own promise, with no async frame or extra promise around it for its lifetime.
   * Throwing here rejects propose()'s promise, as a rejection would.
   */
  private proposeOnce(body: ProposalBody, opts: ProposeOptions, auth: AuthHeader, deadline: number): Promise<ApplyOutcome> {
    if (this.stopped) throw Errors.stopped()
    const o = this.o
    const idBits = o.ids.next()
    const id = idBits.toString()
    const header = { username: auth.username, auth_revision: String(auth.revision) }
    // Puts and deletes are most proposals, and they arrive decoded from the client (64-bit integers
    // as strings, bytes as Buffers, no enums): they are written by hand (etcdpb/writeProposal.ts),
    // or else without protobufjs's fromObject copy.
    const plain = isPlainWrite(body)
    let data = plain ? encodeWriteProposal({ put: body.put, delete_range: body.delete_range, ID: idBits, proposer: o.localId, header }) : undefined
    if (!data) {
      const req = { ...body, ID: id, proposer: o.localId, header } as InternalRequest
      data = plain ? codec.encodeShaped(req) : codec.encode(req)
    }
    if (data.length > o.maxRequestBytes) throw Errors.requestTooLarge()
    const done = this.waiters.register(id, Math.max(0, deadline - performance.now()), () => (o.hasLeader() ? Errors.timeout() : Errors.timeoutDueToLeaderFail()))
    if (this.submit(data, opts)) return done
    // Dropped (no leader known, a leader transfer under way): try again when Raft's state changes.
    done.catch(ignore)
    return this.retry(id, data, opts, deadline, done)
  }

  private submit(data: Uint8Array, opts: ProposeOptions): boolean {
    return opts.confChange ? this.o.raft.proposeConfChange({ ...opts.confChange, context: data }) : this.o.raft.propose(data)
  }

  private async retry(id: string, data: Uint8Array, opts: ProposeOptions, deadline: number, done: Promise<ApplyOutcome>): Promise<ApplyOutcome> {
    for (;;) {
      const left = deadline - performance.now()
      if (left <= 0 || this.stopped || !(await this.o.changes.next(left))) {
        this.waiters.fail(id, this.stopped ? Errors.stopped() : Errors.timeout())
        return done
      }
      if (this.submit(data, opts)) return done
    }
  }

  /** Wakes the callers whose entries were just applied here. */
  applied(results: readonly EntryResult[]): void {
    for (const r of results) if (r.proposal) this.waiters.trigger(r.proposal.id, r.proposal.outcome)
  }

  stop(): void {
    this.stopped = true
    this.waiters.failAll(Errors.stopped())
  }
}
