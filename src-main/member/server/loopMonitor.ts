/**
 * How long the member's one thread was kept busy by its own work at a stretch: the longest time a
 * 10 ms timer fired late, counting only lateness the process spent on the CPU. Lateness while the
 * OS ran other processes (a loaded machine) is not the member's doing and is left out, so the number
 * answers "did any of our work hold up Raft's clock and the peers?" even on a busy test machine.
 */
import { readFileSync } from 'node:fs'

const TICK_MS = 10

export class LoopMonitor {
  /** Longest busy stretch seen, in ms. */
  maxBlockMs = 0

  /** `report` hears of every busy stretch of at least `reportMs` (the member logs them). */
  constructor(
    private readonly report?: (busyMs: number) => void,
    private readonly reportMs = 50,
  ) {}

  private timer: NodeJS.Timeout | undefined
  private lastWall = 0
  private lastCpu = 0

  start(): void {
    if (this.timer) return
    this.lastWall = performance.now()
    this.lastCpu = cpuMs()
    this.timer = setInterval(() => {
      const wall = performance.now()
      const cpu = cpuMs()
      const late = wall - this.lastWall - TICK_MS
      // The CPU used in the interval bounds the part of the lateness that was our own work.
      const busy = Math.min(late, cpu - this.lastCpu)
      if (busy > this.maxBlockMs) this.maxBlockMs = busy
      if (busy >= this.reportMs) this.report?.(busy)
      this.lastWall = wall
      this.lastCpu = cpu
    }, TICK_MS)
    this.timer.unref()
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
  }
}

/**
 * CPU time of this thread only, in ms. process.cpuUsage() counts every thread of the process (GC
 * helpers, the libuv pool's fsyncs), which on a loaded machine made waits for the OS look like our
 * own work; Linux's schedstat gives the main thread's time on a CPU in ns.
 */
const THREAD_STAT = '/proc/thread-self/schedstat'
const threadStat = ((): boolean => {
  try {
    return Number.isFinite(Number(readFileSync(THREAD_STAT, 'latin1').split(' ', 1)[0]))
  } catch {
    return false
  }
})()
function cpuMs(): number {
  if (threadStat) return Number(readFileSync(THREAD_STAT, 'latin1').split(' ', 1)[0]) / 1e6
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}
