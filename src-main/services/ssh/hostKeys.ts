// SSH host keys: what a server offers, how it is shown (OpenSSH's SHA256 fingerprint), and how it is
// checked against what the user trusts: keys confirmed in a connection profile, or an OpenSSH
// known_hosts file (plain and hashed entries, [host]:port for other ports, @revoked markers).

import { createHash, createHmac } from 'node:crypto'

export interface HostKey {
  /** The key's type as written in the blob: ssh-ed25519, ecdsa-sha2-nistp256, ssh-rsa, … */
  algorithm: string
  /** The public key blob. */
  blob: Buffer
}

/** The key type is the first string of the blob (RFC 4253 §6.6). */
export function keyAlgorithm(blob: Buffer): string {
  if (blob.length < 4) return 'unknown'
  const len = blob.readUInt32BE(0)
  if (len <= 0 || len > 64 || 4 + len > blob.length) return 'unknown'
  return blob.subarray(4, 4 + len).toString('latin1')
}

/** OpenSSH's fingerprint: SHA256 of the blob, base64 without padding. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`
}

export function hostKeyFromBlob(blob: Buffer): HostKey {
  return { algorithm: keyAlgorithm(blob), blob }
}

/**
 * Host key algorithms to offer when a key of `algorithm` is trusted, so the server presents that key
 * and not another type it also has (which would look like a changed key).
 */
export function signatureAlgorithms(algorithm: string): string[] {
  if (algorithm === 'ssh-rsa') return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']
  return [algorithm]
}

/** How OpenSSH names a host in known_hosts: the bare name on port 22, [name]:port elsewhere. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`
}

/** A known_hosts line for this key (what `ssh-keyscan` would print). */
export function knownHostsLine(host: string, port: number, key: HostKey): string {
  return `${knownHostsName(host, port)} ${key.algorithm} ${key.blob.toString('base64')}`
}

export interface KnownHostsMatch {
  trusted: HostKey[]
  revoked: HostKey[]
}

function patternToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')
  return new RegExp(`^${escaped.replace(/\[/g, '\\[').replace(/\]/g, '\\]')}$`, 'i')
}

/** Whether one host field of a known_hosts line (comma-separated patterns, or one hashed name) names host:port. */
function hostFieldMatches(field: string, host: string, port: number): boolean {
  const name = knownHostsName(host, port)
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|')
    if (!salt || !hash) return false
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash
  }
  let matched = false
  for (const raw of field.split(',')) {
    const negated = raw.startsWith('!')
    const pattern = negated ? raw.slice(1) : raw
    if (!patternToRegExp(pattern).test(name)) continue
    if (negated) return false
    matched = true
  }
  return matched
}

/** The keys a known_hosts text trusts (and revokes) for host:port. Lines that cannot be parsed are skipped, as ssh does. */
export function lookupKnownHosts(text: string, host: string, port: number): KnownHostsMatch {
  const out: KnownHostsMatch = { trusted: [], revoked: [] }
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim()
    if (!line || line.startsWith('#')) continue
    const fields = line.split(/\s+/)
    let marker: string | null = null
    if (fields[0]!.startsWith('@')) marker = fields.shift()!
    if (fields.length < 3) continue
    const [hosts, type, b64] = fields as [string, string, string]
    // Certificate authorities sign host certificates, which this client does not use.
    if (marker === '@cert-authority') continue
    if (!hostFieldMatches(hosts, host, port)) continue
    const blob = Buffer.from(b64, 'base64')
    if (blob.length === 0 || keyAlgorithm(blob) !== type) continue
    ;(marker === '@revoked' ? out.revoked : out.trusted).push({ algorithm: type, blob })
  }
  return out
}
