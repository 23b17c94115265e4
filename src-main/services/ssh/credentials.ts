// How one hop authenticates: a private key file (OpenSSH or PEM, optionally with a passphrase), the
// SSH agent, or a password. Everything that can be checked without the network is checked here, so
// an unreadable key or a wrong passphrase is one clear message before any connection is made.

import { existsSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { readFile } from 'node:fs/promises'
import type { ParsedKey } from 'ssh2'
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
  describe: string
  /** The public key's fingerprint (key auth), so a refusal can say which key to authorize. */
  publicKey?: string
}

const PASSPHRASE_FIX = "Enter the key's passphrase in the connection (for the raftdeck command: $RAFTDECK_SSH_PASSPHRASE), or add the key to ssh-agent (ssh-add KEY) and use agent authentication."

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
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a folder' : String(code)
    throw new SshError('ssh-key-unreadable', 'ssh-files', `Cannot read the SSH key file ${file} (${why}).`, 'Check the path of the private key; it must be readable by the user running Raftdeck (chmod 600, owned by that user).')
  }
  if (file.endsWith(SEALED_SUFFIX)) {
    if (!unseal) throw new SshError('ssh-key-unreadable', 'ssh-files', `The SSH key file ${file} is sealed by Raftdeck and cannot be opened here.`, 'Import the key again.')
    body = Buffer.from(unseal(body.toString('utf8')))
  }
  const text = body.toString('utf8')
  if (/^(ssh-|ecdsa-|sk-)[\w@.-]+ AAAA/.test(text.trim()))
    throw new SshError('ssh-key-invalid', 'ssh-files', `The SSH key file ${file} holds a public key.`, 'Point at the private key (for example ~/.ssh/id_ed25519, not id_ed25519.pub).')
  const parsed = (await loadSsh2()).utils.parseKey(body, auth.passphrase ?? undefined)
  if (parsed instanceof Error) {
    const m = parsed.message
    if (/no passphrase given/i.test(m))
      throw new SshError('ssh-key-passphrase-needed', 'ssh-files', `The SSH key ${file} is protected by a passphrase, and none was given.`, PASSPHRASE_FIX)
    if (/bad passphrase|decrypt|integrity check/i.test(m))
      throw new SshError('ssh-key-passphrase-wrong', 'ssh-files', `The passphrase does not open the SSH key ${file}.`, `Check the passphrase (ssh-keygen -y -f ${file} asks for it and prints the public key when it is right).`)
    throw new SshError('ssh-key-invalid', 'ssh-files', `The SSH key file ${file} cannot be used: ${m}.`, 'Use a private key in OpenSSH format (BEGIN OPENSSH PRIVATE KEY) or PEM (PKCS#1, PKCS#8, SEC1): ed25519, ECDSA or RSA.')
  }
  const key = Array.isArray(parsed) ? parsed[0]! : parsed
  const publicKey = fingerprint(key.getPublicSSH())
  return { privateKey: key, describe: `key ${key.type} ${publicKey}`, publicKey }
}

function agentSocket(auth: Extract<SshAuthSpec, { kind: 'agent' }>): string | null {
  if (auth.socket) return auth.socket
  if (process.env.SSH_AUTH_SOCK) return process.env.SSH_AUTH_SOCK
  return process.platform === 'win32' ? 'pageant' : null
}

async function loadAgent(auth: Extract<SshAuthSpec, { kind: 'agent' }>, timeoutMs: number): Promise<LoadedAuth> {
  const socket = agentSocket(auth)
  const fix = 'Start ssh-agent and add your key (eval $(ssh-agent); ssh-add ~/.ssh/id_ed25519), then start Raftdeck from that session; or use a key file.'
  if (!socket) throw new SshError('ssh-agent-unavailable', 'ssh-files', 'Agent authentication was chosen, but no SSH agent is available to Raftdeck (SSH_AUTH_SOCK is not set).', fix)
  if (socket !== 'pageant' && !existsSync(socket)) throw new SshError('ssh-agent-unavailable', 'ssh-files', `The SSH agent socket ${socket} does not exist (the agent is not running).`, fix)
  const agent = (await loadSsh2()).createAgent(socket)
  const keys = await new Promise<unknown[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new SshError('ssh-timeout', 'ssh-files', `The SSH agent at ${socket} did not answer within ${timeoutMs} ms.`, fix)), timeoutMs)
    agent.getIdentities((err, list) => {
      clearTimeout(timer)
      if (err) reject(new SshError('ssh-agent-unavailable', 'ssh-files', `The SSH agent at ${socket} cannot be used: ${err.message}.`, fix))
      else resolve(list ?? [])
    })
  })
  if (keys.length === 0) throw new SshError('ssh-agent-unavailable', 'ssh-files', `The SSH agent at ${socket} holds no keys.`, 'Add the key the bastion accepts: ssh-add ~/.ssh/id_ed25519.')
  return { agent: socket, describe: `agent (${keys.length} key${keys.length === 1 ? '' : 's'})` }
}

/** Loads and checks the hop's credentials; every failure is an SshError of stage 'ssh-files'. */
export async function loadAuth(hop: SshHopSpec, opts: { unseal?: Unsealer; timeoutMs: number }): Promise<LoadedAuth> {
  const a = hop.auth
  if (a.kind === 'key') return loadKey(a, opts.unseal)
  if (a.kind === 'agent') return loadAgent(a, opts.timeoutMs)
  if (!a.password) throw new SshError('ssh-password-missing', 'ssh-files', `Password authentication was chosen for ${hopLabel(hop)}, but no password is stored.`, 'Enter the SSH password (for the raftdeck command: $RAFTDECK_SSH_PASSWORD), or use a key.')
  return { password: a.password, describe: 'password' }
}
