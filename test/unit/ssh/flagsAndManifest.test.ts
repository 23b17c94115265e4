// The --ssh-tunnel flag, kubeadm manifest parsing, and certificate expiry statuses.
import os from 'node:os'
import { describe, expect, it } from 'vitest'
import { parseTunnelFlag, tunnelFromFlags } from '../../../src-main/cli/etcdFlags'
import { certificateInfo } from '../../../src-main/services/connections/certificates'
import { manifestEndpoints, manifestFlags } from '../../../src-main/services/connections/kubeadm'
import { validateHops } from '../../../src-main/services/connections/service'
import { expandHome } from '../../../src-main/services/ssh/credentials'

describe('--ssh-tunnel', () => {
  it('parses USER@HOST[:PORT], IPv6 in brackets, jump hosts first, and defaults like ssh', () => {
    expect(parseTunnelFlag('ops@bastion.example.com')).toEqual([{ user: 'ops', host: 'bastion.example.com', port: 22 }])
    expect(parseTunnelFlag('ops@10.0.0.5:2222')).toEqual([{ user: 'ops', host: '10.0.0.5', port: 2222 }])
    expect(parseTunnelFlag('ops@[2001:db8::1]:22')).toEqual([{ user: 'ops', host: '2001:db8::1', port: 22 }])
    expect(parseTunnelFlag('a@jump:2200, b@bastion')).toEqual([
      { user: 'a', host: 'jump', port: 2200 },
      { user: 'b', host: 'bastion', port: 22 },
    ])
    expect(parseTunnelFlag('bastion')[0]!.user).toBe(os.userInfo().username)
  })

  it('refuses what is not USER@HOST[:PORT], with an example', () => {
    expect(() => parseTunnelFlag('ops@bastion:99999')).toThrow(/not a TCP port/)
    expect(() => parseTunnelFlag('ops@bas tion')).toThrow(/is not USER@HOST/)
    expect(() => parseTunnelFlag('ops@host:22:33')).toThrow(/is not USER@HOST/)
    expect(() => parseTunnelFlag(',')).toThrow(/needs USER@HOST/)
  })

  it('needs --ssh-tunnel for the other SSH flags, and a way to sign in', () => {
    expect(() => tunnelFromFlags({ 'ssh-key': '/k' })).toThrow(/need --ssh-tunnel/)
    expect(tunnelFromFlags({})).toBeUndefined()
    const saved = { sock: process.env.SSH_AUTH_SOCK, pw: process.env.RAFTDECK_SSH_PASSWORD }
    delete process.env.SSH_AUTH_SOCK
    delete process.env.RAFTDECK_SSH_PASSWORD
    try {
      expect(() => tunnelFromFlags({ 'ssh-tunnel': 'ops@bastion', 'ssh-known-hosts': '/dev/null' })).toThrow(/needs a way to sign in/)
      expect(() => tunnelFromFlags({ 'ssh-tunnel': 'ops@bastion', 'ssh-key': '/k', 'ssh-known-hosts': '/no/such/file' })).toThrow(/cannot read --ssh-known-hosts/)
      const t = tunnelFromFlags({ 'ssh-tunnel': 'a@jump,b@bastion:2222', 'ssh-key': '/k', 'ssh-known-hosts': '/dev/null' })!
      expect(t.label).toBe('a@jump:22 → b@bastion:2222')
      t.close()
    } finally {
      if (saved.sock !== undefined) process.env.SSH_AUTH_SOCK = saved.sock
      if (saved.pw !== undefined) process.env.RAFTDECK_SSH_PASSWORD = saved.pw
    }
  })
})

describe('SSH settings in a profile', () => {
  const good = { host: 'bastion', port: 22, user: 'ops', auth: 'agent' as const }
  it('names the hop and the field that is wrong', () => {
    expect(() => validateHops([good])).not.toThrow()
    expect(() => validateHops([{ ...good, host: 'ops@bastion' }])).toThrow(/The SSH bastion: 'ops@bastion' is not a host name/)
    expect(() => validateHops([good, { ...good, port: 0 }])).toThrow(/SSH host 2: port 0/)
    expect(() => validateHops([{ ...good, user: ' ' }])).toThrow(/user name is missing/)
    expect(() => validateHops([{ ...good, auth: 'key' }])).toThrow(/needs a private key file/)
  })
})

describe('key paths', () => {
  it('expands ~/ to the home folder, as ssh does, and nothing else', () => {
    expect(expandHome('~/.ssh/id_ed25519')).toBe(`${os.homedir()}/.ssh/id_ed25519`)
    expect(expandHome('/etc/ssh/key')).toBe('/etc/ssh/key')
    expect(expandHome('~other/key')).toBe('~other/key')
  })
})

describe('kubeadm manifest', () => {
  it('reads the command flags, quoted or not, and prefers the advertised client URLs', () => {
    const f = manifestFlags(['  - command:', '    - etcd', '    - --advertise-client-urls=https://10.0.0.11:2379', "    - '--name=cp-1'", '    - --client-cert-auth=true', '    - --listen-client-urls=https://127.0.0.1:2379,https://10.0.0.11:2379'].join('\n'))
    expect(f.get('name')).toBe('cp-1')
    expect(f.get('client-cert-auth')).toBe('true')
    expect(manifestEndpoints(f)).toEqual(['https://10.0.0.11:2379'])
  })

  it('falls back to the annotation, then to listened URLs with loopback last', () => {
    expect(manifestEndpoints(manifestFlags('metadata:\n  annotations:\n    kubeadm.kubernetes.io/etcd.advertise-client-urls: https://10.0.0.12:2379\n'))).toEqual(['https://10.0.0.12:2379'])
    expect(manifestEndpoints(manifestFlags('    - --listen-client-urls=https://127.0.0.1:2379,https://10.0.0.13:2379'))).toEqual(['https://10.0.0.13:2379', 'https://127.0.0.1:2379'])
    expect(manifestEndpoints(manifestFlags('kind: Pod'))).toEqual([])
  })
})

describe('certificate expiry', () => {
  const now = Date.parse('2026-06-01T00:00:00Z')
  const cert = (validTo: string, validFrom = '2025-01-01T00:00:00Z') => certificateInfo({ subject: 's', issuer: 'i', validFrom, validTo }, 'client', 'f', now)
  it('warns 30 days ahead, and says expired or not yet valid', () => {
    expect(cert('2026-08-01T00:00:00Z')).toMatchObject({ status: 'ok', daysLeft: 61 })
    expect(cert('2026-07-01T00:00:00Z')).toMatchObject({ status: 'warn', daysLeft: 30 })
    expect(cert('2026-07-02T00:00:00Z')).toMatchObject({ status: 'ok', daysLeft: 31 })
    expect(cert('2026-05-30T00:00:00Z')).toMatchObject({ status: 'expired', daysLeft: -2 })
    expect(cert('2027-01-01T00:00:00Z', '2026-07-01T00:00:00Z').status).toBe('not-yet-valid')
  })
})
