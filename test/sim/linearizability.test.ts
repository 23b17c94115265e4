// The checker is only useful if it says "no" to non-linearizable histories
// and "yes" to linearizable ones, including with unknown outcomes.

import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { kvModel } from './kvModel'
import type { KvInput, KvOperation, KvOutput } from './kvModel'
import { checkOperations } from './linearizability'

let nextClient = 0
function op(input: KvInput, output: KvOutput, call: number, ret: number, clientId = nextClient++): KvOperation {
  return { clientId, input, output, call, ret }
}
const w = (key: string, value: string, call: number, ret: number): KvOperation => op({ kind: 'write', key, value }, { kind: 'write' }, call, ret)
const r = (key: string, value: string | null, call: number, ret: number): KvOperation => op({ kind: 'read', key }, { kind: 'read', value }, call, ret)
const cas = (key: string, from: string | null, to: string, ok: boolean, call: number, ret: number): KvOperation =>
  op({ kind: 'cas', key, from, to }, { kind: 'cas', ok }, call, ret)
const lost = (input: KvInput, call: number): KvOperation => op(input, { kind: 'unknown' }, call, Infinity)

const check = (h: KvOperation[]): string => checkOperations(kvModel, h).result

describe('linearizability checker', () => {
  it('accepts a sequential history', () => {
    expect(check([w('x', '1', 0, 1), r('x', '1', 2, 3), cas('x', '1', '2', true, 4, 5), r('x', '2', 6, 7)])).toBe('ok')
  })

  it('rejects a read of an overwritten value after the overwrite completed (stale read)', () => {
    expect(check([w('x', '1', 0, 1), w('x', '2', 2, 3), r('x', '1', 4, 5)])).toBe('illegal')
  })

  it('accepts either value for a read concurrent with a write', () => {
    expect(check([w('x', '1', 0, 1), w('x', '2', 2, 10), r('x', '1', 3, 4)])).toBe('ok')
    expect(check([w('x', '1', 0, 1), w('x', '2', 2, 10), r('x', '2', 3, 4)])).toBe('ok')
  })

  it('rejects reads that see a concurrent write and then un-see it', () => {
    // Once a read returned the new value, a later read may not return the old one.
    expect(check([w('x', '1', 0, 1), w('x', '2', 2, 20), r('x', '2', 3, 4), r('x', '1', 5, 6)])).toBe('illegal')
  })

  it('rejects a value nobody wrote, and reading a key before it was written', () => {
    expect(check([w('x', '1', 0, 1), r('x', '7', 2, 3)])).toBe('illegal')
    expect(check([r('x', null, 0, 1), w('x', '1', 2, 3), r('x', null, 4, 5)])).toBe('illegal')
  })

  it('checks compare-and-set outcomes against the state', () => {
    expect(check([w('x', '1', 0, 1), cas('x', '1', '2', true, 2, 3), cas('x', '1', '3', false, 4, 5)])).toBe('ok')
    expect(check([w('x', '1', 0, 1), cas('x', '1', '2', false, 2, 3)])).toBe('illegal')
    // Two CAS from the same value cannot both succeed.
    expect(check([w('x', '1', 0, 1), cas('x', '1', '2', true, 2, 10), cas('x', '1', '3', true, 2, 10)])).toBe('illegal')
  })

  it('lets an unknown write take effect late, or never', () => {
    // Observed long after its call: fine.
    expect(check([lost({ kind: 'write', key: 'x', value: '1' }, 0), r('x', null, 5, 6), r('x', '1', 100, 101)])).toBe('ok')
    // Never observed: fine too.
    expect(check([lost({ kind: 'write', key: 'x', value: '1' }, 0), r('x', null, 5, 6), r('x', null, 100, 101)])).toBe('ok')
  })

  it('does not let an unknown write take effect before it was called', () => {
    expect(check([r('x', '1', 0, 1), lost({ kind: 'write', key: 'x', value: '1' }, 5)])).toBe('illegal')
  })

  it('does not let an unknown write take effect twice', () => {
    expect(
      check([lost({ kind: 'write', key: 'x', value: '1' }, 0), r('x', '1', 5, 6), w('x', '2', 7, 8), r('x', '2', 9, 10), r('x', '1', 11, 12)]),
    ).toBe('illegal')
  })

  it('applies an unknown CAS only when its precondition holds', () => {
    const h = [w('x', 'a', 0, 1), lost({ kind: 'cas', key: 'x', from: 'b', to: 'c' }, 2), r('x', 'c', 5, 6)]
    expect(check(h)).toBe('illegal')
    const h2 = [w('x', 'b', 0, 1), lost({ kind: 'cas', key: 'x', from: 'b', to: 'c' }, 2), r('x', 'c', 5, 6)]
    expect(check(h2)).toBe('ok')
  })

  it('checks keys independently (a violation on one key is found among many)', () => {
    const ok: KvOperation[] = []
    for (let k = 0; k < 20; k++) ok.push(w(`k${k}`, 'v', k * 10, k * 10 + 1), r(`k${k}`, 'v', k * 10 + 2, k * 10 + 3))
    expect(check(ok)).toBe('ok')
    const report = checkOperations(kvModel, [...ok, w('k5', 'z', 300, 301), r('k5', 'v', 302, 303)])
    expect(report.result).toBe('illegal')
    expect(report.failing?.every((o) => o.input.key === 'k5')).toBe(true)
  })

  it('reports an exhausted search budget as unknown, not as a verdict', () => {
    const h: KvOperation[] = []
    for (let i = 0; i < 40; i++) h.push(w('x', `v${i}`, i, 1000 + i))
    h.push(r('x', 'v17', 2000, 2001))
    expect(checkOperations(kvModel, h, 10_000).result).toBe('unknown')
  })

  it('handles many concurrent operations through memoization', () => {
    // 14 overlapping writes of distinct values, then a read of one of them:
    // the search must find an order ending in v9 among 14! candidates.
    const h: KvOperation[] = []
    for (let i = 0; i < 14; i++) h.push(w('x', `v${i}`, i, 1000 + i))
    h.push(r('x', 'v9', 2000, 2001))
    expect(check(h)).toBe('ok')
    h.push(r('x', 'nope', 3000, 3001))
    expect(check(h)).toBe('illegal')
  })

  it('accepts every history produced by a sequential register, with arbitrary overlap added', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 3 }), fc.nat(5)), { maxLength: 30 }), (script) => {
        // Execute sequentially at distinct instants, then widen each interval:
        // widening can only add linearizations, never remove the real one.
        let state: string | null = null
        const h: KvOperation[] = []
        script.forEach(([kind, v, widen], i) => {
          const t = i * 10
          if (kind === 0) h.push(r('x', state, t - widen, t + 1 + widen))
          else if (kind === 1) {
            state = `v${v}`
            h.push(w('x', state, t - widen, t + 1 + widen))
          } else {
            const ok = state === `v${v}`
            if (ok) state = `v${v + 1}`
            h.push(cas('x', `v${v}`, `v${v + 1}`, ok, t - widen, t + 1 + widen))
          }
        })
        expect(check(h)).toBe('ok')
      }),
      { numRuns: 200 },
    )
  })

  it('rejects a sequential history once one completed read is falsified', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 20 }), fc.nat(), (values, pick) => {
        const h: KvOperation[] = []
        values.forEach((v, i) => {
          h.push(w('x', `v${v}`, i * 10, i * 10 + 1))
          h.push(r('x', `v${v}`, i * 10 + 2, i * 10 + 3))
        })
        const reads = h.filter((o) => o.input.kind === 'read')
        const victim = reads[pick % reads.length]
        h[h.indexOf(victim)] = { ...victim, output: { kind: 'read', value: 'never-written' } }
        expect(check(h)).toBe('illegal')
      }),
      { numRuns: 200 },
    )
  })
})
