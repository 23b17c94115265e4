// SSH tunnels against real components: Debian's OpenSSH server (started here on loopback with
// throwaway host keys and user keys) forwarding to a real etcd 3.4 that requires TLS client
// certificates. Covers the doctor's SSH stage and every bad input it must explain, first-use host
// key confirmation, a jump through two sshd instances, the app's client (browse, watch) through a
// saved profile, a tunnel killed mid-watch, and the raftdeck command (doctor, snapshot save).

import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, it } from 'vitest'
import { createServices, type Services } from '../../../src-main/services'
import type { ConnectionInput, DoctorReport, SshHopInput, SshHostKeyOffer, Target } from '../../../src-main/shared'
import { SshTunnel } from '../../../src-main/services/ssh/tunnel'
import { snapshotStatus } from '../../../src-main/bbolt/index'
import { makePki, type Pki } from '../../support/certs'
import { startEtcdCluster, type EtcdCluster } from '../../support/etcd'
import { makeSshKey, startSshd, type Sshd, type SshKeyPair } from '../../support/sshd'
import { raftdeckArgv, repoRoot } from '../../support/raftdeck'
import { b64, recordingSink } from '../keys/support'
import type { KeyWatchBatch } from '../../../src-main/shared/api/keys'

const run = promisify(execFile)

let tmp: string
let pki: Pki
let cluster: EtcdCluster
let services: Services
let userKey: SshKeyPair // ed25519 with a passphrase
let rsaKey: SshKeyPair // RSA without a passphrase (PEM-era key type, OpenSSH file)
let strangerKey: SshKeyPair // not authorized anywhere
let bastion: Sshd
let inner: Sshd // second hop of the jump
let noForward: Sshd

const PASSPHRASE = 'correct horse battery staple'

const hop = (s: Sshd, over: Partial<SshHopInput> = {}): SshHopInput => ({ host: s.host, port: s.port, user: s.user, auth: 'key', keyFile: userKey.privateKey, passphrase: PASSPHRASE, ...over })
const trusted = (s: Sshd, offer: SshHostKeyOffer | undefined = undefined) => {
  const [algorithm, key] = s.hostKey.publicLine.split(' ') as [string, string]
  return { algorithm: offer?.algorithm ?? algorithm, key: offer?.key ?? key, fingerprint: s.hostKey.fingerprint, trustedAt: Date.now() }
}

const input = (hops: SshHopInput[], over: Partial<ConnectionInput> = {}): ConnectionInput => ({
  name: 'through-ssh',
  endpoints: cluster.endpoints,
  tls: { caFile: pki.ca, certFile: pki.clientCert, keyFile: pki.clientKey },
  ssh: { hops },
  ...over,
})

const test = (i: ConnectionInput): Promise<DoctorReport> => services.handlers['connections/test']({ input: i })

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'raftdeck-ssh-'))
  pki = makePki(path.join(tmp, 'pki'))
  cluster = await startEtcdCluster({ pki, size: 1 })
  const keys = path.join(tmp, 'keys')
  userKey = makeSshKey(keys, 'user', { passphrase: PASSPHRASE })
  rsaKey = makeSshKey(keys, 'user-rsa', { type: 'rsa' })
  strangerKey = makeSshKey(keys, 'stranger')
  const authorized = [userKey.publicLine, rsaKey.publicLine]
  bastion = await startSshd(path.join(tmp, 'bastion'), { authorizedKeys: authorized })
  inner = await startSshd(path.join(tmp, 'inner'), { authorizedKeys: authorized, hostKeyType: 'ecdsa' })
  noForward = await startSshd(path.join(tmp, 'noforward'), { authorizedKeys: authorized, allowTcpForwarding: false })
  services = createServices({ dataDir: path.join(tmp, 'data'), shell: 'browser', version: 'test' })
  return async () => {
    await services.dispose()
    await Promise.all([bastion, inner, noForward].map((s) => s?.stop()))
    await cluster.stop()
    rmSync(tmp, { recursive: true, force: true })
  }
})

