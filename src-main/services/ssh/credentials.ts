// How one hop authenticates: a private key file (OpenSSH or PEM, optionally with a passphrase), the
// SSH agent, or a password. Everything that can be checked without the network is checked here, so
// an unreadable key or a wrong passphrase is one clear message before any connection is made.

import { existsSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { readFile } from 'node:fs/promises'
import type { ParsedKey } from 'ssh2'
import { msg, type Msg } from '../../shared'
import { SEALED_SUFFIX, type Unsealer } from '../etcd/tlsMaterial'
import { SshError } from './errors'
import { loadSsh2 } from './lib'
import { fingerprint, type HostKey } from './hostKeys'

export type SshAuthSpec =
  | { kind: 'key'; keyFile: string; passphrase?: string }
  /** socket: the agent's socket; default $SSH_AUTH_SOCK (Pageant on Windows). */
  | { kind: 'agent'; socket?: string }
  | { kind: 'password'; password?: string }

/** Which host keys a hop trusts, and where that trust comes from (named in messages). */
export interface HostKeyTrust {
  trusted: HostKey[]
  revoked: HostKey[]
  /** 'profile': keys confirmed in the connection profile; 'known-hosts': an OpenSSH known_hosts file. */
  kind: 'profile' | 'known-hosts'
  /** The known_hosts file, for kind 'known-hosts'. */
  file?: string
}

export interface SshHopSpec {
  host: string
  port: number
  user: string
  auth: SshAuthSpec
  trust: HostKeyTrust
}

export const hopLabel = (h: Pick<SshHopSpec, 'host' | 'port' | 'user'>): string => `${h.user}@${h.host.includes(':') ? `[${h.host}]` : h.host}:${h.port}`

/** What ssh2 needs to authenticate, plus a description for the doctor. */
export interface LoadedAuth {
  /** The private key, parsed (and decrypted) once. */
  privateKey?: ParsedKey
  agent?: string
  password?: string
  /** 'key ssh-ed25519 SHA256:…', 'agent (2 keys)', 'password'. */
  describe: Msg
  /** The public key's fingerprint (key auth), so a refusal can say which key to authorize. */
  publicKey?: string
}

const PASSPHRASE_FIX = msg('conn.ssh.passphraseNeededHint')

/** ~/ means the home folder, as in ssh. */
export function expandHome(file: string): string {
  return file === '~' || file.startsWith('~/') ? path.join(os.homedir(), file.slice(1)) : file
}

async function loadKey(auth: Extract<SshAuthSpec, { kind: 'key' }>, unseal?: Unsealer): Promise<LoadedAuth> {
  const file = expandHome(auth.keyFile)
  let body: Buffer
  try {
    body = await readFile(file)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const why = code === 'ENOENT' ? msg('conn.why.noSuchFile') : code === 'EACCES' ? msg('conn.why.permissionDenied') : code === 'EISDIR' ? msg('conn.why.isFolder') : String(code)
    throw new SshError('ssh-key-unreadable', 'ssh-files', msg('conn.ssh.keyUnreadable', { file, why }), msg('conn.ssh.keyUnreadableHint'))
  }
  if (file.endsWith(SEALED_SUFFIX)) {
    if (!unseal) throw new SshError('ssh-key-unreadable', 'ssh-files', msg('conn.ssh.keySealed', { file }), msg('conn.ssh.keySealedHint'))
    body = Buffer.from(unseal(body.toString('utf8')))
  }
  const text = body.toString('utf8')
  if (/^(ssh-|ecdsa-|sk-)[\w@.-]+ AAAA/.test(text.trim()))
    throw new SshError('ssh-key-invalid', 'ssh-files', msg('conn.ssh.publicKey', { file }), msg('conn.ssh.publicKeyHint'))
  const parsed = (await loadSsh2()).utils.parseKey(body, auth.passphrase ?? undefined)
  if (parsed instanceof Error) {
    const m = parsed.message
    if (/no passphrase given/i.test(m))
      throw new SshError('ssh-key-passphrase-needed', 'ssh-files', msg('conn.ssh.passphraseNeeded', { file }), PASSPHRASE_FIX)
    if (/bad passphrase|decrypt|integrity check/i.test(m))
      throw new SshError('ssh-key-passphrase-wrong', 'ssh-files', msg('conn.ssh.passphraseWrong', { file }), msg('conn.ssh.passphraseWrongHint', { file }))
    throw new SshError('ssh-key-invalid', 'ssh-files', msg('conn.ssh.keyInvalid', { file, detail: m }), msg('conn.ssh.keyInvalidHint'))
  }
  const key = Array.isArray(parsed) ? parsed[0]! : parsed
  const publicKey = fingerprint(key.getPublicSSH())
  return { privateKey: key, describe: msg('conn.note.authKey', { type: key.type, publicKey }), publicKey }
}

function agentSocket(auth: Extract<SshAuthSpec, { kind: 'agent' }>): string | null {
  if (auth.socket) return auth.socket
  if (process.env.SSH_AUTH_SOCK) return process.env.SSH_AUTH_SOCK
  return process.platform === 'win32' ? 'pageant' : null
}

async function loadAgent(auth: Extract<SshAuthSpec, { kind: 'agent' }>, timeoutMs: number): Promise<LoadedAuth> {
  const socket = agentSocket(auth)
  const fix = msg('conn.ssh.agentHint')
  if (!socket) throw new SshError('ssh-agent-unavailable', 'ssh-files', msg('conn.ssh.noAgent'), fix)
  if (socket !== 'pageant' && !existsSync(socket)) throw new SshError('ssh-agent-unavailable', 'ssh-files', msg('conn.ssh.agentGone', { socket }), fix)
  const agent = (await loadSsh2()).createAgent(socket)
  const keys = await new Promise<unknown[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new SshError('ssh-timeout', 'ssh-files', msg('conn.ssh.agentTimeout', { socket, ms: String(timeoutMs) }), fix)), timeoutMs)
    agent.getIdentities((err, list) => {
      clearTimeout(timer)
      if (err) reject(new SshError('ssh-agent-unavailable', 'ssh-files', msg('conn.ssh.agentUnusable', { socket, detail: err.message }), fix))
      else resolve(list ?? [])
    })
  })
  if (keys.length === 0) throw new SshError('ssh-agent-unavailable', 'ssh-files', msg('conn.ssh.agentEmpty', { socket }), msg('conn.ssh.agentEmptyHint'))
  return { agent: socket, describe: msg('conn.note.authAgent', { count: keys.length }) }
}

/** Loads and checks the hop's credentials; every failure is an SshError of stage 'ssh-files'. */
export async function loadAuth(hop: SshHopSpec, opts: { unseal?: Unsealer; timeoutMs: number }): Promise<LoadedAuth> {
  const a = hop.auth
  if (a.kind === 'key') return loadKey(a, opts.unseal)
  if (a.kind === 'agent') return loadAgent(a, opts.timeoutMs)
  if (!a.password) throw new SshError('ssh-password-missing', 'ssh-files', msg('conn.ssh.noPassword', { hop: hopLabel(hop) }), msg('conn.ssh.noPasswordHint'))
  return { password: a.password, describe: msg('conn.note.authPassword') }
}
