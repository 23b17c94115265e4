// Host keys: fingerprints as ssh-keygen prints them, known_hosts lookups (plain, [host]:port, hashed,
// patterns, @revoked), and the unknown / changed / revoked verdicts with what they tell the user.
import { describe, expect, it } from 'vitest'
import { checkHostKey } from '../../../src-main/services/ssh/connect'
import type { SshHopSpec } from '../../../src-main/services/ssh/credentials'
import { fingerprint, hostKeyFromBlob, keyAlgorithm, knownHostsLine, lookupKnownHosts } from '../../../src-main/services/ssh/hostKeys'

// Generated with ssh-keygen; fingerprints from `ssh-keygen -lf`.
const ED25519 = 'AAAAC3NzaC1lZDI1NTE5AAAAID1dL2Y8NW1hRvN2QHqhuqybsgz1M2R8kOLseS5cLNXW'
const ED25519_FP = 'SHA256:HMEa/9FMOFYENhVMGZRE6GKWPOD+O5cs/IvdXU6PcUI'
const ECDSA = 'AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBJZFYq4mv6SNi3ctIDnsZBlsuTzBq/qt18WlPXv5oT/qI9s5RdkrOmsGHOm6lUBPJNg/umgUEBQMOjZjxTTuJxM='
const ECDSA_FP = 'SHA256:529KxCig0X4NGz/PX6z2oEdIC6v2YuzrawOAxUZozho'
// `ssh-keygen -H` of "[bastion.example.com]:2222 ssh-ed25519 …" and "bastion.example.com ecdsa-sha2-nistp256 …".
const HASHED = [
  `|1|qjWRv7aKNadXEv11uFo+ZD7Tuf8=|ZxxtiZwl8rOLjqN9vVzfljpILAc= ssh-ed25519 ${ED25519}`,
  `|1|7/DrmTYT2bcsIhxIaOlXHCGknLM=|y+2o3gkcR7jbLTo6VU2faXF3Ixw= ecdsa-sha2-nistp256 ${ECDSA}`,
].join('\n')

const blob = (b64: string) => Buffer.from(b64, 'base64')

describe('host key fingerprints', () => {
  it('reads the algorithm from the blob and prints the SHA256 fingerprint as ssh-keygen does', () => {
    expect(keyAlgorithm(blob(ED25519))).toBe('ssh-ed25519')
    expect(keyAlgorithm(blob(ECDSA))).toBe('ecdsa-sha2-nistp256')
    expect(fingerprint(blob(ED25519))).toBe(ED25519_FP)
    expect(fingerprint(blob(ECDSA))).toBe(ECDSA_FP)
    expect(keyAlgorithm(Buffer.from([0, 0, 1]))).toBe('unknown')
  })

  it('writes known_hosts lines with [host]:port off port 22', () => {
    const key = hostKeyFromBlob(blob(ED25519))
    expect(knownHostsLine('10.0.0.5', 22, key)).toBe(`10.0.0.5 ssh-ed25519 ${ED25519}`)
    expect(knownHostsLine('10.0.0.5', 2222, key)).toBe(`[10.0.0.5]:2222 ssh-ed25519 ${ED25519}`)
  })
})

