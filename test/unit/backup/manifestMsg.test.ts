// The manifest keeps each run's English reason (the CLI and operators' scripts read it) and, beside it, the
// message key the UI translates. Old manifests without keys still fold into the same records.
import { describe, expect, it } from 'vitest'
import { parseManifest } from '../../../src-main/services/backup/manifest'
import { msg } from '../../../src-main/shared/i18n/message'

const reasonMsg = msg('backup.dest.missing', { dir: '/mnt/nfs' })
const line = (o: Record<string, unknown>) => JSON.stringify({ v: 1, ...o })

describe('manifest with message keys', () => {
  it('folds the keys beside the English, and a failure without a key replaces a catch-up note’s', () => {
    const note = msg('backup.run.catchUp', { count: 2, due: '2026-06-05T02:00:00.000Z' })
    const text = [
      line({ run: 'a', at: 1, state: 'started', startedAt: 1, reason: 'The destination folder /mnt/nfs does not exist.', reasonMsg }),
      line({ run: 'a', at: 2, state: 'done', outcome: 'failed', reason: 'The destination folder /mnt/nfs does not exist.', reasonMsg, hint: 'h', hintMsg: null }),
      line({ run: 'b', at: 3, state: 'started', startedAt: 3, reason: 'catch-up: 2 scheduled runs were missed', reasonMsg: note }),
      line({ run: 'b', at: 4, state: 'done', outcome: 'failed', reason: 'boom', reasonMsg: null, hint: null, hintMsg: null }),
    ].join('\n')
    const st = parseManifest(text)
    expect(st.runs.get('a')).toMatchObject({ reason: 'The destination folder /mnt/nfs does not exist.', reasonMsg, outcome: 'failed' })
    expect(st.runs.get('b')).toMatchObject({ reason: 'boom', reasonMsg: null })
  })

  it('reads a manifest written before the keys existed', () => {
    const st = parseManifest(
      [
        line({ run: 'c', at: 1, state: 'started', startedAt: 1, reason: null }),
        line({ run: 'c', at: 2, state: 'done', outcome: 'ok', reason: null, pickReason: 'n1 answers', file: 'x.db' }),
        line({ event: 'reverified', at: 3, file: 'x.db', ok: false, message: 'changed' }),
        line({ event: 'reverified', at: 4, file: 'y.db', ok: false, message: 'changed', messageMsg: 'not a message' }),
      ].join('\n'),
    )
    const r = st.runs.get('c')!
    expect(r.pickReason).toBe('n1 answers')
    expect(r.pickReasonMsg).toBeUndefined()
    expect(st.reverified.get('x.db')).toEqual({ at: 3, ok: false, message: 'changed' })
    // A hand-edited key that is not a message is dropped: the English is shown.
    expect(st.reverified.get('y.db')).toEqual({ at: 4, ok: false, message: 'changed' })
  })
})

describe('retention reasons as messages', () => {
  it('carry the same English as the reasons the CLI prints', async () => {
    const { planRetention } = await import('../../../src-main/services/backup/retention')
    const { formatMessage } = await import('../../../src-main/shared/i18n/message')
    const DAY = 86_400_000
    const now = Date.UTC(2026, 5, 30, 12)
    const files = Array.from({ length: 6 }, (_, i) => ({ file: `f${i}.db`, createdAt: now - i * 9 * DAY, revision: i, bytes: 1 }))
    const d = planRetention(files, { keepLast: 1, keepWeekly: 3, keepMonthly: 2, maxAgeDays: 20 }, 'UTC', now)
    const all = d.flatMap((x) => x.reasons)
    expect(all).toContain('weekly 2026-W27')
    expect(all.some((r) => /^but older than 20 d \(\d+ d\)$/.test(r))).toBe(true)
    for (const x of d) expect(x.reasonMsgs!.map(formatMessage)).toEqual(x.reasons)
  })
})
