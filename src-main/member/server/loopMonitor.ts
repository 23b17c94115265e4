/**
 * How long the member's one thread was kept busy by its own work at a stretch: the longest time a
 * 10 ms timer fired late, counting only lateness the process spent on the CPU. Lateness while the
 * OS ran other processes (a loaded machine) is not the member's doing and is left out, so the number
 * answers "did any of our work hold up Raft's clock and the peers?" even on a busy test machine.
 */
import { openSync, readSync } from 'node:fs'
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks'

const TICK_MS = 10

/** Garbage collection inside one busy stretch, in ms: all of it, and the major (mark-compact) part. */
export interface GcShare {
  ms: number
  majorMs: number
}

/** GC pauses remembered, so a reported stretch can say how much of it was the collector. */
const GC_KEPT = 256
const GC_ENTRY_DELAY_MS = 20

/**
 * Stretches at least this long wait for the collector's entries to tell their own part; shorter ones
 * count whole as the member's own work (an upper bound, and cheaper).
 */
const OWN_EXACT_FROM_MS = 20

export class LoopMonitor {
  /** Longest busy stretch seen, in ms. */
  maxBlockMs = 0
  /**
   * Longest busy stretch less the collector's pauses in it, in ms: the member's own code (an
   * estimate, see the tick). On a loaded
   * machine V8's mark-compact pauses alone reach 100–300 ms while a 300,000-key heap grows (its
   * helper threads get no CPU), however finely the work is sliced; this number tells the two apart.
   * It learns of a long stretch about GC_ENTRY_DELAY_MS after it ended.
   */
  maxOwnMs = 0
  /** Bumped by resetMax, so a stretch from before it does not count after it. */
  private epoch = 0

  /**
   * `report` hears of every busy stretch of at least `reportMs` (the member logs them), with the
   * part of it V8's collector took on this thread: the first question about a long stretch is
   * whether it was our code or the heap.
   */
  constructor(
    private readonly report?: (busyMs: number, gc: GcShare) => void,
    private readonly reportMs = 50,
  ) {}

  private timer: NodeJS.Timeout | undefined
  private lastWall = 0
  private lastCpu = 0
  private gcObserver: PerformanceObserver | undefined
  /** Recent GC pauses on the performance timeline (start and duration in ms). */
  private readonly gcs: Array<{ start: number; ms: number; major: boolean }> = []

  start(): void {
    if (this.timer) return
    this.lastWall = performance.now()
    this.lastCpu = cpuMs()
    this.gcObserver = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) this.rememberGc(e)
    })
    this.gcObserver.observe({ entryTypes: ['gc'] })
    this.timer = setInterval(() => {
      const wall = performance.now()
      const cpu = cpuMs()
      const late = wall - this.lastWall - TICK_MS
      // The CPU used in the interval bounds the part of the lateness that was our own work.
      const busy = Math.min(late, cpu - this.lastCpu)
      if (busy > this.maxBlockMs) this.maxBlockMs = busy
      // Short stretches count whole; a longer one (or one to report) waits for the GC entries.
      if (busy < OWN_EXACT_FROM_MS && busy < this.reportMs) {
        if (busy > this.maxOwnMs) this.maxOwnMs = busy
      } else {
        const from = this.lastWall
        const epoch = this.epoch
        // GC entries reach observers two turns of the loop later (the native side queues them
        // first): count them once they are in.
        setTimeout(() => {
          // A pause is wall time and the collector marks on helper threads too, so it can exceed
          // the thread's own busy time: the share is capped at the stretch.
          const seen = this.gcBetween(from, wall)
          const gc = { ms: Math.min(seen.ms, busy), majorMs: Math.min(seen.majorMs, busy) }
          // The stretch less the pauses' wall time. An estimate: it can undercount when the thread
          // waits for V8's helper threads inside a pause (wall time, little CPU). The upper bound,
          // min(CPU, wall less pauses), counts every wait for the OS outside a pause as ours, and
          // on a loaded machine that is most of the gap, which is the noise this measure removes.
          const own = busy - gc.ms
          if (epoch === this.epoch && own > this.maxOwnMs) this.maxOwnMs = own
          if (busy >= this.reportMs) this.report?.(busy, gc)
        }, GC_ENTRY_DELAY_MS).unref()
      }
      this.lastWall = wall
      this.lastCpu = cpu
    }, TICK_MS)
    this.timer.unref()
  }

  /** Forgets the longest stretches so far: `maxBlockMs` and `maxOwnMs` count from now. */
  resetMax(): void {
    this.maxBlockMs = 0
    this.maxOwnMs = 0
    this.epoch++
    // The stretch under way (the end of a boot) does not count either.
    this.lastWall = performance.now()
    this.lastCpu = cpuMs()
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
    this.gcObserver?.disconnect()
    this.gcObserver = undefined
  }

  private rememberGc(e: PerformanceEntry): void {
    const kind = (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind
    this.gcs.push({ start: e.startTime, ms: e.duration, major: kind === constants.NODE_PERFORMANCE_GC_MAJOR })
    if (this.gcs.length > GC_KEPT) this.gcs.shift()
  }

  /** GC time that overlaps the wall-clock window [from, to]. */
  gcBetween(from: number, to: number): GcShare {
    const share: GcShare = { ms: 0, majorMs: 0 }
    for (const g of this.gcs) {
      const overlap = Math.min(to, g.start + g.ms) - Math.max(from, g.start)
      if (overlap <= 0) continue
      share.ms += overlap
      if (g.major) share.majorMs += overlap
    }
    return share
  }
}

/** The member's log line for a long busy stretch. */
export function busyStretchMessage(busyMs: number, gc: GcShare): string {
  const ms = (v: number) => Math.round(v)
  const collector = gc.ms >= 1 ? `, ${ms(gc.ms)} ms of it in garbage collection${gc.majorMs >= 1 ? ` (${ms(gc.majorMs)} ms mark-compact)` : ''}` : ''
  return `WARNING: the member's thread was busy for ${ms(busyMs)} ms at a stretch${collector} (heartbeats may have been late)`
}

/**
 * CPU time of this thread only, in ms. process.cpuUsage() counts every thread of the process (GC
 * helpers, the libuv pool's fsyncs), which on a loaded machine made waits for the OS look like our
 * own work; Linux's schedstat gives the main thread's time on a CPU in ns.
 */
const THREAD_STAT = '/proc/thread-self/schedstat'
/**
 * Opened once and read in place 100 times a second: readFileSync would open, stat, read and close
 * it each time (four system calls, 1.2 of each per put at one client in `strace -c`).
 */
const threadStatFd = ((): number | undefined => {
  try {
    const fd = openSync(THREAD_STAT, 'r')
    return Number.isFinite(readStat(fd)) ? fd : undefined
  } catch {
    return undefined
  }
})()
const statBuf = Buffer.alloc(128)
function readStat(fd: number): number {
  const n = readSync(fd, statBuf, 0, statBuf.length, 0)
  return Number(statBuf.toString('latin1', 0, n).split(' ', 1)[0])
}
function cpuMs(): number {
  if (threadStatFd !== undefined) return readStat(threadStatFd) / 1e6
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}
