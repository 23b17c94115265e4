// etcdctl's connection flags (--cacert, --cert, --key, --user, …) and the SSH tunnel flags
// (--ssh-tunnel, --ssh-key, --ssh-known-hosts), shared by every command that talks to an etcd endpoint,
// so they are declared, parsed and loaded the same way everywhere.

import { readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { loadTlsMaterial, type TlsMaterial } from '../services/etcd/tlsMaterial'
import type { SshHopSpec } from '../services/ssh/credentials'
import { lookupKnownHosts } from '../services/ssh/hostKeys'
import { SshTunnel } from '../services/ssh/tunnel'
import { UsageError, type OptionSpec, type OptionValues } from './command'

/** The option specs; `purpose` prefixes each description (e.g. 'save: '). */
export function connectionOptions(purpose = ''): Record<string, OptionSpec> {
  return {
    cacert: { type: 'string', value: 'FILE', description: `${purpose}CA bundle that signed the server certificates (PEM).` },
    cert: { type: 'string', value: 'FILE', description: `${purpose}client certificate (PEM).` },
    key: { type: 'string', value: 'FILE', description: `${purpose}client key (PEM: PKCS#1, PKCS#8 or EC).` },
    'server-name': { type: 'string', value: 'NAME', description: `${purpose}verify the server certificate against this name.` },
    'insecure-skip-tls-verify': { type: 'boolean', description: `${purpose}do not verify the server certificate (insecure).` },
    user: { type: 'string', value: 'NAME[:PASSWORD]', description: `${purpose}etcd user; the password may also come from $ETCDCTL_PASSWORD.` },
    'ssh-tunnel': { type: 'string', value: 'USER@HOST[:PORT]', description: `${purpose}reach the endpoints through SSH; jump hosts first, comma-separated (a@jump,b@bastion).` },
    'ssh-key': { type: 'string', value: 'FILE', description: `${purpose}SSH private key (passphrase from $RAFTDECK_SSH_PASSPHRASE); without it: ssh-agent, else $RAFTDECK_SSH_PASSWORD.` },
    'ssh-known-hosts': { type: 'string', value: 'FILE', description: `${purpose}trusted SSH host keys (default ~/.ssh/known_hosts); unknown or changed keys are refused.` },
  }
}

/** The names of the connection flags, for commands that list the options each subcommand accepts. */
export const CONNECTION_FLAGS = ['cacert', 'cert', 'key', 'user', 'insecure-skip-tls-verify', 'server-name', 'ssh-tunnel', 'ssh-key', 'ssh-known-hosts'] as const

/** USER@HOST[:PORT], comma-separated; IPv6 hosts in brackets. The user defaults to the local user, as with ssh. */
export function parseTunnelFlag(value: string): { user: string; host: string; port: number }[] {
  const hops = value.split(',').map((h) => h.trim()).filter(Boolean)
  if (hops.length === 0) throw new UsageError('--ssh-tunnel needs USER@HOST[:PORT]')
  return hops.map((hop) => {
    const m = hop.match(/^(?:([^@\s]+)@)?(\[[0-9a-fA-F:.]+\]|[^:@\s[\]]+)(?::(\d{1,5}))?$/)
    if (!m) throw new UsageError(`--ssh-tunnel: '${hop}' is not USER@HOST[:PORT]`, 'Example: --ssh-tunnel admin@bastion.example.com:22 (IPv6: admin@[2001:db8::1]:22; jump hosts first: a@jump,b@bastion)')
    const port = m[3] ? Number(m[3]) : 22
    if (port < 1 || port > 65535) throw new UsageError(`--ssh-tunnel: port ${port} is not a TCP port`)
    return { user: m[1] ?? os.userInfo().username, host: m[2]!.replace(/^\[|\]$/g, ''), port }
  })
}

/**
 * The SSH tunnel the flags ask for, not connected yet; undefined without --ssh-tunnel. Host keys come
 * from known_hosts: an unknown or changed key is refused with the fingerprint and what to do.
 */
export function tunnelFromFlags(values: OptionValues, opts: { timeoutMs?: number } = {}): SshTunnel | undefined {
  const str = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined)
  const spec = str('ssh-tunnel')
  if (!spec) {
    if (str('ssh-key') || str('ssh-known-hosts')) throw new UsageError('--ssh-key and --ssh-known-hosts need --ssh-tunnel USER@HOST[:PORT]')
    return undefined
  }
  const explicit = str('ssh-known-hosts')
  const knownHosts = explicit ?? path.join(os.homedir(), '.ssh', 'known_hosts')
  let text = ''
  try {
    text = readFileSync(knownHosts, 'utf8')
  } catch (err) {
    // A missing default file just means nothing is trusted yet: the host key is then refused as unknown, with the line to add.
    if (explicit) throw new UsageError(`cannot read --ssh-known-hosts ${explicit} (${(err as NodeJS.ErrnoException).code})`)
  }
  const keyFile = str('ssh-key')
  let auth: SshHopSpec['auth']
  if (keyFile) auth = { kind: 'key', keyFile, ...(process.env.RAFTDECK_SSH_PASSPHRASE ? { passphrase: process.env.RAFTDECK_SSH_PASSPHRASE } : {}) }
  else if (process.env.SSH_AUTH_SOCK) auth = { kind: 'agent' }
  else if (process.env.RAFTDECK_SSH_PASSWORD) auth = { kind: 'password', password: process.env.RAFTDECK_SSH_PASSWORD }
  else throw new UsageError('--ssh-tunnel needs a way to sign in: --ssh-key FILE, a running ssh-agent ($SSH_AUTH_SOCK), or $RAFTDECK_SSH_PASSWORD')
  const hops: SshHopSpec[] = parseTunnelFlag(spec).map((h) => {
    const found = lookupKnownHosts(text, h.host, h.port)
    return { ...h, auth, trust: { kind: 'known-hosts', file: knownHosts, trusted: found.trusted, revoked: found.revoked } }
  })
  return new SshTunnel(hops, { ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}) })
}

/** --user NAME[:PASSWORD], with the password from $ETCDCTL_PASSWORD when it is not given, as etcdctl does. */
export function authFromFlags(values: OptionValues): { username: string; password: string } | undefined {
  const user = values.user
  if (typeof user !== 'string') return undefined
  const i = user.indexOf(':')
  return i >= 0 ? { username: user.slice(0, i), password: user.slice(i + 1) } : { username: user, password: process.env.ETCDCTL_PASSWORD ?? '' }
}

/** The TLS material the flags name, or undefined when neither an https endpoint nor a TLS flag asks for TLS. Throws TlsMaterialError. */
export async function tlsFromFlags(values: OptionValues, endpoints: string[]): Promise<TlsMaterial | undefined> {
  const str = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined)
  const wanted = endpoints.some((e) => e.startsWith('https://')) || Boolean(str('cacert') || str('cert') || str('key'))
  if (!wanted) return undefined
  return loadTlsMaterial({
    ...(str('cacert') ? { caFile: str('cacert')! } : {}),
    ...(str('cert') ? { certFile: str('cert')! } : {}),
    ...(str('key') ? { keyFile: str('key')! } : {}),
    ...(str('server-name') ? { serverName: str('server-name')! } : {}),
    ...(values['insecure-skip-tls-verify'] ? { insecureSkipVerify: true } : {}),
  })
}