describe('the doctor through an SSH tunnel', () => {
  it('asks to confirm an unknown host key first, then passes with a passphrase-protected key', async () => {
    const first = await test(input([hop(bastion)]))
    expect(first.ok).toBe(false)
    expect(first.verdicts).toEqual([])
    expect(first.tunnel?.problem).toBe('ssh-host-key-unknown')
    expect(first.tunnel?.stage).toBe('host-key')
    // The fingerprint shown is the one ssh-keygen prints for the server's key.
    expect(first.tunnel?.hostKey?.fingerprint).toBe(bastion.hostKey.fingerprint)
    expect(first.tunnel?.message).toContain(bastion.hostKey.fingerprint)
    expect(first.tunnel?.steps.map((s) => s.name)).toEqual(['ssh-files', 'ssh-dns', 'ssh-tcp', 'host-key'])

    const r = await test(input([hop(bastion, { hostKey: trusted(bastion, first.tunnel!.hostKey) })]))
    expect(r.tunnel?.status).toBe('ok')
    expect(r.tunnel?.steps.map((s) => [s.name, s.ok])).toEqual([
      ['ssh-files', true],
      ['ssh-dns', true],
      ['ssh-tcp', true],
      ['host-key', true],
      ['ssh-auth', true],
    ])
    expect(r.ok).toBe(true)
    expect(r.verdicts[0]!.steps.map((s) => s.name)).toEqual(['forward', 'tls', 'etcd'])
    expect(r.verdicts[0]!.details.version).toBe('3.4.23')
    // The server certificate was verified against the endpoint's own address through the tunnel.
    expect(r.verdicts[0]!.steps[1]!.note).toContain('verified 127.0.0.1')
    expect(r.certificates?.map((c) => c.role).sort()).toEqual(['ca', 'client', 'server'])
    // The forward went through sshd to etcd's client port.
    const etcdPort = new URL(cluster.endpoints[0]!).port
    expect(bastion.log.join('')).toMatch(new RegExp(`target 127\\.0\\.0\\.1 port ${etcdPort}`))
  })

  it('refuses a changed host key loudly, before signing in, naming both fingerprints', async () => {
    // The profile trusts another server's key: as if the bastion had been replaced.
    const r = await test(input([hop(bastion, { hostKey: trusted(inner) })]))
    expect(r.ok).toBe(false)
    const t = r.tunnel!
    expect(t.problem).toBe('ssh-host-key-changed')
    expect(t.message).toMatch(/HAS CHANGED/)
    expect(t.message).toContain(bastion.hostKey.fingerprint)
    expect(t.message).toContain(inner.hostKey.fingerprint)
    expect(t.fix).toMatch(/man in the middle/)
    expect(t.hostKey?.trusted?.[0]?.fingerprint).toBe(inner.hostKey.fingerprint)
    expect(t.steps.map((s) => s.name)).not.toContain('ssh-auth')
  })

  it('names the key a server refused (wrong user key), and takes an RSA key without passphrase', async () => {
    const r = await test(input([hop(bastion, { keyFile: strangerKey.privateKey, passphrase: '', hostKey: trusted(bastion) })]))
    expect(r.tunnel?.problem).toBe('ssh-auth-failed')
    expect(r.tunnel?.stage).toBe('ssh-auth')
    expect(r.tunnel?.message).toContain(strangerKey.fingerprint)
    expect(r.tunnel?.fix).toMatch(/authorized_keys/)
    expect((await test(input([hop(bastion, { keyFile: rsaKey.privateKey, passphrase: '', hostKey: trusted(bastion) })]))).ok).toBe(true)
  })

  it('explains bad key input before any network call: wrong passphrase, none, unreadable, a public key', async () => {
    const cases: [Partial<SshHopInput>, string][] = [
      [{ passphrase: 'wrong' }, 'ssh-key-passphrase-wrong'],
      [{ passphrase: '' }, 'ssh-key-passphrase-needed'],
      [{ keyFile: path.join(tmp, 'no-such-key') }, 'ssh-key-unreadable'],
      [{ keyFile: tmp }, 'ssh-key-unreadable'],
      [{ keyFile: userKey.publicKey }, 'ssh-key-invalid'],
    ]
    for (const [over, problem] of cases) {
      const r = await test(input([hop(bastion, { hostKey: trusted(bastion), ...over })]))
      expect(r.tunnel?.problem, JSON.stringify(over)).toBe(problem)
      expect(r.tunnel?.steps.map((s) => s.name)).toEqual(['ssh-files'])
      expect(r.tunnel?.fix.length).toBeGreaterThan(20)
    }
  })

  it('explains an unknown bastion name, a closed port, a port that is not SSH, and a silent port within the stage timeout', async () => {
    const dns = await test(input([hop(bastion, { host: 'no-such-bastion.invalid', hostKey: trusted(bastion) })]))
    expect(dns.tunnel?.problem).toBe('ssh-dns')
    const silent: Server = createServer(() => undefined)
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r))
    const closedPort = (silent.address() as { port: number }).port
    try {
      const refused = await test(input([hop(bastion, { port: 1, hostKey: trusted(bastion) })]))
      expect(refused.tunnel?.problem).toBe('ssh-connection-refused')
      const etcdPort = Number(new URL(cluster.endpoints[0]!).port)
      const notSsh = await test(input([hop(bastion, { port: etcdPort, hostKey: trusted(bastion) })]))
      expect(notSsh.tunnel?.problem).toBe('ssh-not-ssh')
      // A server that accepts and then says nothing: the host-key stage times out and says so.
      const t0 = Date.now()
      const tunnel = new SshTunnel([{ host: '127.0.0.1', port: closedPort, user: 'x', auth: { kind: 'key', keyFile: rsaKey.privateKey }, trust: { kind: 'profile', trusted: [], revoked: [] } }], { timeoutMs: 700 })
      const err = await tunnel.connect().then(() => null, (e: Error & { problem?: string; stage?: string }) => e)
      tunnel.close()
      expect(err?.problem).toBe('ssh-timeout')
      expect(err?.stage).toBe('host-key')
      expect(err?.message).toMatch(/host key stage timed out after 700 ms/)
      expect(Date.now() - t0).toBeLessThan(5000)
    } finally {
      silent.close()
    }
  })

  it('notices a connection that went silent (keepalives unanswered) and reconnects on the next use', async () => {
    const blob = Buffer.from(bastion.hostKey.publicLine.split(' ')[1]!, 'base64')
    const tunnel = new SshTunnel(
      [{ host: bastion.host, port: bastion.port, user: bastion.user, auth: { kind: 'key', keyFile: rsaKey.privateKey }, trust: { kind: 'profile', trusted: [{ algorithm: 'ssh-ed25519', blob }], revoked: [] } }],
      { keepaliveIntervalMs: 300, timeoutMs: 3000 },
    )
    let thaw: (() => void) | null = null
    try {
      await tunnel.connect()
      const etcdPort = Number(new URL(cluster.endpoints[0]!).port)
      ;(await tunnel.forward('127.0.0.1', etcdPort)).destroy()
      // The server's processes for this connection stop answering; TCP stays up, as behind a NAT that forgot the flow.
      thaw = bastion.freezeConnections()
      const deadline = Date.now() + 10_000
      while (tunnel.isUp && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
      expect(tunnel.isUp).toBe(false)
      const channel = await tunnel.forward('127.0.0.1', etcdPort)
      channel.destroy()
      expect(tunnel.connects).toBe(2)
    } finally {
      thaw?.()
      tunnel.close()
    }
  })

  it('reports a refused forward per endpoint when the server has AllowTcpForwarding no', async () => {
    const r = await test(input([hop(noForward, { hostKey: trusted(noForward) })]))
    expect(r.tunnel?.status).toBe('ok')
    expect(r.ok).toBe(false)
    const v = r.verdicts[0]!
    expect(v.problem).toBe('forward-refused')
    expect(v.message).toMatch(/administratively prohibited/)
    expect(v.fix).toMatch(/AllowTcpForwarding/)
    expect(noForward.log.join('')).toMatch(/refused local port forward/)
  })

  it('jumps through two sshd instances, each host key checked, the inner one forwarding to etcd', async () => {
    const r = await test(input([hop(bastion, { hostKey: trusted(bastion) }), hop(inner, { keyFile: rsaKey.privateKey, passphrase: '', hostKey: trusted(inner) })]))
    expect(r.ok).toBe(true)
    expect(r.tunnel?.hops).toEqual([`${bastion.user}@127.0.0.1:${bastion.port}`, `${inner.user}@127.0.0.1:${inner.port}`])
    const names = r.tunnel!.steps.map((s) => s.name)
    expect(names).toEqual(['ssh-files', 'ssh-dns', 'ssh-tcp', 'host-key', 'ssh-auth', 'ssh-files', 'ssh-tcp', 'host-key', 'ssh-auth'])
    expect(r.tunnel!.steps[6]!.note).toContain('through')
    const etcdPort = new URL(cluster.endpoints[0]!).port
    expect(bastion.log.join('')).toMatch(new RegExp(`target 127\\.0\\.0\\.1 port ${inner.port}`))
    expect(inner.log.join('')).toMatch(new RegExp(`target 127\\.0\\.0\\.1 port ${etcdPort}`))
    // The inner host's key is checked too: an unconfirmed one stops the chain at hop 2.
    const unknownInner = await test(input([hop(bastion, { hostKey: trusted(bastion) }), hop(inner, { keyFile: rsaKey.privateKey, passphrase: '' })]))
    expect(unknownInner.tunnel?.problem).toBe('ssh-host-key-unknown')
    expect(unknownInner.tunnel?.hostKey?.hop).toBe(1)
    expect(unknownInner.tunnel?.hostKey?.fingerprint).toBe(inner.hostKey.fingerprint)
  })
})

