// The desktop notification of a failed scheduled run follows the window's language: the one the user
// picked, else the system's; the cause is the run's translated message, or its English for older records.
import { describe, expect, it } from 'vitest'
import { msg } from '../../../src-main/shared'
import { failureNotice, noticeLocale } from '../../../src-main/services/backup/notice'

const run = {
  scheduleName: 'nightly',
  reason: 'No member of the cluster answered: 10.0.0.1:2379 (connection refused).',
  reasonMsg: msg('backup.stream.empty', { endpoint: 'https://10.0.0.1:2379' }),
}

describe('failureNotice', () => {
  it('is in English for an English window, with the cause formatted from its message', () => {
    expect(failureNotice(run, 'en')).toEqual({ title: 'Backup “nightly” failed', body: 'https://10.0.0.1:2379 sent an empty snapshot.' })
  })

  it('is in Chinese for a Chinese window, the cause translated with its parameters', () => {
    const n = failureNotice(run, 'zh-CN')
    expect(n.title).toBe('备份“nightly”失败')
    expect(n.body).toContain('https://10.0.0.1:2379')
    expect(n.body).not.toMatch(/sent an empty snapshot/)
    expect(n.body).toMatch(/[\u4e00-\u9fff]/)
  })

  it('keeps the English cause of a run recorded before messages existed, and says where to look when there is none', () => {
    expect(failureNotice({ scheduleName: 'n', reason: 'disk full', reasonMsg: null }, 'zh-CN').body).toBe('disk full')
    expect(failureNotice({ scheduleName: 'n', reason: null }, 'zh-CN').body).toBe('详情见“备份”区域。')
    expect(failureNotice({ scheduleName: 'n', reason: null }, 'en').body).toBe('See the Backups area for details.')
  })
})

describe('noticeLocale', () => {
  it('uses the language the user chose, else the system’s', () => {
    expect(noticeLocale('en', 'zh-CN')).toBe('en')
    expect(noticeLocale('zh-CN', 'en-US')).toBe('zh-CN')
    expect(noticeLocale(null, 'zh-TW')).toBe('zh-CN')
    expect(noticeLocale(null, 'de-DE')).toBe('en')
  })
})
