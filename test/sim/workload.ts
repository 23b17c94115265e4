// Simulated clients: each runs one operation at a time (read, write or
// compare-and-set on a few keys) against the leader or a follower. An
// attempt that is refused or unanswered within timeoutMs is retried on
// another node with the same (client, seq), which the state machine's
// session table applies at most once; after deadlineMs the client gives up
// and records the operation as of unknown outcome.

import { contextKey } from '../../src-main/raft/readOnly'
import type { Cluster, SimNode } from './cluster'
import type { KvInput, KvOperation, KvOutput } from './kvModel'
import { encodeCommand } from './kvStore'
import type { KvCommand, KvResult } from './kvStore'
import type { Rng } from './prng'

export interface WorkloadOptions {
  readonly clients: number
  readonly keys: number
  /** Per-attempt timeout before retrying elsewhere. */
  readonly timeoutMs: number
  /** Give up (outcome unknown) after this long. */
  readonly deadlineMs: number
  /** Pause between a client's operations, uniform in [1, thinkMs]. */
  readonly thinkMs: number
  readonly readRatio: number
  readonly casRatio: number
  /** Probability of sending a request to a random node instead of the leader. */
  readonly followerRatio: number
}

export const DEFAULT_WORKLOAD: WorkloadOptions = {
  clients: 4,
  keys: 3,
  timeoutMs: 150,
  deadlineMs: 1000,
  thinkMs: 20,
  readRatio: 0.4,
  casRatio: 0.25,
  followerRatio: 0.3,
}

interface Pending {
  readonly input: KvInput
  readonly call: number
  readonly seq: number
  done: boolean
  attempts: number
}

const enc = new TextEncoder()

export class Workload {
  readonly history: KvOperation[] = []
  stopped = false
  completed = 0
  timedOut = 0
  private readonly inflight = new Map<number, Pending>()
  private seq = 0
  private valueCounter = 0

  constructor(
    private readonly cluster: Cluster,
    private readonly rng: Rng,
    readonly opts: WorkloadOptions,
  ) {}

  start(): void {
    for (let c = 1; c <= this.opts.clients; c++) this.cluster.q.after(this.rng.between(1, 50), () => this.issue(c))
  }

  /** Operations still open at the end have unknown outcomes (writes) or are dropped (reads). */
  finish(): void {
    this.stopped = true
    for (const [c, p] of this.inflight) {
      if (!p.done && p.input.kind !== 'read') {
        this.history.push({ clientId: c, input: p.input, output: { kind: 'unknown' }, call: p.call, ret: Infinity })
      }
      p.done = true
    }
    this.inflight.clear()
  }

  private issue(client: number): void {
    if (this.stopped) return
    const key = `k${this.rng.int(this.opts.keys)}`
    const r = this.rng.next()
    let input: KvInput
    if (r < this.opts.readRatio) input = { kind: 'read', key }
    else if (r < this.opts.readRatio + this.opts.casRatio) {
      // Compare against a value this key may plausibly hold, so some CAS succeed.
      const from = this.rng.chance(0.3) ? null : `v${this.rng.between(Math.max(0, this.valueCounter - 6), this.valueCounter)}`
      input = { kind: 'cas', key, from, to: `v${++this.valueCounter}` }
    } else input = { kind: 'write', key, value: `v${++this.valueCounter}` }
    const p: Pending = { input, call: this.cluster.q.now, seq: ++this.seq, done: false, attempts: 0 }
    this.inflight.set(client, p)
    this.cluster.q.after(this.opts.deadlineMs, () => this.timeout(client, p))
    this.attempt(client, p)
  }

  /** A scenario may steer some requests to a node of its choice (e.g. a deposed leader). */
  bias: (() => SimNode | null) | null = null

  private target(): SimNode | null {
    if (this.bias && this.rng.chance(0.5)) {
      const n = this.bias()
      if (n && n.up) return n
    }
    const live = [...this.cluster.nodes.values()].filter((n) => n.up && !n.removed)
    if (!this.rng.chance(this.opts.followerRatio)) {
      // Clients find "the leader" by asking around, so during a partition
      // they may well talk to a deposed leader that does not know it yet.
      const leaders = live.filter((n) => n.rn!.raft.role === 'leader')
      if (leaders.length > 0) return this.rng.pick(leaders)
    }
    return live.length > 0 ? this.rng.pick(live) : null
  }

  private attempt(client: number, p: Pending): void {
    if (p.done || this.stopped) return
    const attempt = ++p.attempts
    const n = this.target()
    let accepted = false
    if (n) {
      if (p.input.kind === 'read') {
        const ctx = enc.encode(`r${client}:${p.seq}:${attempt}`)
        const key = p.input.key
        n.readWaiters.set(contextKey(ctx), { key, index: null, resolve: (v) => this.complete(client, p, { kind: 'read', value: v }) })
        accepted = n.rn!.readIndex(ctx)
        if (!accepted) n.readWaiters.delete(contextKey(ctx))
      } else {
        const done = (res: KvResult): void => this.complete(client, p, res.kind === 'write' ? { kind: 'write' } : { kind: 'cas', ok: res.ok })
        // A retry of a command this node already applied is answered from its session table.
        const cached = n.kv.session(client, p.seq)
        if (cached) {
          done(cached)
          return
        }
        const cmd: KvCommand =
          p.input.kind === 'write'
            ? { c: client, s: p.seq, op: 'put', k: p.input.key, v: p.input.value }
            : { c: client, s: p.seq, op: 'cas', k: p.input.key, f: p.input.from, t: p.input.to }
        n.writeWaiters.set(`${client}:${p.seq}`, done)
        accepted = n.rn!.propose(encodeCommand(cmd))
        if (!accepted) n.writeWaiters.delete(`${client}:${p.seq}`)
      }
      this.cluster.drain(n)
    }
    if (p.done) return
    if (!accepted) this.cluster.q.after(this.rng.between(5, 30), () => this.attempt(client, p))
    else {
      this.cluster.q.after(this.opts.timeoutMs, () => {
        if (!p.done && p.attempts === attempt) this.attempt(client, p)
      })
    }
  }

  private complete(client: number, p: Pending, output: KvOutput): void {
    if (p.done) return
    p.done = true
    this.completed++
    this.inflight.delete(client)
    this.history.push({ clientId: client, input: p.input, output, call: p.call, ret: this.cluster.q.now })
    this.next(client)
  }

  private timeout(client: number, p: Pending): void {
    if (p.done) return
    p.done = true
    this.timedOut++
    this.inflight.delete(client)
    // A write may still take effect later; a read that never answered constrains nothing.
    if (p.input.kind !== 'read') {
      this.history.push({ clientId: client, input: p.input, output: { kind: 'unknown' }, call: p.call, ret: Infinity })
    }
    this.next(client)
  }

  private next(client: number): void {
    // Strictly after the previous return, so a client's own operations never overlap.
    if (!this.stopped) this.cluster.q.after(this.rng.between(1, this.opts.thinkMs), () => this.issue(client))
  }
}
