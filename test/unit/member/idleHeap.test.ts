import { describe, expect, it } from 'vitest'
import { GROWTH_BYTES, IdleHeapTrim, MAX_USED_BYTES, QUIET_CPU_SHARE, QUIET_SAMPLES, SINCE_LAST_GC_MS, type HeapReading, type TrimStep } from '../../../src-main/member/server/idleHeap'

const MiB = 1024 * 1024
const SAMPLE = 1000
const quietCpu = QUIET_CPU_SHARE * SAMPLE * 0.5
const busyCpu = QUIET_CPU_SHARE * SAMPLE * 4
const start = { committed: 20 * MiB, used: 10 * MiB }
const grown = { committed: 20 * MiB + GROWTH_BYTES, used: 30 * MiB }

/**
 * Feeds `n` samples of `cpu` ms with the heap at `heap`, with V8's collections as the trim's own
 * steps make them (a step resets the time since the last one), and returns the steps by sample.
 */
function feed(trim: IdleHeapTrim, n: number, cpu: number, heap: HeapReading = grown, sinceGc = { ms: SINCE_LAST_GC_MS * 4 }): string[] {
  const out: string[] = []
  for (let i = 1; i <= n; i++) {
    const step: TrimStep | null = trim.sample(cpu, SAMPLE, heap, sinceGc.ms)
    if (step) out.push(`${i}:${step}`)
    // The next sample comes SAMPLE ms later: after a step, that long since the step's collection.
    sinceGc.ms = step ? SAMPLE : sinceGc.ms + SAMPLE
  }
  return out
}

const fullAfter = QUIET_SAMPLES + Math.ceil(SINCE_LAST_GC_MS / SAMPLE)

describe('idle heap trim: when a quiet member collects', () => {
  it('once quiet for QUIET_SAMPLES after its heap grew: a scavenge, then the full collection SINCE_LAST_GC_MS later; nothing while busy', () => {
    const trim = new IdleHeapTrim(start)
    expect(feed(trim, 20, busyCpu)).toEqual([])
    expect(feed(trim, fullAfter, quietCpu)).toEqual([`${QUIET_SAMPLES}:minor`, `${fullAfter}:full`])
  })

  it('starts over after a busy sample, scavenge included', () => {
    const trim = new IdleHeapTrim(start)
    const gcAgo = { ms: SINCE_LAST_GC_MS * 4 }
    expect(feed(trim, QUIET_SAMPLES - 1, quietCpu, grown, gcAgo)).toEqual([])
    expect(feed(trim, 1, busyCpu, grown, gcAgo)).toEqual([])
    expect(feed(trim, QUIET_SAMPLES + 1, quietCpu, grown, gcAgo)).toEqual([`${QUIET_SAMPLES}:minor`])
    expect(feed(trim, 1, busyCpu, grown, gcAgo)).toEqual([])
    // Busy again after the scavenge: the next quiet spell scavenges again before the full collection.
    expect(feed(trim, fullAfter, quietCpu, grown, gcAgo)).toEqual([`${QUIET_SAMPLES}:minor`, `${fullAfter}:full`])
  })

  it('holds the full collection until V8 has not collected for SINCE_LAST_GC_MS (its own collections count too)', () => {
    const trim = new IdleHeapTrim(start)
    expect(feed(trim, QUIET_SAMPLES, quietCpu)).toEqual([`${QUIET_SAMPLES}:minor`])
    for (let i = 0; i < 10; i++) expect(trim.sample(quietCpu, SAMPLE, grown, SINCE_LAST_GC_MS - 1)).toBeNull()
    expect(trim.sample(quietCpu, SAMPLE, grown, SINCE_LAST_GC_MS)).toBe('full')
  })

  it('does nothing when the heap and its buffers have not grown by GROWTH_BYTES since the last collection', () => {
    const big = { committed: 40 * MiB, used: 10 * MiB }
    const trim = new IdleHeapTrim(big)
    expect(feed(trim, 20, quietCpu, { committed: big.committed + GROWTH_BYTES - 1, used: 20 * MiB })).toEqual([])
    // Growth counts from the lowest size seen, so a heap V8 shrank by itself counts from there.
    expect(feed(trim, 1, quietCpu, { committed: 30 * MiB, used: 20 * MiB })).toEqual([])
    expect(feed(trim, 1, quietCpu, { committed: 30 * MiB + GROWTH_BYTES, used: 20 * MiB })).toEqual(['1:minor'])
  })

  it('collects once per load: afterwards only new growth and a new quiet spell lead to another', () => {
    const trim = new IdleHeapTrim(start)
    expect(feed(trim, fullAfter, quietCpu)).toEqual([`${QUIET_SAMPLES}:minor`, `${fullAfter}:full`])
    const after = { committed: 22 * MiB, used: 12 * MiB }
    trim.collected(after)
    expect(feed(trim, 30, quietCpu, after)).toEqual([])
    const again = { committed: after.committed + GROWTH_BYTES, used: 14 * MiB }
    expect(feed(trim, 5, busyCpu, again)).toEqual([])
    expect(feed(trim, fullAfter, quietCpu, again)).toEqual([`${QUIET_SAMPLES}:minor`, `${fullAfter}:full`])
  })

  it('leaves a heap with more than MAX_USED_BYTES alive alone (its full collection would pause the member too long)', () => {
    const trim = new IdleHeapTrim(start)
    expect(feed(trim, 20, quietCpu, { committed: MAX_USED_BYTES + 64 * MiB, used: MAX_USED_BYTES + MiB })).toEqual([])
    expect(feed(trim, 1, quietCpu, { committed: MAX_USED_BYTES + 64 * MiB, used: MAX_USED_BYTES })).toEqual(['1:minor'])
  })
})
