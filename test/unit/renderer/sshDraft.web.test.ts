// The SSH part of the connection form: secrets are write-only (an untouched passphrase of a saved hop
// keeps the stored one), and only the chosen sign-in method's fields are sent.
import { describe, expect, it } from 'vitest'
import { hopFromSummary, hopInput, hopTitle, newHop } from '../../../src-renderer/src/features/connections/sshDraft'

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
  })
})
