// Connecting a chain of SSH hops, stage by stage: the key, DNS and TCP to the first hop (or a
// forwarded channel through the previous hop), the host key, authentication. Every stage has its own
// timeout and names itself when it runs out; every failure is an SshError with the fix.

import { lookup } from 'node:dns/promises'
import { connect as netConnect, type Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import type { AgentAuthMethod, Client, ClientChannel, ConnectConfig, PasswordAuthMethod, PublicKeyAuthMethod } from 'ssh2'
import { formatMessage, isMsg, msg, type DoctorStep, type Msg } from '../../shared'
import type { Unsealer } from '../etcd/tlsMaterial'
import { hopLabel, loadAuth, type LoadedAuth, type SshHopSpec } from './credentials'
import { loadSsh2, type Ssh2 } from './lib'
import { SshError, stageTimeout, withStageTimeout, type SshStage } from './errors'
import { fingerprint, hostKeyFromBlob, knownHostsLine, signatureAlgorithms, type HostKey } from './hostKeys'

export type StepRecorder = (step: DoctorStep) => void

export interface ChainOptions {
  /** Per-stage timeout. */
  timeoutMs: number
  /** SSH keepalive interval; 0 or absent: none (the doctor). Three missed answers close the connection. */
  keepaliveIntervalMs?: number
  unseal?: Unsealer
  onStep?: StepRecorder
  /** Hears the host key each hop presented once it is accepted (hop index, key). */
  onHostKey?: (hop: number, key: HostKey) => void
}

/** ssh2's host key algorithms, minus ssh-dss; trusted key types are moved to the front. */
const HOST_KEY_ALGORITHMS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']

function hostKeyOrder(trusted: HostKey[]): string[] {
  const first = trusted.flatMap((k) => signatureAlgorithms(k.algorithm)).filter((a) => HOST_KEY_ALGORITHMS.includes(a))
  return [...new Set([...first, ...HOST_KEY_ALGORITHMS])]
}

class Stages {
  private t = performance.now()
  constructor(private readonly onStep?: StepRecorder) {}
  start(): void {
    this.t = performance.now()
  }
  done(name: SshStage, ok: boolean, note: string | Msg): void {
    const ms = Math.round(performance.now() - this.t)
    this.onStep?.(isMsg(note) ? { name, ok, ms, note: formatMessage(note), noteMsg: note } : { name, ok, ms, note })
    this.t = performance.now()
  }
}

const sameKey = (a: HostKey, b: HostKey) => a.algorithm === b.algorithm && a.blob.equals(b.blob)

/** null when the offered key is trusted, else the refusal with its explanation. */
export function checkHostKey(index: number, hop: SshHopSpec, offered: HostKey): SshError | null {
  const t = hop.trust
  const where = `${hop.host}:${hop.port}`
  const fp = fingerprint(offered.blob)
  const offer = { hop: index, host: hop.host, port: hop.port, algorithm: offered.algorithm, key: offered.blob.toString('base64'), fingerprint: fp }
  const sourceFile = t.kind === 'profile' ? null : t.file ?? 'known_hosts'
  const source = sourceFile ?? msg('conn.ssh.thisConnection')
  const key = `${offered.algorithm} ${fp}`
  if (t.revoked.some((k) => sameKey(k, offered)))
    return new SshError('ssh-host-key-revoked', 'host-key', msg('conn.ssh.revoked', { where, key, source }), msg('conn.ssh.revokedHint'), offer)
  if (t.trusted.some((k) => sameKey(k, offered))) return null
  const check = msg('conn.ssh.checkOnServer', { file: `/etc/ssh/ssh_host_${offered.algorithm === 'ssh-rsa' ? 'rsa' : offered.algorithm.startsWith('ecdsa') ? 'ecdsa' : 'ed25519'}_key.pub` })
  if (t.trusted.length === 0) {
    const fix = sourceFile === null ? msg('conn.ssh.unknownHintProfile', { check }) : msg('conn.ssh.unknownHintFile', { check, source: sourceFile, line: knownHostsLine(hop.host, hop.port, offered) })
    return new SshError('ssh-host-key-unknown', 'host-key', msg('conn.ssh.unknown', { where, key }), fix, offer)
  }
  const trusted = t.trusted.map((k) => ({ algorithm: k.algorithm, fingerprint: fingerprint(k.blob) }))
  const forget = sourceFile === null ? msg('conn.ssh.forgetProfile') : msg('conn.ssh.forgetFile', { command: `ssh-keygen -R '${hop.port === 22 ? hop.host : `[${hop.host}]:${hop.port}`}' -f ${sourceFile}` })
  return new SshError(
    'ssh-host-key-changed',
    'host-key',
    msg('conn.ssh.changed', { where, key, source, trusted: trusted.map((k) => `${k.algorithm} ${k.fingerprint}`).join(', ') }),
    msg('conn.ssh.changedHint', { check, forget }),
    { ...offer, trusted },
  )
}

/** Resolves and connects to the first hop. */
async function dialDirect(hop: SshHopSpec, opts: ChainOptions, stages: Stages): Promise<Socket> {
  const where = `${hop.host}:${hop.port}`
  let address: string
  try {
    address = (await withStageTimeout(lookup(hop.host), opts.timeoutMs, () => stageTimeout('ssh-dns', msg('conn.ssh.dnsTimeout', { host: hop.host }), opts.timeoutMs, msg('conn.ssh.dnsTimeoutHint')))).address
  } catch (err) {
    stages.done('ssh-dns', false, err instanceof SshError ? msg('conn.note.timeout') : String((err as NodeJS.ErrnoException).code))
    if (err instanceof SshError) throw err
    throw new SshError('ssh-dns', 'ssh-dns', msg('conn.ssh.dns', { host: hop.host, code: String((err as NodeJS.ErrnoException).code) }), msg('conn.ssh.dnsHint'))
  }
  stages.done('ssh-dns', true, `${hop.host} → ${address}`)
  const socket = netConnect({ host: address, port: hop.port })
  try {
    await withStageTimeout(
      new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve())
        socket.once('error', reject)
      }),
      opts.timeoutMs,
      () => stageTimeout('ssh-tcp', msg('conn.ssh.tcpTimeout', { where }), opts.timeoutMs, msg('conn.ssh.tcpTimeoutHint')),
      () => socket.destroy(),
    )
  } catch (err) {
    socket.destroy()
    if (err instanceof SshError) {
      stages.done('ssh-tcp', false, msg('conn.note.timeout'))
      throw err
    }
    const code = (err as NodeJS.ErrnoException).code
    stages.done('ssh-tcp', false, String(code))
    if (code === 'ECONNREFUSED') throw new SshError('ssh-connection-refused', 'ssh-tcp', msg('conn.ssh.refused', { where }), msg('conn.ssh.refusedHint'))
    throw new SshError('ssh-unreachable', 'ssh-tcp', msg('conn.ssh.unreachable', { where, code: String(code) }), msg('conn.ssh.unreachableHint'))
  }
  socket.removeAllListeners('error')
  stages.done('ssh-tcp', true, msg('conn.note.connected', { address: `${address}:${hop.port}` }))
  return socket
}

