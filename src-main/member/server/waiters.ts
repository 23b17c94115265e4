/** Clients waiting for their proposal to be applied, keyed by proposal ID (etcd's wait.Wait). */
import { EtcdError } from '../errors'
import type { ApplyOutcome } from './stateMachine'

interface Waiter {
  resolve: (o: ApplyOutcome) => void
  reject: (e: unknown) => void
  timer: NodeJS.Timeout
}

export class Waiters {
  private readonly map = new Map<string, Waiter>()

  register(id: string, timeoutMs: number, onTimeout: () => EtcdError): Promise<ApplyOutcome> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.map.delete(id)
        reject(onTimeout())
      }, timeoutMs)
      this.map.set(id, { resolve, reject, timer })
    })
  }

  trigger(id: string, outcome: ApplyOutcome): void {
    const w = this.map.get(id)
    if (!w) return
    this.map.delete(id)
    clearTimeout(w.timer)
    w.resolve(outcome)
  }

  fail(id: string, err: unknown): void {
    const w = this.map.get(id)
    if (!w) return
    this.map.delete(id)
    clearTimeout(w.timer)
    w.reject(err)
  }

  failAll(err: unknown): void {
    for (const id of [...this.map.keys()]) this.fail(id, err)
  }

  get size(): number {
    return this.map.size
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
