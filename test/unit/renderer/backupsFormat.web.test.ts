// The Backups area's lines that used to arrive as English from the services are built in the UI's
// language from their facts: the freshness line, the span between runs, the cron description.
// It imports the renderer's i18n module (DOM types), so the web tsconfig checks it (the *.web.test.ts pattern).
import { afterEach, describe, expect, it } from 'vitest'
import type { Freshness } from '../../../src-main/shared/api/backupSchedules'
import { i18n } from '../../../src-renderer/src/i18n'
import { cronText, freshnessText, spanText, stateLabel } from '../../../src-renderer/src/features/backups/format'

const H = 3_600_000
const now = Date.UTC(2026, 11, 2, 12, 0, 0)
const fresh: Freshness = { state: 'fresh', lastGoodAt: now - 3 * H, expectedEveryMs: 6 * H, dueAt: null, text: '' }
const use = (l: 'en' | 'zh-CN') => {
  i18n.global.locale.value = l
}

describe('backups display helpers', () => {
  afterEach(() => use('en'))

  it('say the freshness line in English as the services did', () => {
    use('en')
    expect(freshnessText(fresh, now)).toBe('last good backup 3 hr. ago, expected every 6 hr')
    expect(freshnessText({ ...fresh, state: 'never', lastGoodAt: null, expectedEveryMs: null }, now)).toBe('no good backup yet')
    expect(freshnessText({ ...fresh, state: 'overdue' }, now)).toMatch(/^overdue: last good backup 3 hr\. ago, expected every 6 hr$/)
  })

  it('say it in Chinese, with no English left', () => {
    use('zh-CN')
    const line = freshnessText({ ...fresh, state: 'failing' }, now)
    expect(line).toBe('上次运行失败；上次成功备份于3小时前，预期每6小时一次')
    expect(line).not.toMatch(/[A-Za-z]/)
    expect(stateLabel('picked')).toBe('传输快照')
  })

  it('round spans as the services do', () => {
    use('en')
    expect(spanText(20_000)).toBe('20 sec')
    expect(spanText(90 * 60_000)).toBe('90 min')
    expect(spanText(3 * 24 * H)).toBe('3 days')
  })

  it('describe cron expressions in the UI language, and nothing for a bad one', () => {
    use('en')
    expect(cronText('0 */6 * * *')).toContain('every 6 hours')
    use('zh-CN')
    expect(cronText('0 */6 * * *')).toContain('每隔 6 小时')
    expect(cronText('not a cron')).toBe('')
  })
})