describe('a saved profile through the tunnel', () => {
  let target: Target

  it('keeps the SSH passphrase and key sealed, and browses keys through the tunnel', async () => {
    await cluster.etcdctl(['put', '/ssh/hello', 'world'])
    const saved = await services.handlers['connections/save']({ input: input([hop(bastion, { hostKey: trusted(bastion) })], { name: 'tunnelled' }) })
    expect(saved.ssh?.hops[0]?.hasPassphrase).toBe(true)
    expect(JSON.stringify(saved)).not.toContain(PASSPHRASE)
    const onDisk = readFileSync(path.join(tmp, 'data', 'connections.json'), 'utf8')
    expect(onDisk).not.toContain(PASSPHRASE)
    expect(onDisk).toContain(bastion.hostKey.publicLine.split(' ')[1]!)
    target = { kind: 'connection', id: saved.id }
    const page = await services.handlers['keys/browse']({ target, prefix: b64('/ssh/') })
    expect(page.entries.map((e) => e.label)).toContain('hello')
  })

  it('resumes a watch after the tunnel is killed, with no event lost or repeated', async () => {
    const sink = recordingSink<KeyWatchBatch>()
    const { revision } = await services.handlers['keys/count']({ target, prefix: b64('/live/') })
    const stop = services.streams['keys/onWatch']({ target, key: b64('/live/'), prefix: true, fromRevision: String(Number(revision) + 1) }, sink)
    try {
      await cluster.etcdctl(['put', '/live/0', 'v'])
      await sink.waitFor((b) => b.events.some((e) => e.key.display === '/live/0'))
      for (let i = 1; i <= 4; i++) await cluster.etcdctl(['put', `/live/${i}`, 'v'])
      await sink.waitFor((b) => b.events.some((e) => e.key.display === '/live/4'))

      // Kill sshd's per-connection processes: the tunnel and the watch stream break.
      const logins = () => bastion.log.join('').match(/Accepted publickey/g)?.length ?? 0
      const before = logins()
      expect(bastion.killConnections()).toBeGreaterThan(0)
      // Written while the tunnel is down, directly to etcd.
      for (let i = 5; i <= 9; i++) await cluster.etcdctl(['put', `/live/${i}`, 'v'])
      await sink.waitFor((b) => b.events.some((e) => e.key.display === '/live/9'), 30_000)

      const events = sink.events.flatMap((b) => b.events)
      expect(events.map((e) => e.key.display)).toEqual(Array.from({ length: 10 }, (_, i) => `/live/${i}`))
      const revs = events.map((e) => Number(e.modRevision))
      for (let i = 1; i < revs.length; i++) expect(revs[i]).toBe(revs[i - 1]! + 1)
      expect(sink.ended).toEqual([])
      // It really reconnected: sshd saw a new login.
      expect(logins()).toBeGreaterThan(before)
    } finally {
      stop()
    }
  })

  it('says the forward was refused when a saved profile uses a server without forwarding', async () => {
    const saved = await services.handlers['connections/save']({ input: input([hop(noForward, { hostKey: trusted(noForward) })], { name: 'no-forward' }) })
    const err = await services.handlers['keys/browse']({ target: { kind: 'connection', id: saved.id }, prefix: b64('/') }).then(
      () => null,
      (e: Error & { hint?: string }) => e,
    )
    expect(err?.message).toMatch(/through the SSH tunnel: .*refused to forward/)
    expect(err?.hint).toMatch(/AllowTcpForwarding/)
  })

  it('authenticates with ssh-agent', async () => {
    const sock = path.join(tmp, 'agent.sock')
    const agent: ChildProcess = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' })
    const previous = process.env.SSH_AUTH_SOCK
    try {
      for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 20))
      await run('ssh-add', [rsaKey.privateKey], { env: { ...process.env, SSH_AUTH_SOCK: sock } })
      process.env.SSH_AUTH_SOCK = sock
      const r = await test(input([{ host: bastion.host, port: bastion.port, user: bastion.user, auth: 'agent', hostKey: trusted(bastion) }]))
      expect(r.ok).toBe(true)
      expect(r.tunnel?.steps[0]?.note).toContain('agent (1 key)')
      delete process.env.SSH_AUTH_SOCK
      const none = await test(input([{ host: bastion.host, port: bastion.port, user: bastion.user, auth: 'agent', hostKey: trusted(bastion) }]))
      expect(none.tunnel?.problem).toBe('ssh-agent-unavailable')
    } finally {
      if (previous === undefined) delete process.env.SSH_AUTH_SOCK
      else process.env.SSH_AUTH_SOCK = previous
      agent.kill()
    }
  })
})

