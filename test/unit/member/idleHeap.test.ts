import { describe, expect, it } from 'vitest'
import { GROWN_YOUNG_BYTES, IdleYoungTrim, MAX_TRIES, QUIET_CPU_SHARE, QUIET_SAMPLES, SINCE_LAST_GC_MS, type TrimStep } from '../../../src-main/member/server/idleHeap'

const MiB = 1024 * 1024
const SAMPLE = 1000
const quietCpu = QUIET_CPU_SHARE * SAMPLE * 0.5
const busyCpu = QUIET_CPU_SHARE * SAMPLE * 4
const grown = 16 * MiB

/**
 * Feeds `n` samples of `cpu` ms with the young generation at `young`, with V8's collections as the
 * trim's own steps make them, and returns the steps by sample number.
 */
function feed(trim: IdleYoungTrim, n: number, cpu: number, young = grown, sinceGc = { ms: SINCE_LAST_GC_MS * 4 }): string[] {
  const out: string[] = []
  for (let i = 1; i <= n; i++) {
    const step: TrimStep | null = trim.sample(cpu, SAMPLE, young, sinceGc.ms)
    if (step) out.push(`${i}:${step}`)
    // The next sample comes SAMPLE ms later: after a step, that long since the step's scavenge.
    sinceGc.ms = step ? SAMPLE : sinceGc.ms + SAMPLE
  }
  return out
}

const shrinkAt = QUIET_SAMPLES + Math.ceil(SINCE_LAST_GC_MS / SAMPLE)

describe('idle young-generation trim: when a quiet member scavenges', () => {
  it('once quiet for QUIET_SAMPLES with a grown young generation: a scavenge, then the shrinking one SINCE_LAST_GC_MS later; nothing while busy', () => {
    const trim = new IdleYoungTrim()
    expect(feed(trim, 20, busyCpu)).toEqual([])
    expect(feed(trim, shrinkAt, quietCpu)).toEqual([`${QUIET_SAMPLES}:open`, `${shrinkAt}:shrink`])
  })

  it('starts over after a busy sample', () => {
    const trim = new IdleYoungTrim()
    const gcAgo = { ms: SINCE_LAST_GC_MS * 4 }
    expect(feed(trim, QUIET_SAMPLES - 1, quietCpu, grown, gcAgo)).toEqual([])
    expect(feed(trim, 1, busyCpu, grown, gcAgo)).toEqual([])
    expect(feed(trim, QUIET_SAMPLES + 1, quietCpu, grown, gcAgo)).toEqual([`${QUIET_SAMPLES}:open`])
    expect(feed(trim, 1, busyCpu, grown, gcAgo)).toEqual([])
    // Busy after the first scavenge: the next quiet spell opens the interval again.
    expect(feed(trim, shrinkAt, quietCpu, grown, gcAgo)).toEqual([`${QUIET_SAMPLES}:open`, `${shrinkAt}:shrink`])
  })

  it('holds the shrinking scavenge until V8 has not collected for SINCE_LAST_GC_MS (its own collections count too)', () => {
    const trim = new IdleYoungTrim()
    expect(feed(trim, QUIET_SAMPLES, quietCpu)).toEqual([`${QUIET_SAMPLES}:open`])
    for (let i = 0; i < 10; i++) expect(trim.sample(quietCpu, SAMPLE, grown, SINCE_LAST_GC_MS - 1)).toBeNull()
    expect(trim.sample(quietCpu, SAMPLE, grown, SINCE_LAST_GC_MS)).toBe('shrink')
  })

  it('leaves a young generation that has not grown alone: once per load', () => {
    const trim = new IdleYoungTrim()
    expect(feed(trim, 30, quietCpu, GROWN_YOUNG_BYTES - 1)).toEqual([])
    // A load grows it.
    expect(feed(trim, 5, busyCpu, grown)).toEqual([])
    expect(feed(trim, shrinkAt, quietCpu, grown)).toEqual([`${QUIET_SAMPLES}:open`, `${shrinkAt}:shrink`])
    // Shrunk: nothing more at rest however long it lasts.
    expect(feed(trim, 60, quietCpu, MiB)).toEqual([])
  })

  it('gives up after MAX_TRIES when V8 keeps the young generation, until the member is busy again', () => {
    const trim = new IdleYoungTrim()
    const steps = feed(trim, 100, quietCpu, grown)
    expect(steps.filter((s) => s.endsWith(':shrink'))).toHaveLength(MAX_TRIES)
    expect(feed(trim, 1, busyCpu)).toEqual([])
    expect(feed(trim, shrinkAt, quietCpu)).toEqual([`${QUIET_SAMPLES}:open`, `${shrinkAt}:shrink`])
  })
})