/** Why a forwarded channel could not be opened, in the doctor's words. */
export function forwardError(via: SshHopSpec, host: string, port: number, err: Error & { reason?: number }, stage: SshStage = 'forward'): SshError {
  const target = `${host}:${port}`
  const by = hopLabel(via)
  const desc = err.message.replace(/^\(SSH\) Channel open failure: /, '')
  if (err.reason === 1)
    return new SshError('forward-refused', stage, msg('conn.ssh.forwardProhibited', { by, target }), msg('conn.ssh.forwardProhibitedHint', { host: via.host }))
  if (err.reason === 2) {
    if (/refused/i.test(desc)) return new SshError('forward-failed', stage, msg('conn.ssh.forwardRefused', { by, target }), msg('conn.ssh.forwardRefusedHint', { target, host: via.host }))
    if (/name|resolve|not known/i.test(desc)) return new SshError('forward-failed', stage, msg('conn.ssh.forwardDns', { by, name: host, detail: desc }), msg('conn.ssh.forwardDnsHint', { host: via.host }))
    return new SshError('forward-failed', stage, msg('conn.ssh.forwardConnect', { by, target, detail: desc }), msg('conn.ssh.forwardConnectHint', { host: via.host, target, name: host, port: String(port) }))
  }
  if (/not connected|no response|closed/i.test(err.message))
    return new SshError('ssh-disconnected', stage, msg('conn.ssh.forwardClosed', { by, target }), msg('conn.ssh.forwardClosedHint'))
  return new SshError('forward-failed', stage, msg('conn.ssh.forwardOther', { by, target, detail: desc }), msg('conn.ssh.forwardOtherHint'))
}

