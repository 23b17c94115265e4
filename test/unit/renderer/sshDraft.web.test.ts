// The SSH part of the connection form: secrets are write-only (an untouched passphrase of a saved hop
// keeps the stored one), and only the chosen sign-in method's fields are sent. Hop titles and expiry
// labels follow the UI's language (it imports the renderer's i18n module: a *.web.test.ts).
import { afterEach, describe, expect, it } from 'vitest'
import { i18n } from '../../../src-renderer/src/i18n'
import { daysLabel, hopFromSummary, hopInput, hopTitle, newHop } from '../../../src-renderer/src/features/connections/sshDraft'

afterEach(() => {
  i18n.global.locale.value = 'en'
})

const saved = { id: 'h1', host: 'bastion', port: 22, user: 'ops', auth: 'key' as const, keyFile: '/k', hasPassphrase: true, hasPassword: false }

describe('SSH hop drafts', () => {
  it('keeps the stored passphrase of a saved hop unless the field was touched', () => {
    const h = hopFromSummary(saved)
    expect(hopInput(h)).toEqual({ id: 'h1', host: 'bastion', port: 22, user: 'ops', auth: 'key', keyFile: '/k' })
    h.passphrase = ''
    h.passphraseTouched = true
    expect(hopInput(h).passphrase).toBe('')
  })

  it('sends a new hop its secrets as typed, and only those of its method', () => {
    const h = { ...newHop(), host: ' bastion ', user: 'ops', auth: 'password' as const, password: 'pw', keyFile: '/ignored' }
    expect(hopInput(h)).toEqual({ host: 'bastion', port: 22, user: 'ops', auth: 'password', password: 'pw' })
  })

  it('names hops by their place in the chain', () => {
    expect(hopTitle(0, 1)).toBe('Bastion')
    expect(hopTitle(0, 2)).toBe('Host 1: jump host, reached directly')
    expect(hopTitle(1, 2)).toBe('Host 2: forwards to etcd')
    i18n.global.locale.value = 'zh-CN'
    expect(hopTitle(0, 1)).toBe('跳板机')
    expect(hopTitle(0, 3)).toBe('主机 1：跳板机，直接连接')
    expect(hopTitle(1, 3)).toBe('主机 2：跳板机')
    expect(hopTitle(2, 3)).toBe('主机 3：转发到 etcd')
  })

  it('says how long a certificate has left, in the UI language', () => {
    i18n.global.locale.value = 'en'
    expect(daysLabel(12, 'warn')).toBe('12 d left')
    expect(daysLabel(-3, 'expired')).toBe('expired 3 d ago')
    i18n.global.locale.value = 'zh-CN'
    expect(daysLabel(12, 'warn')).toBe('剩余 12 天')
    expect(daysLabel(-3, 'expired')).toBe('已过期 3 天')
    expect(daysLabel(0, 'not-yet-valid')).toBe('尚未生效')
  })
})
