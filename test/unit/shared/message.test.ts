import { describe, expect, it } from 'vitest'
import { AppError, ErrorCode, formatMessage, msg, pluralForm, toApiError } from '../../../src-main/shared'

describe('service messages', () => {
  it('format in English with parameters, numbers and nested messages', () => {
    expect(formatMessage(msg('common.unexpected', { detail: 'boom' }))).toBe('Unexpected error: boom')
    expect(formatMessage(msg('common.unexpected', { detail: msg('common.unexpectedHint') }))).toBe('Unexpected error: This is a bug in Raftdeck. The service log has the details.')
    expect(formatMessage(msg('common.unexpected', { detail: 12345 }))).toBe('Unexpected error: 12,345')
  })

  it('pick plural forms by count as vue-i18n does', () => {
    expect(pluralForm('{count} key | {count} keys', 1)).toBe('{count} key')
    expect(pluralForm('{count} key | {count} keys', 3)).toBe('{count} keys')
    expect(pluralForm('no keys | one key | {count} keys', 0)).toBe('no keys')
    expect(pluralForm('no keys | one key | {count} keys', 7)).toBe('{count} keys')
  })

  it('travel inside errors: English message for old clients, key and parameters for translation', () => {
    const e = new AppError(ErrorCode.Internal, msg('common.unexpected', { detail: 'x' }), msg('common.unexpectedHint')).toApiError()
    expect(e).toEqual({
      code: 'INTERNAL',
      message: 'Unexpected error: x',
      hint: 'This is a bug in Raftdeck. The service log has the details.',
      msg: { key: 'common.unexpected', params: { detail: 'x' } },
      hintMsg: { key: 'common.unexpectedHint' },
    })
    expect(toApiError(new Error('y')).msg).toEqual({ key: 'common.unexpected', params: { detail: 'y' } })
  })
})