/** Opens a direct-tcpip channel to host:port through an established hop. */
export function forwardThrough(client: Client, via: SshHopSpec, host: string, port: number, timeoutMs: number, stage: SshStage = 'forward'): Promise<ClientChannel> {
  let timedOut = false
  const work = new Promise<ClientChannel>((resolve, reject) => {
    try {
      client.forwardOut('127.0.0.1', 0, host, port, (err, channel) => {
        if (err) return reject(forwardError(via, host, port, err as Error & { reason?: number }, stage))
        if (timedOut) {
          channel.destroy()
          return
        }
        resolve(channel)
      })
    } catch (err) {
      reject(forwardError(via, host, port, err as Error, stage))
    }
  })
  return withStageTimeout(work, timeoutMs, () => stageTimeout(stage, msg('conn.ssh.forwardTimeout', { by: hopLabel(via), target: `${host}:${port}` }), timeoutMs, msg('conn.ssh.forwardTimeoutHint', { host: via.host, target: `${host}:${port}` })), () => {
    timedOut = true
  })
}

/** Exactly one method, the one chosen: the server's refusal then says which credential it refused. */
function authConfig(user: string, loaded: LoadedAuth): Partial<ConnectConfig> {
  let method: PublicKeyAuthMethod | AgentAuthMethod | PasswordAuthMethod
  if (loaded.privateKey) method = { type: 'publickey', username: user, key: loaded.privateKey }
  else if (loaded.agent) method = { type: 'agent', username: user, agent: loaded.agent }
  else method = { type: 'password', username: user, password: loaded.password ?? '' }
  return { authHandler: [method] }
}

function authFailure(hop: SshHopSpec, loaded: LoadedAuth): SshError {
  const by = hopLabel(hop)
  const user = hop.user
  if (loaded.privateKey) return new SshError('ssh-auth-failed', 'ssh-auth', msg('conn.ssh.authKey', { by, user, key: loaded.publicKey ?? '' }), msg('conn.ssh.authKeyHint', { user, host: hop.host }))
  if (loaded.agent) return new SshError('ssh-auth-failed', 'ssh-auth', msg('conn.ssh.authAgent', { by, user }), msg('conn.ssh.authAgentHint', { user, host: hop.host }))
  return new SshError('ssh-auth-failed', 'ssh-auth', msg('conn.ssh.authPassword', { by, user }), msg('conn.ssh.authPasswordHint'))
}