describe('raftdeck doctor and snapshot save with --ssh-tunnel', () => {
  const raftdeck = async (args: string[], env: Record<string, string> = {}) => {
    const [cmd, argv] = raftdeckArgv(args)
    try {
      const r = await run(cmd, argv, { cwd: repoRoot, env: { ...process.env, ...env }, timeout: 60_000 })
      return { code: 0, stdout: r.stdout, stderr: r.stderr }
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string }
      return { code: e.code, stdout: e.stdout, stderr: e.stderr }
    }
  }
  const tlsFlags = () => ['--cacert', pki.ca, '--cert', pki.clientCert, '--key', pki.clientKey]

  it('passes with known_hosts, and refuses an unknown host key with the line to add', async () => {
    const tunnel = ['--ssh-tunnel', `${bastion.user}@127.0.0.1:${bastion.port}`, '--ssh-key', rsaKey.privateKey]
    const ok = await raftdeck(['doctor', '--endpoints', cluster.endpoints[0]!, ...tlsFlags(), ...tunnel, '--ssh-known-hosts', bastion.knownHosts])
    expect(ok.stdout).toMatch(/^OK {3}ssh /m)
    expect(ok.code).toBe(0)
    const unknown = await raftdeck(['doctor', '--endpoints', cluster.endpoints[0]!, ...tlsFlags(), ...tunnel, '--ssh-known-hosts', inner.knownHosts, '-w', 'json'])
    expect(unknown.code).toBe(1)
    const report = JSON.parse(unknown.stdout) as DoctorReport
    expect(report.tunnel?.problem).toBe('ssh-host-key-unknown')
    expect(report.tunnel?.fix).toContain(`[127.0.0.1]:${bastion.port} ssh-ed25519 `)
  })

  it('saves a snapshot through the tunnel (a passphrase from the environment)', async () => {
    const file = path.join(tmp, 'through-ssh.db')
    const r = await raftdeck(
      ['snapshot', 'save', file, '--endpoints', cluster.endpoints[0]!, ...tlsFlags(), '--ssh-tunnel', `${bastion.user}@127.0.0.1:${bastion.port}`, '--ssh-key', userKey.privateKey, '--ssh-known-hosts', bastion.knownHosts],
      { RAFTDECK_SSH_PASSPHRASE: PASSPHRASE },
    )
    expect(r.stdout).toContain('Snapshot saved')
    expect(r.code).toBe(0)
    expect(snapshotStatus(file).totalKey).toBeGreaterThan(5)
    // A wrong passphrase is one line and exit 1, not a hang.
    const bad = await raftdeck(
      ['snapshot', 'save', `${file}.2`, '--endpoints', cluster.endpoints[0]!, ...tlsFlags(), '--ssh-tunnel', `${bastion.user}@127.0.0.1:${bastion.port}`, '--ssh-key', userKey.privateKey, '--ssh-known-hosts', bastion.knownHosts],
      { RAFTDECK_SSH_PASSPHRASE: 'nope' },
    )
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/passphrase does not open the SSH key/)
    expect(existsSync(`${file}.2`)).toBe(false)
  })

  it('adds a backup schedule through the tunnel (host key pinned, passphrase sealed) whose cron run saves a backup', async () => {
    const dataDir = path.join(tmp, 'backup-data')
    const dest = path.join(tmp, 'backup-dest')
    mkdirSync(dest, { recursive: true })
    const common = ['--data-dir', dataDir]
    const tunnel = ['--ssh-tunnel', `${bastion.user}@127.0.0.1:${bastion.port}`, '--ssh-key', userKey.privateKey, '--ssh-known-hosts', bastion.knownHosts]
    // A wrong passphrase refuses the schedule at once (not at 02:00) and saves nothing.
    const bad = await raftdeck(['backup', 'schedule', 'add', 'tunnelled', ...common, '--endpoints', cluster.endpoints[0]!, ...tlsFlags(), ...tunnel, '--cron', '0 2 * * *', '--dest', dest, '--no-trial-restore'], {
      RAFTDECK_SSH_PASSPHRASE: 'nope',
    })
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/passphrase does not open the SSH key/)
    const none = await raftdeck(['backup', 'schedule', 'list', ...common, '-w', 'json'])
    expect(JSON.parse(none.stdout)).toEqual([])

    const add = await raftdeck(['backup', 'schedule', 'add', 'tunnelled', ...common, '--endpoints', cluster.endpoints[0]!, ...tlsFlags(), ...tunnel, '--cron', '0 2 * * *', '--dest', dest, '--no-trial-restore'], {
      RAFTDECK_SSH_PASSPHRASE: PASSPHRASE,
    })
    expect(add.stderr).not.toMatch(/ (error|warn) /)
    expect(add.stdout).toContain(`through ${bastion.user}@127.0.0.1:${bastion.port}`)
    expect(add.stdout).toContain('SSH secret sealed')
    expect(add.code).toBe(0)
    // The profile pins the host key the bastion presented and keeps no passphrase in clear text.
    const stored = readFileSync(path.join(dataDir, 'connections.json'), 'utf8')
    expect(stored).not.toContain(PASSPHRASE)
    const profile = (JSON.parse(stored) as { connections: { name: string; ssh: { hops: { hostKey: { fingerprint: string } }[] } }[] }).connections.find((c) => c.name === 'tunnelled')!
    expect(profile.ssh.hops[0]!.hostKey.fingerprint).toBe(bastion.hostKey.fingerprint)

    // The cron job's run needs no SSH flags and no passphrase in its environment: the schedule has them.
    const before = bastion.log.join('').split('server_request_direct_tcpip').length
    const r = await raftdeck(['backup', 'run', '--schedule', 'tunnelled', ...common])
    expect(r.stderr).not.toMatch(/ (error|warn) /)
    expect(r.stdout).toMatch(/^OK: /)
    expect(r.code).toBe(0)
    expect(bastion.log.join('').split('server_request_direct_tcpip').length).toBeGreaterThan(before)
    const listed = JSON.parse((await raftdeck(['backup', 'list', ...common, '--schedule', 'tunnelled', '-w', 'json'])).stdout) as { path: string }[]
    expect(listed).toHaveLength(1)
    // A real etcd snapshot: etcd's buckets are all there (status reads every bucket; it throws on a broken file).
    expect(snapshotStatus(listed[0]!.path).totalKey).toBeGreaterThan(0)
  })
})

