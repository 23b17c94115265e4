/**
 * The young generation back after a burst of work. Under load V8 grows it to its maximum (two 8 MiB
 * semi-spaces, nodeFlags.ts) and keeps it; V8's own memory reducer gives it back only once it
 * judges the isolate idle, which on a member took 15 to 45 s after the load ended and on a leader
 * (heartbeats allocate a little, all the time) sometimes never. Go's runtime returns etcd's free
 * pages within seconds to minutes.
 *
 * V8 shrinks the young generation at a collection when the allocation rate it measured since its
 * previous collection was low over at least the last 5 s. Right after a load that interval still
 * holds the load's last allocations (up to a whole young generation), so a member that has been
 * quiet for two seconds runs a scavenge (about a millisecond), which closes that interval, and
 * SINCE_LAST_GC_MS later, still quiet, a second one, which finds a low rate and shrinks the young
 * generation to 1 MiB (docs/member.md, "Memory back when the load stops").
 *
 * Scavenges only: a forced full collection gave back more, but cost the next light load its pace
 * (measured: one client's gets 7–9% slower and its put p99 nearly doubled in the bench's cells that
 * followed a quiet spell).
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
/** Quiet samples in a row before the first scavenge. */
export const QUIET_SAMPLES = 2
/** Time since V8's last collection (the first scavenge's, at the latest) before the second. */
export const SINCE_LAST_GC_MS = 5500
/** A young generation at least this large has grown since it was last shrunk (1 MiB then). */
export const GROWN_YOUNG_BYTES = 4 * 1024 * 1024
/** Shrinking attempts per quiet spell: V8 may judge the rate too high, and then it is left alone. */
export const MAX_TRIES = 3

/** What to run now: the scavenge that starts the quiet interval V8 measures, or the one that shrinks. */
export type TrimStep = 'open' | 'shrink'

/** The decision alone, fed one sample at a time (the timer below, or a test). */
export class IdleYoungTrim {
  private quiet = 0
  private opened = false
  private tries = 0

  /**
   * One sample: CPU ms spent in the last `sampleMs`, the young generation's committed bytes, and ms
   * since V8's last collection of any kind ended. Returns the step to run now, if any.
   */
  sample(cpuMs: number, sampleMs: number, youngBytes: number, sinceGcMs: number): TrimStep | null {
    if (cpuMs >= QUIET_CPU_SHARE * sampleMs) {
      this.quiet = 0
      this.opened = false
      this.tries = 0
      return null
    }
    this.quiet++
    if (this.quiet < QUIET_SAMPLES || youngBytes < GROWN_YOUNG_BYTES || this.tries >= MAX_TRIES) return null
    if (!this.opened) {
      this.opened = true
      return 'open'
    }
    if (sinceGcMs < SINCE_LAST_GC_MS) return null
    this.opened = false
    this.tries++
    return 'shrink'
  }
}

function youngBytes(): number {
  return v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0
}

const mib = (bytes: number): string => (bytes / 1048576).toFixed(0)

/**
 * Starts the sampling timer when the process can collect on request (`--expose-gc`, given to every
 * member by nodeFlags.json); without it there is nothing to do. Returns a stop function.
 */
export function startIdleYoungTrim(log: (line: string) => void, gc: NodeJS.GCFunction | undefined = globalThis.gc): () => void {
  if (!gc) return () => {}
  const trim = new IdleYoungTrim()
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
    const before = youngBytes()
    const step = trim.sample((used.user + used.system) / 1000, now - at, before, now - lastGc)
    if (step) gc(true)
    if (step === 'shrink') log(`quiet after a load: young generation ${mib(before)} → ${mib(youngBytes())} MiB`)
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
