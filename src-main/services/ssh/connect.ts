// Connecting a chain of SSH hops, stage by stage: the key, DNS and TCP to the first hop (or a
// forwarded channel through the previous hop), the host key, authentication. Every stage has its own
// timeout and names itself when it runs out; every failure is an SshError with the fix.

import { lookup } from 'node:dns/promises'
import { connect as netConnect, type Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import type { AgentAuthMethod, Client, ClientChannel, ConnectConfig, PasswordAuthMethod, PublicKeyAuthMethod } from 'ssh2'
import type { DoctorStep } from '../../shared'
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
  done(name: SshStage, ok: boolean, note: string): void {
    this.onStep?.({ name, ok, ms: Math.round(performance.now() - this.t), note })
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
  const source = t.kind === 'profile' ? 'this connection' : t.file ?? 'known_hosts'
  if (t.revoked.some((k) => sameKey(k, offered)))
    return new SshError('ssh-host-key-revoked', 'host-key', `The host key of ${where} (${offered.algorithm} ${fp}) is marked @revoked in ${source}. Raftdeck refused to connect.`, 'Do not use this server until its administrator has replaced the key; then update known_hosts.', offer)
  if (t.trusted.some((k) => sameKey(k, offered))) return null
  const checkOnServer = `on the server: ssh-keygen -lf /etc/ssh/ssh_host_${offered.algorithm === 'ssh-rsa' ? 'rsa' : offered.algorithm.startsWith('ecdsa') ? 'ecdsa' : 'ed25519'}_key.pub`
  if (t.trusted.length === 0) {
    const fix =
      t.kind === 'profile'
        ? `Compare this fingerprint with the server's own (${checkOnServer}), then confirm it with Test connection in the connection's settings.`
        : `Compare this fingerprint with the server's own (${checkOnServer}); if it matches, add this line to ${source}: ${knownHostsLine(hop.host, hop.port, offered)}`
    return new SshError('ssh-host-key-unknown', 'host-key', `The host key of ${where} is not known yet: ${offered.algorithm} ${fp}.`, fix, offer)
  }
  const trusted = t.trusted.map((k) => ({ algorithm: k.algorithm, fingerprint: fingerprint(k.blob) }))
  const forget = t.kind === 'profile' ? "forget the stored key in the connection's SSH settings" : `remove the old entry (ssh-keygen -R '${hop.port === 22 ? hop.host : `[${hop.host}]:${hop.port}`}' -f ${source})`
  return new SshError(
    'ssh-host-key-changed',
    'host-key',
    `THE HOST KEY OF ${where} HAS CHANGED. It now offers ${offered.algorithm} ${fp}, but ${source} trusts ${trusted.map((k) => `${k.algorithm} ${k.fingerprint}`).join(', ')}. Raftdeck refused to connect.`,
    `Someone may be intercepting the connection (man in the middle), or the server was reinstalled or its keys were regenerated. Ask the server's administrator for its current fingerprint (${checkOnServer}). Only if it matches the new one, ${forget} and confirm the new key.`,
    { ...offer, trusted },
  )
}

/** Resolves and connects to the first hop. */
async function dialDirect(hop: SshHopSpec, opts: ChainOptions, stages: Stages): Promise<Socket> {
  const where = `${hop.host}:${hop.port}`
  let address: string
  try {
    address = (await withStageTimeout(lookup(hop.host), opts.timeoutMs, () => stageTimeout('ssh-dns', `resolving ${hop.host}`, opts.timeoutMs, 'Check the DNS servers of this machine, or use the bastion\'s IP address.'))).address
  } catch (err) {
    stages.done('ssh-dns', false, err instanceof SshError ? 'timeout' : String((err as NodeJS.ErrnoException).code))
    if (err instanceof SshError) throw err
    throw new SshError('ssh-dns', 'ssh-dns', `The bastion's name ${hop.host} cannot be resolved (${(err as NodeJS.ErrnoException).code}).`, 'Check the spelling of the host, or use its IP address; on this machine, check /etc/hosts and DNS (a VPN may be needed).')
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
      () => stageTimeout('ssh-tcp', `connecting to ${where}`, opts.timeoutMs, 'A firewall may drop the traffic, or the host is down. Check the route to the bastion, the port, and any VPN.'),
      () => socket.destroy(),
    )
  } catch (err) {
    socket.destroy()
    if (err instanceof SshError) {
      stages.done('ssh-tcp', false, 'timeout')
      throw err
    }
    const code = (err as NodeJS.ErrnoException).code
    stages.done('ssh-tcp', false, String(code))
    if (code === 'ECONNREFUSED') throw new SshError('ssh-connection-refused', 'ssh-tcp', `Nothing accepts SSH connections on ${where} (connection refused).`, `Check the bastion's SSH port (22 unless configured otherwise) and that sshd runs there.`)
    throw new SshError('ssh-unreachable', 'ssh-tcp', `Cannot reach the bastion ${where} (${code}).`, 'Check the network route to the bastion (VPN, firewall, security groups).')
  }
  socket.removeAllListeners('error')
  stages.done('ssh-tcp', true, `connected to ${address}:${hop.port}`)
  return socket
}

