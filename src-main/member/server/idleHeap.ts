/**
 * Memory back after a burst of work. Under load V8 grows the young generation to its maximum (two
 * 8 MiB semi-spaces, nodeFlags.ts) and the old generation's free pages stay committed; V8's own
 * memory reducer gives them back only once it judges the isolate idle, which on a member took 15 to
 * 45 s after the load ended and on a leader (heartbeats allocate a little, all the time) sometimes
 * never. Go's runtime returns etcd's free pages within seconds to minutes.
 *
 * So a member that has been quiet for a few seconds after its heap grew collects itself, in two
 * steps. V8 shrinks the young generation at a collection only when the allocation rate it measured
 * since its previous collection was low, over at least the last 5 s: right after a load that
 * interval still holds the load's last allocations (up to a whole young generation), and a
 * collection 3 s or even 8 s later left the young generation at 16 MiB in some runs. So first a
 * scavenge (about a millisecond) closes that interval; SINCE_LAST_GC_MS later, still quiet, one full
 * collection finds a low rate, shrinks the young generation to 1 MiB and frees the pages and the
 * ArrayBuffers the load left behind (docs/member.md, "Memory back when the load stops").
 *
 * Quiet is judged by the process's own CPU time, which a busy machine does not inflate: heartbeats,
 * status polls and the playground's debug stream cost a member well under QUIET_CPU_SHARE.
 */
import v8 from 'node:v8'
import { PerformanceObserver } from 'node:perf_hooks'

/** How often the member looks. */
export const SAMPLE_MS = 1000
/** CPU time below this share of a sample counts as quiet. */
export const QUIET_CPU_SHARE = 0.05
/** Quiet samples in a row before the first step. */
export const QUIET_SAMPLES = 2
/** Time since V8's last collection (the first step's, at the earliest) before the full one. */
export const SINCE_LAST_GC_MS = 5500
/** The heap and its buffers must have grown this much since the last collection (or start) to be worth one. */
export const GROWTH_BYTES = 8 * 1024 * 1024
/**
 * No collection above this much live heap: a full collection's pause grows with what is alive
 * (~160 ms at 500 MiB here), and a member holding that much gains little from the young generation.
 */
export const MAX_USED_BYTES = 256 * 1024 * 1024

export interface HeapReading {
  /**
   * Bytes the heap has committed (V8's total_heap_size) plus the memory of ArrayBuffers and other
   * external objects, which a collection also frees: a load of large values grows the latter most.
   */
  committed: number
  /** Bytes alive in the heap (what a full collection's pause grows with). */
  used: number
}

/** What to collect now: a scavenge to start the quiet interval V8 measures, or the full collection. */
export type TrimStep = 'minor' | 'full'

/** The decision alone, fed one sample at a time (the timer below, or a test). */
export class IdleHeapTrim {
  private quiet = 0
  private primed = false
  private base: number

  constructor(start: HeapReading) {
    this.base = start.committed
  }

  /**
   * One sample: CPU ms spent in the last `sampleMs`, the heap now, and ms since V8's last collection
   * of any kind ended. Returns the step to run now, if any.
   */
  sample(cpuMs: number, sampleMs: number, heap: HeapReading, sinceGcMs: number): TrimStep | null {
    if (cpuMs >= QUIET_CPU_SHARE * sampleMs) {
      this.quiet = 0
      this.primed = false
      return null
    }
    this.quiet++
    // The heap may also have shrunk by itself (V8's reducer): measure growth from the lowest point.
    this.base = Math.min(this.base, heap.committed)
    if (this.quiet < QUIET_SAMPLES || heap.committed - this.base < GROWTH_BYTES || heap.used > MAX_USED_BYTES) return null
    if (!this.primed) {
      this.primed = true
      return 'minor'
    }
    return sinceGcMs >= SINCE_LAST_GC_MS ? 'full' : null
  }

  /** The full collection ran; `after` is the heap it left. */
  collected(after: HeapReading): void {
    this.base = after.committed
    this.quiet = 0
    this.primed = false
  }
}

function readHeap(): HeapReading & { heap: number; external: number } {
  const h = v8.getHeapStatistics()
  return { committed: h.total_heap_size + h.external_memory, used: h.used_heap_size, heap: h.total_heap_size, external: h.external_memory }
}

const mib = (bytes: number): string => (bytes / 1048576).toFixed(0)

/**
 * Starts the sampling timer when the process can collect on request (`--expose-gc`, given to every
 * member by nodeFlags.json); without it there is nothing to do. Returns a stop function.
 */
export function startIdleHeapTrim(log: (line: string) => void, gc: NodeJS.GCFunction | undefined = globalThis.gc): () => void {
  if (!gc) return () => {}
  const trim = new IdleHeapTrim(readHeap())
  let cpu = process.cpuUsage()
  let at = performance.now()
  let lastGc = at
  const gcs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) lastGc = Math.max(lastGc, e.startTime + e.duration)
  })
  gcs.observe({ entryTypes: ['gc'] })
  const timer = setInterval(() => {
    const now = performance.now()
    const used = process.cpuUsage(cpu)
    const before = readHeap()
    const step = trim.sample((used.user + used.system) / 1000, now - at, before, now - lastGc)
    if (step === 'minor') gc(true)
    if (step === 'full') {
      const t0 = performance.now()
      gc()
      const ms = performance.now() - t0
      const after = readHeap()
      trim.collected(after)
      log(`quiet after a load: one full collection, heap ${mib(before.heap)} → ${mib(after.heap)} MiB (${mib(after.used)} MiB alive), buffers ${mib(before.external)} → ${mib(after.external)} MiB, ${ms.toFixed(0)} ms`)
    }
    // A collection's own CPU time is not the next sample's load.
    cpu = process.cpuUsage()
    at = performance.now()
    if (step) lastGc = at
  }, SAMPLE_MS)
  timer.unref()
  return () => {
    clearInterval(timer)
    gcs.disconnect()
  }
}