/** The SSH handshake over an open stream: host key, then authentication, each with its own timeout. */
function handshake(ssh2: Ssh2, sock: Duplex, index: number, hop: SshHopSpec, loaded: LoadedAuth, opts: ChainOptions, stages: Stages): Promise<Client> {
  const where = `${hop.host}:${hop.port}`
  return new Promise<Client>((resolve, reject) => {
    const client = new ssh2.Client()
    let stage: 'host-key' | 'ssh-auth' = 'host-key'
    let refusal: SshError | null = null
    let offered: HostKey | null = null
    let sawBytes = false
    let sawSsh = false
    let settled = false

    const notSsh = () => new SshError('ssh-not-ssh', 'host-key', msg('conn.ssh.notSsh', { where }), msg('conn.ssh.notSshHint'))
    const stageWord = () => msg(stage === 'host-key' ? 'conn.ssh.kex' : 'conn.ssh.login')
    const fail = (e: SshError) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      stages.done(stage, false, e.problem === 'ssh-timeout' ? msg('conn.note.timeout') : e.problem)
      client.on('error', () => undefined)
      client.end()
      sock.destroy()
      reject(e)
    }
    const onTimeout = () => {
      if (stage === 'ssh-auth') return fail(stageTimeout('ssh-auth', msg('conn.ssh.loginTimeout', { by: hopLabel(hop) }), opts.timeoutMs, msg('conn.ssh.loginTimeoutHint')))
      if (sawBytes && !sawSsh) return fail(notSsh())
      if (sawSsh) fail(stageTimeout('host-key', msg('conn.ssh.kexTimeout', { where }), opts.timeoutMs, msg('conn.ssh.kexTimeoutHint')))
      else fail(stageTimeout('host-key', msg('conn.ssh.greetingTimeout', { where }), opts.timeoutMs, msg('conn.ssh.greetingTimeoutHint', { where })))
    }
    let timer = setTimeout(onTimeout, opts.timeoutMs)

    const sniff = (chunk: Buffer) => {
      sawBytes = true
      if (/(^|\n)SSH-\d/.test(chunk.toString('latin1', 0, Math.min(chunk.length, 512)))) {
        sawSsh = true
        sock.removeListener('data', sniff)
      }
    }

    client.on('handshake', () => {
      const key = offered ? `${offered.algorithm} ${fingerprint(offered.blob)}` : ''
      const note = !offered ? msg('conn.note.hostKeyVerified') : hop.trust.kind === 'profile' ? msg('conn.note.hostKeyConfirmed', { key }) : msg('conn.note.hostKeyIn', { key, file: hop.trust.file ?? 'known_hosts' })
      stages.done('host-key', true, note)
      stage = 'ssh-auth'
      clearTimeout(timer)
      timer = setTimeout(onTimeout, opts.timeoutMs)
    })
    client.on('ready', () => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      stages.done('ssh-auth', true, msg('conn.note.sshSignedIn', { user: hop.user, how: loaded.describe }))
      resolve(client)
    })
    client.on('error', (err: Error & { level?: string }) => {
      if (refusal) return fail(refusal)
      if (err.level === 'client-authentication') return fail(authFailure(hop, loaded))
      if (/no matching/i.test(err.message))
        return fail(new SshError('ssh-handshake', 'host-key', msg('conn.ssh.noAlgorithm', { where, detail: err.message }), msg('conn.ssh.noAlgorithmHint')))
      if (!sawSsh) return fail(notSsh())
      if (/keepalive/i.test(err.message)) return fail(new SshError('ssh-disconnected', stage, msg('conn.ssh.stoppedAnswering', { where, stage: stageWord() }), msg('conn.ssh.stoppedAnsweringHint')))
      fail(new SshError(stage === 'host-key' ? 'ssh-handshake' : 'ssh-auth-failed', stage, msg('conn.ssh.failedDuring', { where, stage: stageWord(), detail: err.message }), msg('conn.ssh.failedDuringHint')))
    })
    client.on('close', () => {
      if (refusal) return fail(refusal)
      if (!sawSsh) return fail(sawBytes ? notSsh() : new SshError('ssh-not-ssh', 'host-key', msg('conn.ssh.closedSilently', { where }), msg('conn.ssh.closedSilentlyHint', { where })))
      fail(new SshError('ssh-disconnected', stage, msg('conn.ssh.closedDuring', { where, stage: stageWord() }), msg('conn.ssh.closedDuringHint')))
    })

    client.connect({
      sock: sock as unknown as ConnectConfig['sock'],
      username: hop.user,
      ...authConfig(hop.user, loaded),
      tryKeyboard: false,
      algorithms: { serverHostKey: hostKeyOrder(hop.trust.trusted) as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] },
      hostVerifier: (blob: Buffer, verify: (ok: boolean) => void) => {
        offered = hostKeyFromBlob(blob)
        refusal = checkHostKey(index, hop, offered)
        if (refusal === null) opts.onHostKey?.(index, offered)
        verify(refusal === null)
      },
      // Our own per-stage timers decide; this is only a backstop.
      readyTimeout: opts.timeoutMs * 3 + 5000,
      keepaliveInterval: opts.keepaliveIntervalMs ?? 0,
      keepaliveCountMax: 3,
    })
    sock.on('data', sniff)
  })
}

/** Connects every hop in order; on failure, closes what was opened and throws the first SshError. */
export async function connectChain(hops: SshHopSpec[], opts: ChainOptions): Promise<Client[]> {
  const clients: Client[] = []
  const stages = new Stages(opts.onStep)
  try {
    for (const [i, hop] of hops.entries()) {
      stages.start()
      let loaded: LoadedAuth
      try {
        loaded = await loadAuth(hop, { timeoutMs: opts.timeoutMs, ...(opts.unseal ? { unseal: opts.unseal } : {}) })
      } catch (err) {
        if (err instanceof SshError) stages.done('ssh-files', false, err.problem)
        throw err
      }
      stages.done('ssh-files', true, msg('conn.note.hopAuth', { hop: hopLabel(hop), how: loaded.describe }))
      let sock: Duplex
      if (i === 0) sock = await dialDirect(hop, opts, stages)
      else {
        const via = hops[i - 1]!
        try {
          sock = await forwardThrough(clients[i - 1]!, via, hop.host, hop.port, opts.timeoutMs, 'ssh-tcp')
        } catch (err) {
          stages.done('ssh-tcp', false, err instanceof SshError ? err.problem : msg('conn.note.failed'))
          throw err
        }
        stages.done('ssh-tcp', true, msg('conn.note.reachedThrough', { address: `${hop.host}:${hop.port}`, via: hopLabel(via) }))
      }
      clients.push(await handshake(await loadSsh2(), sock, i, hop, loaded, opts, stages))
    }
    return clients
  } catch (err) {
    for (const c of clients.reverse()) c.end()
    throw err
  }
}
