// Linearizable reads without a log entry (ReadIndex, thesis §6.4): the leader
// records its commit index when a read arrives, then confirms it is still
// leader by a heartbeat round that a quorum acknowledges; the read may be
// served once the caller has applied up to that index.
//
// Batching: a round started after a read arrived confirms that read, so every
// read queued before a round's context is released by that one round. While a
// round is in flight, newly arriving reads wait and all share the next round.

import type { NodeId } from './types'

export interface ReadRequest {
  readonly key: string
  readonly ctx: Uint8Array
  readonly from: NodeId
  readonly index: number
  readonly acks: Set<NodeId>
}

export function contextKey(ctx: Uint8Array): string {
  let s = ''
  for (let i = 0; i < ctx.length; i++) s += String.fromCharCode(ctx[i])
  return s
}

export class ReadOnly {
  private readonly pending = new Map<string, ReadRequest>()
  private queue: string[] = []
  /** Context of the heartbeat round in flight, or null when none is. */
  roundInFlight: string | null = null

  /** Queues a read; returns false for a duplicate context (already waiting). */
  add(index: number, ctx: Uint8Array, from: NodeId): boolean {
    const key = contextKey(ctx)
    if (this.pending.has(key)) return false
    this.pending.set(key, { key, ctx, from, index, acks: new Set() })
    this.queue.push(key)
    return true
  }

  /** Records a heartbeat ack; returns the ack set of that round's read, if still pending. */
  recvAck(from: NodeId, ctx: Uint8Array): Set<NodeId> | undefined {
    const rs = this.pending.get(contextKey(ctx))
    if (!rs) return undefined
    rs.acks.add(from)
    return rs.acks
  }

  /** Releases every read queued up to and including the one with `ctx`. */
  advance(ctx: Uint8Array): ReadRequest[] {
    const key = contextKey(ctx)
    const at = this.queue.indexOf(key)
    if (at < 0) return []
    const released: ReadRequest[] = []
    for (let i = 0; i <= at; i++) {
      const k = this.queue[i]
      const rs = this.pending.get(k)
      if (rs) released.push(rs)
      this.pending.delete(k)
      if (k === this.roundInFlight) this.roundInFlight = null
    }
    this.queue = this.queue.slice(at + 1)
    return released
  }

  /** Context of the newest waiting read: a round with it covers them all. */
  lastPendingContext(): Uint8Array | null {
    if (this.queue.length === 0) return null
    return this.pending.get(this.queue[this.queue.length - 1])!.ctx
  }

  /** Marks a new heartbeat round covering every waiting read; returns its context. */
  startRound(): Uint8Array | null {
    const ctx = this.lastPendingContext()
    if (ctx !== null) this.roundInFlight = this.queue[this.queue.length - 1]
    return ctx
  }

  waiting(): number {
    return this.queue.length
  }

  reset(): void {
    this.pending.clear()
    this.queue = []
    this.roundInFlight = null
  }
}
