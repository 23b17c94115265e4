/**
 * What a follower asks of the leader over the peer port (peer/requests.ts), as etcd does over its
 * peer HTTP endpoints (/leases, /leases/internal, /members/promote): only the leader's lease clocks
 * count, and only the leader knows how far a learner has caught up. Both sides live here: `serve`
 * answers on the leader, `forward` asks from a follower and follows a changing leader until the
 * request's deadline.
 */
import { status } from '@grpc/grpc-js'
import { EtcdError, Errors } from '../errors'
import type { Lessor } from '../lease/lessor'
import type { MvccStore } from '../mvcc/store'
import type { PeerRequestHandler } from '../peer/transport'
import type { Member } from './pb'

export const LeaderMethods = {
  leaseRenew: 'lease-renew',
  leaseTimeToLive: 'lease-ttl',
  memberPromote: 'member-promote',
} as const

export interface LeaseTimeToLive {
  ID: string
  TTL: string
  grantedTTL: string
  keys: Buffer[]
}

/** What answering needs of the member. */
export interface LeaderRequestsHost {
  readonly state: { readonly lessor: Lessor; readonly store: Pick<MvccStore, 'keysOfLease'> }
  isLeader(): boolean
  readonly requestTimeoutMs: number
  /** Promotes a learner (server/membership.ts), proposing as the member itself. */
  promote(id: string): Promise<Member[]>
}

/**
 * A keep-alive on the leader: the new TTL, 0 for a lease that does not exist or has expired. An
 * expired lease is not renewed: as etcd, the answer waits until its revoke is applied (or this
 * member stops leading, and the new leader must be asked).
 */
export async function renewOnLeader(host: LeaderRequestsHost, id: string): Promise<number> {
  const lessor = host.state.lessor
  let r
  try {
    r = lessor.renew(id)
  } catch (err) {
    if (err instanceof EtcdError && err.message === Errors.leaseNotFound.message) return 0
    throw err
  }
  if ('ttl' in r) return r.ttl
  if (await lessor.untilRevoked(id, host.requestTimeoutMs)) return 0
  throw host.isLeader() ? Errors.timeout() : Errors.notLeader()
}

/** LeaseTimeToLive as the leader sees it (TTL -1 for a lease that does not exist, as etcd). */
export function timeToLiveOnLeader(host: LeaderRequestsHost, id: string, keys: boolean): LeaseTimeToLive {
  if (!host.isLeader()) throw Errors.notLeader()
  const lessor = host.state.lessor
  const l = lessor.leases.get(id)
  if (!l) return { ID: id, TTL: '-1', grantedTTL: '0', keys: [] }
  return {
    ID: id,
    TTL: String(lessor.remaining(id)),
    grantedTTL: String(l.ttl),
    keys: keys ? host.state.store.keysOfLease(id).map((k) => Buffer.from(k, 'latin1')) : [],
  }
}

const leaseId = (body: unknown): string => {
  const id = (body as { ID?: unknown } | null)?.ID
  if (typeof id !== 'string' || !/^-?[0-9]{1,20}$/.test(id)) throw new EtcdError(status.INVALID_ARGUMENT, 'etcdserver: malformed lease ID')
  return id
}

/** The leader's side: answers a follower's forwarded requests. */
export function leaderRequestHandler(host: LeaderRequestsHost): PeerRequestHandler {
  return {
    async handle(_from, method, body) {
      if (!host.isLeader()) throw Errors.notLeader()
      switch (method) {
        case LeaderMethods.leaseRenew:
          return { TTL: String(await renewOnLeader(host, leaseId(body))) }
        case LeaderMethods.leaseTimeToLive: {
          const r = timeToLiveOnLeader(host, leaseId(body), (body as { keys?: unknown }).keys === true)
          return { ...r, keys: r.keys.map((k) => k.toString('base64')) }
        }
        case LeaderMethods.memberPromote: {
          const id = (body as { ID?: unknown } | null)?.ID
          if (typeof id !== 'string' || !/^[0-9]{1,20}$/.test(id)) throw Errors.memberNotFound()
          return { members: await host.promote(id) }
        }
        default:
          throw new EtcdError(status.UNIMPLEMENTED, `etcdserver: unknown peer request ${method}`)
      }
    },
  }
}

/** The follower's side: what asking the leader needs. */
export interface ForwardHost {
  /** The current leader's member ID, or undefined while there is none. */
  leaderId(): string | undefined
  readonly localId: string
  readonly requestTimeoutMs: number
  /** Resolves true once a leader is known, false after `timeoutMs`. */
  untilLeaderKnown(timeoutMs: number): Promise<boolean>
  /** Resolves at the next change of Raft's state (true) or after `timeoutMs` (false). */
  nextChange(timeoutMs: number): Promise<boolean>
  request(id: string, method: string, body: unknown, timeoutMs: number): Promise<unknown>
}

/**
 * Asks the leader, following it as it changes, until the request's deadline (etcd's LeaseRenew
 * loop). The leader's own errors (not found, not a learner…) come back as they are.
 */
export async function forwardToLeader(host: ForwardHost, method: string, body: unknown): Promise<unknown> {
  const deadline = performance.now() + host.requestTimeoutMs
  for (;;) {
    const left = deadline - performance.now()
    if (left <= 0) throw Errors.timeout()
    const lead = host.leaderId()
    if (lead === undefined) {
      if (!(await host.untilLeaderKnown(left))) throw Errors.noLeader()
      continue
    }
    if (lead === host.localId) throw Errors.leaderChanged()
    try {
      return await host.request(lead, method, body, left)
    } catch (err) {
      const e = err as { code?: number; message?: string }
      const retry = e.code === status.UNAVAILABLE || e.message === Errors.notLeader.message
      if (!retry) throw new EtcdError(e.code ?? status.UNKNOWN, e.message ?? String(err))
      // The leader moved or its peer port is not reachable right now: wait for Raft to say more.
      if (host.leaderId() === lead) await host.nextChange(Math.min(deadline - performance.now(), 200))
    }
  }
}
