/** Clients waiting for their proposal to be applied, keyed by proposal ID (etcd's wait.Wait). */
import { EtcdError } from '../errors'
import type { ApplyOutcome } from './stateMachine'

interface Waiter {
  id: string
  resolve: (o: ApplyOutcome) => void
  reject: (e: unknown) => void
  onTimeout: () => EtcdError
  /** performance.now() value after which the proposal has timed out. */
  due: number
}

/**
 * Waiters are kept in the order they registered, which is the order their entries are applied
 * nearly always (a member's proposals reach the log in the order it made them, unless Raft drops
 * one and it is proposed again): the one to wake is at or near the front, and found by a scan from
 * there. Not a Map: a Map that lives long sits in V8's old generation, and one that goes from empty
 * to one entry and back on every put (as this one did at one client) reallocates its hash table,
 * in the old generation, every time it empties or fills with deleted slots. That was garbage only a
 * full collection reclaims, on every put.
 *
 * One timer serves them all, armed for the earliest deadline it knows of and left armed when that
 * waiter is answered: it then fires on nothing, or on others, and re-arms for the earliest deadline
 * left. A timer per proposal (or per deadline rounded to a few ms, before 2026-12) cost every put a
 * Timeout, a timer list of its own in Node's queue for its fractional delay, and the table churn of
 * adding and removing both.
 */
export class Waiters {
  private queue: Waiter[] = []
  private timer: NodeJS.Timeout | undefined
  /** When the armed timer fires (Infinity: none armed). */
  private timerDue = Infinity

  register(id: string, timeoutMs: number, onTimeout: () => EtcdError): Promise<ApplyOutcome> {
    return new Promise((resolve, reject) => {
      const due = performance.now() + timeoutMs
      this.queue.push({ id, resolve, reject, onTimeout, due })
      if (due < this.timerDue) this.arm(due)
    })
  }

  trigger(id: string, outcome: ApplyOutcome): void {
    const w = this.take(id)
    if (w) w.resolve(outcome)
  }

  fail(id: string, err: unknown): void {
    const w = this.take(id)
    if (w) w.reject(err)
  }

  failAll(err: unknown): void {
    this.disarm()
    const all = this.queue
    this.queue = []
    for (const w of all) w.reject(err)
  }

  get size(): number {
    return this.queue.length
  }

  /** Timers pending: at most one, which may outlive the waiters it was armed for (see the class). */
  get timers(): number {
    return this.timer ? 1 : 0
  }

  private take(id: string): Waiter | undefined {
    const q = this.queue
    if (q.length !== 0 && q[0]!.id === id) return q.shift()
    for (let i = 1; i < q.length; i++) if (q[i]!.id === id) return q.splice(i, 1)[0]
    return undefined
  }

  private arm(due: number): void {
    this.disarm()
    this.timerDue = due
    // Node's timers run on a whole-millisecond clock and may fire up to a millisecond before a
    // fractional deadline: sweep() then finds it not yet due and arms again for it.
    this.timer = setTimeout(() => this.sweep(), Math.max(1, Math.ceil(due - performance.now())))
    // A pending proposal keeps nothing alive by itself: the member's servers do that.
    this.timer.unref()
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    this.timerDue = Infinity
  }

  /** Times out every waiter that is due, and arms for the earliest deadline left. */
  private sweep(): void {
    this.timer = undefined
    this.timerDue = Infinity
    const now = performance.now()
    let next = Infinity
    const expired: Waiter[] = []
    const kept: Waiter[] = []
    for (const w of this.queue) {
      if (w.due <= now) expired.push(w)
      else {
        kept.push(w)
        if (w.due < next) next = w.due
      }
    }
    if (expired.length !== 0) this.queue = kept
    if (next !== Infinity) this.arm(next)
    for (const w of expired) w.reject(w.onTimeout())
  }
}

/** Callers waiting for the applied index to reach a value (linearizable reads, conf changes). */
export class AppliedWaiters {
  private waiting: Array<{ index: number; resolve: () => void }> = []

  wait(index: number, applied: number): Promise<void> {
    if (applied >= index) return Promise.resolve()
    return new Promise((resolve) => this.waiting.push({ index, resolve }))
  }

  /**
   * Resolves true once `index` is applied, false after `timeoutMs` (and then forgets the waiter, so
   * an index that never comes, such as one a client made up, leaves nothing behind).
   */
  waitUpTo(index: number, applied: number, timeoutMs: number): Promise<boolean> {
    if (applied >= index) return Promise.resolve(true)
    return new Promise((resolve) => {
      const w = {
        index,
        resolve: () => {
          clearTimeout(timer)
          resolve(true)
        },
      }
      const timer = setTimeout(() => {
        this.waiting = this.waiting.filter((x) => x !== w)
        resolve(false)
      }, timeoutMs)
      timer.unref?.()
      this.waiting.push(w)
    })
  }

  applied(index: number): void {
    if (this.waiting.length === 0) return
    const still: typeof this.waiting = []
    for (const w of this.waiting) {
      if (w.index <= index) w.resolve()
      else still.push(w)
    }
    this.waiting = still
  }
}

/**
 * Callers waiting for a condition on the member's Raft state (a leader is known, a given member
 * leads), re-checked whenever that state changes. Replaces sleeping in a loop until it holds.
 */
export class StateWaiters {
  private waiting: Array<{ test: () => boolean; done: (ok: boolean) => void }> = []

  /** Resolves true once `test()` holds (now or after a later change), false after `timeoutMs`. */
  until(test: () => boolean, timeoutMs: number): Promise<boolean> {
    if (test()) return Promise.resolve(true)
    return this.add(test, timeoutMs)
  }

  /** Resolves true at the next change, false after `timeoutMs`. */
  next(timeoutMs: number): Promise<boolean> {
    return this.add(() => true, timeoutMs)
  }

  private add(test: () => boolean, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const w = {
        test,
        done: (ok: boolean) => {
          clearTimeout(timer)
          resolve(ok)
        },
      }
      const timer = setTimeout(() => {
        this.waiting = this.waiting.filter((x) => x !== w)
        resolve(false)
      }, Math.max(0, timeoutMs))
      this.waiting.push(w)
    })
  }

  /** The state changed: wake everyone whose condition now holds. */
  changed(): void {
    if (this.waiting.length === 0) return
    const still: typeof this.waiting = []
    for (const w of this.waiting) {
      if (w.test()) w.done(true)
      else still.push(w)
    }
    this.waiting = still
  }

  /** Stopping: every waiter gives up. */
  cancelAll(): void {
    for (const w of this.waiting.splice(0)) w.done(false)
  }
}
