/** Clients waiting for their proposal to be applied, keyed by proposal ID (etcd's wait.Wait). */
import { EtcdError } from '../errors'
import type { ApplyOutcome } from './stateMachine'

interface Waiter {
  resolve: (o: ApplyOutcome) => void
  reject: (e: unknown) => void
  onTimeout: () => EtcdError
  due: number
}

interface Bucket {
  ids: Set<string>
  timer: NodeJS.Timeout
}

/**
 * Deadlines are rounded up to this many ms and share one timer per round value. A timer per
 * proposal cost every put a Timeout and, its delay being fractional, a timer list of its own in
 * Node's queue; a timed-out proposal is now told at most this much later.
 */
export const DEADLINE_GRANULE_MS = 25

export class Waiters {
  private readonly map = new Map<string, Waiter>()
  private readonly buckets = new Map<number, Bucket>()

  register(id: string, timeoutMs: number, onTimeout: () => EtcdError): Promise<ApplyOutcome> {
    return new Promise((resolve, reject) => {
      const due = Math.ceil((performance.now() + timeoutMs) / DEADLINE_GRANULE_MS) * DEADLINE_GRANULE_MS
      let bucket = this.buckets.get(due)
      if (!bucket) {
        bucket = { ids: new Set(), timer: setTimeout(() => this.expire(due), Math.max(0, due - performance.now())) }
        this.buckets.set(due, bucket)
      }
      bucket.ids.add(id)
      this.map.set(id, { resolve, reject, onTimeout, due })
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
    for (const id of [...this.map.keys()]) this.fail(id, err)
  }

  get size(): number {
    return this.map.size
  }

  /** Timers pending (one per deadline round value with a waiter in it). */
  get timers(): number {
    return this.buckets.size
  }

  private take(id: string): Waiter | undefined {
    const w = this.map.get(id)
    if (!w) return undefined
    this.map.delete(id)
    const bucket = this.buckets.get(w.due)
    if (bucket) {
      bucket.ids.delete(id)
      if (bucket.ids.size === 0) {
        clearTimeout(bucket.timer)
        this.buckets.delete(w.due)
      }
    }
    return w
  }

  private expire(due: number): void {
    const bucket = this.buckets.get(due)
    if (!bucket) return
    this.buckets.delete(due)
    for (const id of bucket.ids) {
      const w = this.map.get(id)
      if (!w) continue
      this.map.delete(id)
      w.reject(w.onTimeout())
    }
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