describe('known_hosts lookup', () => {
  it('finds hashed entries by host and port, and nothing for other ports or hosts', () => {
    expect(lookupKnownHosts(HASHED, 'bastion.example.com', 2222).trusted.map((k) => k.algorithm)).toEqual(['ssh-ed25519'])
    expect(lookupKnownHosts(HASHED, 'bastion.example.com', 22).trusted.map((k) => k.algorithm)).toEqual(['ecdsa-sha2-nistp256'])
    expect(lookupKnownHosts(HASHED, 'bastion.example.com', 2200).trusted).toEqual([])
    expect(lookupKnownHosts(HASHED, 'other.example.com', 22).trusted).toEqual([])
  })

  it('matches plain names, comma lists, wildcards and negations; skips comments, CA lines and malformed lines', () => {
    const text = [
      '# a comment',
      `10.0.0.5,bastion ssh-ed25519 ${ED25519}`,
      `*.prod.example.com,!db.prod.example.com ecdsa-sha2-nistp256 ${ECDSA}`,
      `@cert-authority * ssh-ed25519 ${ED25519}`,
      `broken-line-without-key`,
      `10.0.0.5 ssh-rsa ${ED25519}`, // type does not match the blob: ignored
    ].join('\n')
    expect(lookupKnownHosts(text, 'bastion', 22).trusted).toHaveLength(1)
    expect(lookupKnownHosts(text, '10.0.0.5', 22).trusted.map((k) => k.algorithm)).toEqual(['ssh-ed25519'])
    expect(lookupKnownHosts(text, '10.0.0.5', 2222).trusted).toEqual([])
    expect(lookupKnownHosts(text, 'web.prod.example.com', 22).trusted.map((k) => k.algorithm)).toEqual(['ecdsa-sha2-nistp256'])
    expect(lookupKnownHosts(text, 'db.prod.example.com', 22).trusted).toEqual([])
  })

  it('collects @revoked keys apart', () => {
    const r = lookupKnownHosts(`@revoked bastion ssh-ed25519 ${ED25519}\nbastion ecdsa-sha2-nistp256 ${ECDSA}`, 'bastion', 22)
    expect(r.revoked.map((k) => k.algorithm)).toEqual(['ssh-ed25519'])
    expect(r.trusted.map((k) => k.algorithm)).toEqual(['ecdsa-sha2-nistp256'])
  })
})

describe('host key verdicts', () => {
  const hop = (trust: SshHopSpec['trust']): SshHopSpec => ({ host: 'bastion', port: 2222, user: 'ops', auth: { kind: 'agent' }, trust })
  const offered = hostKeyFromBlob(blob(ED25519))

  it('accepts a trusted key', () => {
    expect(checkHostKey(0, hop({ kind: 'profile', trusted: [offered], revoked: [] }), offered)).toBeNull()
  })

  it('asks about an unknown key with its fingerprint; known_hosts users get the line to add', () => {
    const p = checkHostKey(0, hop({ kind: 'profile', trusted: [], revoked: [] }), offered)!
    expect(p.problem).toBe('ssh-host-key-unknown')
    expect(p.message).toContain(ED25519_FP)
    expect(p.offer).toMatchObject({ hop: 0, host: 'bastion', port: 2222, algorithm: 'ssh-ed25519', key: ED25519, fingerprint: ED25519_FP })
    const k = checkHostKey(0, hop({ kind: 'known-hosts', file: '/home/ops/.ssh/known_hosts', trusted: [], revoked: [] }), offered)!
    expect(k.hint).toContain(`add this line to /home/ops/.ssh/known_hosts: [bastion]:2222 ssh-ed25519 ${ED25519}`)
  })

  it('refuses a changed key loudly, with both fingerprints and what to check', () => {
    const p = checkHostKey(1, hop({ kind: 'profile', trusted: [hostKeyFromBlob(blob(ECDSA))], revoked: [] }), offered)!
    expect(p.problem).toBe('ssh-host-key-changed')
    expect(p.message).toMatch(/HAS CHANGED/)
    expect(p.message).toContain(ED25519_FP)
    expect(p.message).toContain(ECDSA_FP)
    expect(p.hint).toMatch(/man in the middle/)
    expect(p.hint).toMatch(/ssh-keygen -lf/)
    expect(p.offer?.trusted).toEqual([{ algorithm: 'ecdsa-sha2-nistp256', fingerprint: ECDSA_FP }])
    const k = checkHostKey(0, hop({ kind: 'known-hosts', file: 'kh', trusted: [hostKeyFromBlob(blob(ECDSA))], revoked: [] }), offered)!
    expect(k.hint).toContain(`ssh-keygen -R '[bastion]:2222' -f kh`)
  })

  it('refuses a revoked key even when it is also trusted', () => {
    expect(checkHostKey(0, hop({ kind: 'known-hosts', trusted: [offered], revoked: [offered] }), offered)?.problem).toBe('ssh-host-key-revoked')
  })
})
