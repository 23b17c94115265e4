import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { afterEach, describe, expect, it } from 'vitest'
import { busyStretchMessage, LoopMonitor, type GcShare } from '../../../src-main/member/server/loopMonitor'

setFlagsFromString('--expose-gc')
const fullGc = runInNewContext('gc') as () => void

/** Keep the thread busy for `ms` of wall time, running `each` in between. */
function spin(ms: number, each: () => void = () => {}): void {
  const until = performance.now() + ms
  while (performance.now() < until) each()
}

function nextReport(m: { reports: Array<{ busy: number; gc: GcShare }> }): Promise<{ busy: number; gc: GcShare }> {
  const seen = m.reports.length
  return new Promise((resolve) => {
    const poll = (): void => {
      if (m.reports.length > seen) resolve(m.reports[seen]!)
      else setTimeout(poll, 5)
    }
    poll()
  })
}

describe('LoopMonitor', () => {
  let monitor: LoopMonitor | undefined
  afterEach(() => monitor?.stop())

  function start(): { reports: Array<{ busy: number; gc: GcShare }> } {
    const out = { reports: [] as Array<{ busy: number; gc: GcShare }> }
    monitor = new LoopMonitor((busy, gc) => out.reports.push({ busy, gc }), 50)
    monitor.start()
    return out
  }

  it('reports a stretch of plain work with next to no collector time in it', async () => {
    const m = start()
    await new Promise((r) => setTimeout(r, 30))
    const report = nextReport(m)
    spin(120)
    const { busy, gc } = await report
    expect(busy).toBeGreaterThanOrEqual(50)
    expect(gc.ms).toBeLessThan(busy / 2)
    // Plain work is the member's own: the measure net of the collector sees it.
    expect(monitor!.maxOwnMs).toBeGreaterThanOrEqual(50)
    expect(monitor!.maxOwnMs).toBeLessThanOrEqual(monitor!.maxBlockMs)
  })

  it('counts the longest stretch from a reset on (the member resets it once it serves)', async () => {
    const m = start()
    await new Promise((r) => setTimeout(r, 30))
    const report = nextReport(m)
    spin(120)
    await report
    expect(monitor!.maxBlockMs).toBeGreaterThanOrEqual(50)
    monitor!.resetMax()
    expect(monitor!.maxBlockMs).toBe(0)
    expect(monitor!.maxOwnMs).toBe(0)
    // A shorter stretch afterwards is what the maximum says now.
    const next = nextReport(m)
    spin(70)
    const { busy } = await next
    expect(monitor!.maxBlockMs).toBeGreaterThanOrEqual(busy)
    expect(monitor!.maxBlockMs).toBeLessThan(110)
  })

  it('says how much of a stretch was mark-compact', async () => {
    // A heap with something to mark, so each full collection takes measurable time.
    const keep = Array.from({ length: 300_000 }, (_, i) => ({ i, s: `v${i}` }))
    const m = start()
    await new Promise((r) => setTimeout(r, 30))
    const report = nextReport(m)
    // Full collections, then plain work in the same stretch. (While V8 marks on helper threads the
    // main thread waits without using CPU, and the monitor counts only CPU, so the work is what
    // makes the stretch long enough to report; the collections are what it must attribute.)
    for (let i = 0; i < 4; i++) fullGc()
    spin(100)
    const { busy, gc } = await report
    expect(keep.length).toBe(300_000)
    expect(busy).toBeGreaterThanOrEqual(50)
    expect(gc.majorMs).toBeGreaterThan(0)
    expect(gc.ms).toBeGreaterThanOrEqual(gc.majorMs)
    expect(gc.ms).toBeLessThanOrEqual(busy)
    // The collections are left out of the member's own part of the stretch, and only they are.
    expect(monitor!.maxOwnMs).toBeCloseTo(busy - gc.ms, 6)
    expect(monitor!.maxOwnMs).toBeLessThan(monitor!.maxBlockMs)
    expect(busyStretchMessage(busy, gc)).toMatch(/busy for \d+ ms at a stretch, \d+ ms of it in garbage collection \(\d+ ms mark-compact\)/)
  })

  it('reports a stretch over a low threshold even when it is too short to wait for GC entries', async () => {
    const out: number[] = []
    monitor = new LoopMonitor((busy) => out.push(busy), 5)
    monitor.start()
    const short = () => out.some((b) => b >= 5 && b < 20)
    // Stretches of 5 to 20 ms: a few tries, in case the OS takes the CPU away during one.
    for (let i = 0; i < 20 && !short(); i++) {
      await new Promise((r) => setTimeout(r, 30))
      spin(17)
      await new Promise((r) => setTimeout(r, 40))
    }
    expect(short()).toBe(true)
  })

  it('words a stretch without collector time as before', () => {
    expect(busyStretchMessage(170.4, { ms: 0.2, majorMs: 0 })).toBe("WARNING: the member's thread was busy for 170 ms at a stretch (heartbeats may have been late)")
  })
})
