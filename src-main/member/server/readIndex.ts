/**
 * Linearizable reads (etcd's linearizableReadLoop): readers queue up, one ReadIndex round is
 * asked of Raft for everyone queued, and when its read state comes back each of them continues
 * once the local applied index reaches it. Readers arriving during a round wait for the next.
 *
 * A round starts at the end of the event-loop turn in which its first reader arrived, not at once:
 * the requests of one socket read (dozens under load, all decoded in the same turn) then share a
 * round, instead of the first one taking a round alone and the rest waiting a whole round trip
 * for the next (etcd's read loop gets the same effect from its goroutine waking after the first).
 *
 * When a round's read state comes back, its readers are released ANSWERS_PER_TURN per turn of the
 * event loop, in the order they came: released all at once, a round of 200 reads was served and
 * answered in one turn, and its answers left as one burst after the last (answersPerTurn.ts).
 * The next round starts at once either way.
 */
import { randomBytes } from 'node:crypto'
import { Errors } from '../errors'
import { ANSWERS_PER_TURN } from './answersPerTurn'

interface Reader {
  resolve: (index: number) => void
  reject: (e: unknown) => void
}

export class ReadIndexBatcher {
  private queued: Reader[] = []
  private inFlight: { ctx: string; readers: Reader[]; timer: NodeJS.Timeout; retries: number } | undefined
  private startScheduled = false

  constructor(
    private readonly requestRound: (ctx: Uint8Array) => boolean,
    private readonly timeoutMs: number,
    private readonly retryMs: number,
  ) {}

  /** Resolves with the index the read must wait for. */
  read(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.queued.push({ resolve, reject })
      if (!this.inFlight && !this.startScheduled) {
        this.startScheduled = true
        setImmediate(() => {
          this.startScheduled = false
          if (!this.inFlight) this.startRound()
        })
      }
    })
  }

  /** Readers waiting for a round to start (not those of the round under way). */
  get waiting(): number {
    return this.queued.length
  }

  private startRound(): void {
    if (this.queued.length === 0) return
    const readers = this.queued
    this.queued = []
    const ctx = randomBytes(8)
    const round = { ctx: ctx.toString('hex'), readers, retries: 0, timer: undefined as unknown as NodeJS.Timeout }
    const attempt = (): void => {
      // No leader yet or the leader did not answer: ask again until the request timeout.
      this.requestRound(ctx)
      round.timer = setTimeout(() => {
        round.retries++
        if (round.retries * this.retryMs >= this.timeoutMs) {
          this.inFlight = undefined
          for (const r of readers) r.reject(Errors.timeout())
          this.startRound()
          return
        }
        attempt()
      }, this.retryMs)
    }
    this.inFlight = round
    attempt()
  }

  /** A read state arrived from Raft. */
  onReadState(ctx: Uint8Array, index: number): void {
    const r = this.inFlight
    if (!r || Buffer.from(ctx).toString('hex') !== r.ctx) return
    clearTimeout(r.timer)
    this.inFlight = undefined
    release(r.readers, index)
    this.startRound()
  }

  failAll(err: unknown): void {
    if (this.inFlight) {
      clearTimeout(this.inFlight.timer)
      for (const r of this.inFlight.readers) r.reject(err)
      this.inFlight = undefined
    }
    for (const r of this.queued.splice(0)) r.reject(err)
  }
}

/**
 * Resolves `readers` with `index` in order, ANSWERS_PER_TURN of them per turn of the event loop.
 * A read state stays valid for the readers it was asked for, so those released after a later
 * failAll still read at it.
 */
function release(readers: readonly Reader[], index: number): void {
  let i = 0
  const step = (): void => {
    const end = Math.min(i + ANSWERS_PER_TURN, readers.length)
    for (; i < end; i++) readers[i]!.resolve(index)
    if (i < readers.length) setImmediate(step)
  }
  step()
}
