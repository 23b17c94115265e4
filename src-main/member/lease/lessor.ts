/**
 * Leases, as etcd's lessor keeps them. Grants and revokes go through the log, so every member
 * has the same set of leases; expiry is a leader-only clock: only the primary (the leader)
 * tracks deadlines, renews them on keep-alive and proposes revokes when they pass. A new leader
 * restarts every lease's clock from its remaining TTL (checkpointed) or its full TTL.
 *
 * Deadlines are on a monotonic clock (performance.now), never the wall clock: an NTP step or a
 * hand-set date on the leader must not expire a lease early, nor keep one alive.
 */
import { Errors } from '../errors'

/** etcd's upper bound on a lease TTL, in seconds. */
export const MAX_LEASE_TTL = 9_000_000_000

export interface Lease {
  id: string
  /** TTL in seconds as granted (after the minimum is applied). */
  ttl: number
  /** Remaining TTL recorded by a checkpoint, 0 when none. */
  remainingTTL: number
  /** Deadline on the primary's monotonic clock (ms); Infinity elsewhere. */
  expiry: number
}

/** What a keep-alive on the primary finds. */
export type Renewal = { ttl: number } | { expired: true }

export class Lessor {
  readonly leases = new Map<string, Lease>()
  private primary = false
  /** Keep-alives waiting for an expired lease's revoke (or for this member to stop leading). */
  private readonly revokeWaiters = new Map<string, Array<(revoked: boolean) => void>>()

  /**
   * @param minTTL seconds; etcd uses ceil(1.5 × election timeout) so a lease outlives a leader
   * election.
   */
  constructor(
    readonly minTTL: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  isPrimary(): boolean {
    return this.primary
  }

  grant(id: string, ttl: number): Lease {
    if (this.leases.has(id)) throw Errors.leaseExist()
    if (ttl > MAX_LEASE_TTL) throw Errors.leaseTTLTooLarge()
    const granted = Math.max(ttl, this.minTTL)
    const lease: Lease = { id, ttl: granted, remainingTTL: 0, expiry: this.primary ? this.now() + granted * 1000 : Infinity }
    this.leases.set(id, lease)
    return lease
  }

  /** Removes the lease; the caller deletes its keys in the same apply step. */
  revoke(id: string): void {
    if (!this.leases.delete(id)) throw Errors.leaseNotFound()
    this.settle(id, true)
  }

  /**
   * Keep-alive on the primary: restart the clock and return the TTL. A lease whose deadline has
   * passed is not brought back (etcd's Renew): it is being revoked, and the caller waits for that
   * (`untilRevoked`) before answering "not found".
   */
  renew(id: string): Renewal {
    if (!this.primary) throw Errors.notLeader()
    const l = this.leases.get(id)
    if (!l) throw Errors.leaseNotFound()
    if (l.expiry <= this.now()) return { expired: true }
    l.remainingTTL = 0
    l.expiry = this.now() + l.ttl * 1000
    return { ttl: l.ttl }
  }

  /**
   * Resolves true once the lease is revoked, false if this member stops leading first (then the
   * new leader's clock decides) or after `timeoutMs`.
   */
  untilRevoked(id: string, timeoutMs: number): Promise<boolean> {
    if (!this.leases.has(id)) return Promise.resolve(true)
    if (!this.primary) return Promise.resolve(false)
    return new Promise((resolve) => {
      let done = false
      const finish = (revoked: boolean): void => {
        if (done) return
        done = true
        clearTimeout(timer)
        resolve(revoked)
      }
      const timer = setTimeout(() => {
        const list = this.revokeWaiters.get(id)
        const i = list?.indexOf(finish) ?? -1
        if (list && i >= 0) list.splice(i, 1)
        finish(false)
      }, timeoutMs)
      const list = this.revokeWaiters.get(id) ?? []
      list.push(finish)
      this.revokeWaiters.set(id, list)
    })
  }

  private settle(id: string, revoked: boolean): void {
    const list = this.revokeWaiters.get(id)
    if (!list) return
    this.revokeWaiters.delete(id)
    for (const w of list) w(revoked)
  }

  checkpoint(id: string, remainingTTL: number): void {
    const l = this.leases.get(id)
    if (l) l.remainingTTL = remainingTTL
  }

  /** Seconds left as the primary sees it (etcd rounds up); -1 when unknown. */
  remaining(id: string): number {
    const l = this.leases.get(id)
    if (!l) return -1
    if (l.expiry === Infinity) return l.remainingTTL > 0 ? l.remainingTTL : l.ttl
    return Math.max(0, Math.ceil((l.expiry - this.now()) / 1000))
  }

  promote(extraMs = 0): void {
    this.primary = true
    const now = this.now()
    for (const l of this.leases.values()) l.expiry = now + extraMs + (l.remainingTTL > 0 ? l.remainingTTL : l.ttl) * 1000
  }

  demote(): void {
    this.primary = false
    for (const l of this.leases.values()) l.expiry = Infinity
    for (const id of [...this.revokeWaiters.keys()]) this.settle(id, false)
  }

  /** Leases past their deadline (primary only). */
  expired(limit = 1000): string[] {
    if (!this.primary) return []
    const now = this.now()
    const out: string[] = []
    for (const l of this.leases.values()) {
      if (l.expiry <= now) out.push(l.id)
      if (out.length >= limit) break
    }
    return out
  }

  /** Restore from a snapshot: the clocks restart as on a new leader. */
  restore(leases: Array<{ id: string; ttl: number; remainingTTL: number }>): void {
    this.leases.clear()
    for (const id of [...this.revokeWaiters.keys()]) this.settle(id, !leases.some((l) => l.id === id))
    for (const l of leases) this.leases.set(l.id, { ...l, expiry: Infinity })
    if (this.primary) this.promote()
  }
}
