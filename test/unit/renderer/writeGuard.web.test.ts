// The one write guard's rules: a read-only target is refused before any question (even a production
// one, even a destructive change); production asks; a destructive change asks everywhere; everything
// else goes. And how long calls' progress reads.
import { describe, expect, it } from 'vitest'
import { writeDecision } from '../../../src-renderer/src/composables/writeGuard.shared'
import { progressPercent, progressText } from '../../../src-renderer/src/composables/progress.shared'

const policy = (readOnly: boolean, production: boolean) => ({ name: 'prod-eu', readOnly, production })

describe('write guard', () => {
  it('refuses a read-only target before asking, whatever else is true', () => {
    for (const production of [false, true])
      for (const destructive of [false, true]) {
        const d = writeDecision(policy(true, production), 'Compact the history', { destructive })
        expect(d.kind).toBe('refuse')
        expect(d.kind === 'refuse' && d.message).toContain('"prod-eu" is a read-only connection: nothing was changed.')
      }
  })

  it('asks on production, naming the cluster and the action', () => {
    const d = writeDecision(policy(false, true), 'Delete this key', { detail: '/app/x' })
    expect(d).toEqual({ kind: 'ask', production: true, title: 'Production: prod-eu', content: 'Delete this key on "prod-eu", which is marked as production. /app/x Continue?', positiveText: 'Yes, make the change' })
  })

  it('asks for a destructive change anywhere, also when there is no cluster (a local file)', () => {
    expect(writeDecision(policy(false, false), 'Compact the history', { destructive: true })).toMatchObject({ kind: 'ask', production: false, title: 'Compact the history?' })
    expect(writeDecision(null, 'Delete this snapshot', { destructive: true, detail: '/data/a.db' })).toMatchObject({ kind: 'ask', content: 'This cannot be undone. /data/a.db' })
  })

  it('lets an ordinary write on a writable, non-production target go without a question', () => {
    expect(writeDecision(policy(false, false), 'Save this key')).toEqual({ kind: 'go' })
    expect(writeDecision(null, 'Save')).toEqual({ kind: 'go' })
  })
})

describe('progress text', () => {
  it('reads in the unit of the work, with the phase first', () => {
    expect(progressText({ phase: 'Writing keys', done: 1200, total: 10_000, unit: 'keys' })).toBe('Writing keys: 1,200 of 10,000 keys')
    expect(progressText({ done: 1, total: null, unit: 'keys' })).toBe('1 key')
    expect(progressText({ phase: 'Streaming the snapshot', done: 12 * 1024 * 1024, total: 96.5 * 1024 * 1024, unit: 'bytes' })).toBe('Streaming the snapshot: 12.0 MiB of 96.5 MiB')
    expect(progressText({ phase: 'Defragmenting n2', done: 1, total: 3, unit: 'members' })).toBe('Defragmenting n2: 1 of 3 members')
  })

  it('gives a percentage only when the total is known', () => {
    expect(progressPercent({ done: 1, total: 3, unit: 'members' })).toBe(33)
    expect(progressPercent({ done: 5, total: null, unit: 'keys' })).toBeNull()
    expect(progressPercent({ done: 0, total: 0, unit: 'keys' })).toBe(100)
  })
})
