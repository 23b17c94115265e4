// Blowfish's constants (π's hex digits) are computed the first time a bcrypt hash is checked. That
// computation once ran in one go and held a member's thread for 40–90 ms at its first
// Authenticate; it now yields like the hash itself. Its own file: the constants are computed once
// per module instance, and this must see the first time.
import { describe, expect, it, vi } from 'vitest'
import { bcryptHash, bcryptVerify, blowfishConstantsSteps } from '../../../src-main/member/auth/bcrypt'

describe('Blowfish constants', () => {
  it('are computed in many small steps the first time, then come at once', async () => {
    const steps = blowfishConstantsSteps()
    let yields = 0
    let r = steps.next()
    while (!r.done) {
      yields++
      r = steps.next()
    }
    const words = r.value
    // 18 words of P and 4 S-boxes of 256, from π = 3.243f6a88 85a308d3 13198a2e 03707344 …
    expect(words).toHaveLength(18 + 4 * 256)
    expect([...words.slice(0, 4)].map((w) => w.toString(16).padStart(8, '0'))).toEqual(['243f6a88', '85a308d3', '13198a2e', '03707344'])
    // The first S-box word, and the last word of the fourth box (Schneier's tables).
    expect(words[18]!.toString(16)).toBe('d1310ba6')
    expect(words[18 + 4 * 256 - 1]!.toString(16)).toBe('3ac372e6')
    expect(yields).toBeGreaterThan(100)
    // Computed once: the next walk returns at once, the same array.
    const again = blowfishConstantsSteps().next()
    expect(again.done).toBe(true)
    expect(again.value).toBe(words)
    // And the hash built on them is bcrypt's.
    const h = await bcryptHash('pw', 4)
    expect(bcryptVerify(h, 'pw')).toBe(true)
    expect(bcryptVerify(h, 'pW')).toBe(false)
  })

  it('are computed once when several checks start together: they advance one computation', async () => {
    type Bcrypt = typeof import('../../../src-main/member/auth/bcrypt')
    const fresh = async (): Promise<Bcrypt> => {
      vi.resetModules()
      return import('../../../src-main/member/auth/bcrypt')
    }
    const steps = (g: Generator<void, Uint32Array>): number => {
      let n = 0
      while (!g.next().done) n++
      return n
    }
    const alone = steps((await fresh()).blowfishConstantsSteps())
    const m = await fresh()
    const a = m.blowfishConstantsSteps()
    const b = m.blowfishConstantsSteps()
    let ya = 0
    let yb = 0
    let ra: IteratorResult<void, Uint32Array> | undefined
    let rb: IteratorResult<void, Uint32Array> | undefined
    while (!ra?.done || !rb?.done) {
      if (!ra?.done && !(ra = a.next()).done) ya++
      if (!rb?.done && !(rb = b.next()).done) yb++
    }
    // Taking turns, the two walks together step the series about once, not twice.
    expect(ya + yb).toBeLessThanOrEqual(alone + 2)
    expect(Math.min(ya, yb)).toBeGreaterThan(alone / 3)
    expect(ra.value).toBe(rb.value)
    expect(ra.value[0]!.toString(16)).toBe('243f6a88')
  })
})