/** Why a forwarded channel could not be opened, in the doctor's words. */
export function forwardError(via: SshHopSpec, host: string, port: number, err: Error & { reason?: number }, stage: SshStage = 'forward'): SshError {
  const target = `${host}:${port}`
  const by = hopLabel(via)
  const desc = err.message.replace(/^\(SSH\) Channel open failure: /, '')
  if (err.reason === 1)
    return new SshError(
      'forward-refused',
      stage,
      `${by} refused to forward to ${target} (administratively prohibited).`,
      `TCP forwarding is turned off for this user on ${via.host}: set AllowTcpForwarding yes (or local) in its sshd_config and check PermitOpen and the authorized_keys options (restrict, no-port-forwarding, permitopen), then reload sshd.`,
    )
  if (err.reason === 2) {
    if (/refused/i.test(desc))
      return new SshError('forward-failed', stage, `${by} could not connect to ${target}: connection refused.`, `Nothing listens on ${target} as seen from ${via.host}: check the port and the address the service listens on (etcd's --listen-client-urls).`)
    if (/name|resolve|not known/i.test(desc))
      return new SshError('forward-failed', stage, `${by} cannot resolve ${host} (${desc}).`, `Use a name or address that ${via.host} can resolve (the tunnel resolves names on the SSH server, not here).`)
    return new SshError('forward-failed', stage, `${by} could not connect to ${target}: ${desc}.`, `Check from ${via.host} that ${target} is reachable (for example: nc -vz ${host} ${port}).`)
  }
  if (/not connected|no response|closed/i.test(err.message))
    return new SshError('ssh-disconnected', stage, `The SSH connection to ${by} closed while opening a channel to ${target}.`, 'Retry; if it keeps happening, check the server log (MaxSessions, idle timeouts).')
  return new SshError('forward-failed', stage, `${by} could not open a channel to ${target}: ${desc}.`, 'Check the SSH server log for the reason.')
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
  return withStageTimeout(work, timeoutMs, () => stageTimeout(stage, `${hopLabel(via)} opening a channel to ${host}:${port}`, timeoutMs, `${via.host} did not answer the forwarding request; ${host}:${port} may be filtered by a firewall on its side.`), () => {
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
  const who = `${hopLabel(hop)} refused the login as ${hop.user}`
  if (loaded.privateKey)
    return new SshError('ssh-auth-failed', 'ssh-auth', `${who} with the key ${loaded.publicKey}.`, `Add that key's public half to ~${hop.user}/.ssh/authorized_keys on ${hop.host}, or check the user name and the key file. The server's log (journalctl -u ssh) says why it refused.`)
  if (loaded.agent)
    return new SshError('ssh-auth-failed', 'ssh-auth', `${who}: none of the SSH agent's keys is accepted.`, `ssh-add -l lists the agent's keys; add the right one, or authorize its public key in ~${hop.user}/.ssh/authorized_keys on ${hop.host}.`)
  return new SshError('ssh-auth-failed', 'ssh-auth', `${who} with the password given.`, `Check the user name and password; the server may also refuse passwords altogether (PasswordAuthentication no), then use a key.`)
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

    const notSsh = () => new SshError('ssh-not-ssh', 'host-key', `${where} does not speak SSH.`, 'Check the port: it must be the SSH server of the bastion (22 unless configured otherwise), not etcd or another service.')
    const fail = (e: SshError) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      stages.done(stage, false, e.problem === 'ssh-timeout' ? 'timeout' : e.problem)
      client.on('error', () => undefined)
      client.end()
      sock.destroy()
      reject(e)
    }
    const onTimeout = () => {
      if (stage === 'ssh-auth') return fail(stageTimeout('ssh-auth', `${hopLabel(hop)} did not answer the login`, opts.timeoutMs, 'The server is slow to authenticate: check its log for slow PAM, DNS (UseDNS) or LDAP lookups.'))
      if (sawBytes && !sawSsh) return fail(notSsh())
      fail(stageTimeout('host-key', sawSsh ? `${where} did not finish the key exchange` : `no SSH greeting from ${where}`, opts.timeoutMs, sawSsh ? 'The server accepted the connection but stalled; check its load and log.' : `Check that ${where} is an SSH server (22 is the usual port) and that nothing in between holds the connection.`))
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
      const note = offered ? `${offered.algorithm} ${fingerprint(offered.blob)} ${hop.trust.kind === 'profile' ? 'confirmed in this connection' : `in ${hop.trust.file ?? 'known_hosts'}`}` : 'verified'
      stages.done('host-key', true, note)
      stage = 'ssh-auth'
      clearTimeout(timer)
      timer = setTimeout(onTimeout, opts.timeoutMs)
    })
    client.on('ready', () => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      stages.done('ssh-auth', true, `${hop.user} signed in (${loaded.describe})`)
      resolve(client)
    })
    client.on('error', (err: Error & { level?: string }) => {
      if (refusal) return fail(refusal)
      if (err.level === 'client-authentication') return fail(authFailure(hop, loaded))
      if (/no matching/i.test(err.message))
        return fail(new SshError('ssh-handshake', 'host-key', `${where} and Raftdeck have no SSH algorithm in common (${err.message}).`, 'The server offers only algorithms Raftdeck does not use (a very old or very restricted sshd). Enable a modern one on the server (curve25519-sha256, ssh-ed25519, aes128-gcm@openssh.com) or upgrade OpenSSH.'))
      if (!sawSsh) return fail(notSsh())
      if (/keepalive/i.test(err.message)) return fail(new SshError('ssh-disconnected', stage, `${where} stopped answering during the ${stage === 'host-key' ? 'key exchange' : 'login'}.`, 'Check the network path to the server.'))
      fail(new SshError(stage === 'host-key' ? 'ssh-handshake' : 'ssh-auth-failed', stage, `SSH to ${where} failed during the ${stage === 'host-key' ? 'key exchange' : 'login'}: ${err.message}.`, "Check the server's log (journalctl -u ssh) for the reason."))
    })
    client.on('close', () => {
      if (refusal) return fail(refusal)
      if (!sawSsh) return fail(sawBytes ? notSsh() : new SshError('ssh-not-ssh', 'host-key', `${where} closed the connection without speaking SSH.`, `Check that ${where} is an SSH server and that this machine may connect to it (sshd's AllowUsers/DenyUsers, MaxStartups, TCP wrappers, fail2ban).`))
      fail(new SshError('ssh-disconnected', stage, `${where} closed the connection during the ${stage === 'host-key' ? 'key exchange' : 'login'}.`, "Check the server's log (journalctl -u ssh): MaxStartups, AllowUsers/DenyUsers or a ban may refuse this client."))
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
      stages.done('ssh-files', true, `${hopLabel(hop)}: ${loaded.describe}`)
      let sock: Duplex
      if (i === 0) sock = await dialDirect(hop, opts, stages)
      else {
        const via = hops[i - 1]!
        try {
          sock = await forwardThrough(clients[i - 1]!, via, hop.host, hop.port, opts.timeoutMs, 'ssh-tcp')
        } catch (err) {
          stages.done('ssh-tcp', false, err instanceof SshError ? err.problem : 'failed')
          throw err
        }
        stages.done('ssh-tcp', true, `${hop.host}:${hop.port} reached through ${hopLabel(via)}`)
      }
      clients.push(await handshake(await loadSsh2(), sock, i, hop, loaded, opts, stages))
    }
    return clients
  } catch (err) {
    for (const c of clients.reverse()) c.end()
    throw err
  }
}
