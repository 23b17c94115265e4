// The connection doctor: checks one endpoint layer by layer (address, TCP, TLS, gRPC, auth, etcd) and
// names the first thing that is wrong, with the fix. TLS is probed with Node's own TLS stack, outside
// gRPC, because only there do we get the certificate and the exact verification error to explain.
//
// Through an SSH tunnel, the SSH stage comes first (key, DNS, TCP, host key, authentication of every
// hop); then, per endpoint, the forward replaces DNS and TCP (the last hop resolves and connects), and
// TLS and etcd run through the forwarded channel exactly as they would directly.

import { lookup } from 'node:dns/promises'
import { connect as netConnect, isIP, type Socket } from 'node:net'
import { checkServerIdentity, connect as tlsConnect, type PeerCertificate, type TLSSocket } from 'node:tls'
import type { Duplex } from 'node:stream'
import type { CertificateInfo, DoctorProblem, DoctorReport, DoctorStep, EndpointVerdict, TlsSettings, TunnelVerdict } from '../../shared'
import { EtcdClient, parseEndpoint } from '../etcd/client'
import { EtcdError } from '../etcd/errors'
import type { TlsMaterial } from '../etcd/tlsMaterial'
import { SshError } from '../ssh/errors'
import { hopLabel } from '../ssh/credentials'
import type { SshTunnel } from '../ssh/tunnel'
import { certificateInfo, fileCertificates } from './certificates'

export interface DoctorInput {
  endpoints: string[]
  tls?: TlsMaterial
  auth?: { username: string; password: string }
  /** Per-stage timeout (default 4 s). */
  timeoutMs?: number
  /** Reach the endpoints through this tunnel (the caller closes it). */
  tunnel?: SshTunnel
  /** The TLS file paths, to list the CA and client certificates with their expiry. */
  tlsFiles?: TlsSettings | null
}

const OLDEST_SUPPORTED = [3, 4]

class Verdict {
  readonly steps: DoctorStep[] = []
  details: EndpointVerdict['details'] = {}
  constructor(readonly endpoint: string) {}

  step(name: DoctorStep['name'], ok: boolean, startedAt: number, note: string) {
    this.steps.push({ name, ok, ms: Math.round(performance.now() - startedAt), note })
  }

  fail(problem: DoctorProblem, message: string, fix: string): EndpointVerdict {
    return { endpoint: this.endpoint, status: 'fail', problem, message, fix, steps: this.steps, details: this.details }
  }

  warn(problem: DoctorProblem, message: string, fix: string): EndpointVerdict {
    return { endpoint: this.endpoint, status: 'warn', problem, message, fix, steps: this.steps, details: this.details }
  }

  ok(message: string): EndpointVerdict {
    return { endpoint: this.endpoint, status: 'ok', message, fix: '', steps: this.steps, details: this.details }
  }
}

function certNames(cert: PeerCertificate): string[] {
  const names = new Set<string>()
  for (const part of (cert.subjectaltname ?? '').split(',')) {
    const m = part.trim().match(/^(DNS|IP Address):(.+)$/)
    if (m) names.add(m[2]!.trim())
  }
  if (names.size === 0 && cert.subject?.CN) names.add(String(cert.subject.CN))
  return [...names]
}

const cn = (o: Record<string, unknown> | undefined): string => (o?.CN ? String(o.CN) : o?.O ? String(o.O) : 'an unnamed issuer')

function tcpConnect(host: string, port: number, timeoutMs: number): Promise<Socket> {
  // (Direct connections only; through a tunnel the last hop connects.)
  return new Promise((resolve, reject) => {
    const s = netConnect({ host, port })
    const timer = setTimeout(() => {
      s.destroy()
      reject(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' }))
    }, timeoutMs)
    s.once('connect', () => {
      clearTimeout(timer)
      resolve(s)
    })
    s.once('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
  })
}

interface TlsProbe {
  socket: TLSSocket | null
  error: NodeJS.ErrnoException | null
  cert: PeerCertificate | null
  authorizationError: string | null
}

/** A TLS handshake that does not reject, so the certificate and the verification error can be read. */
function tlsHandshake(host: string, port: number, tls: TlsMaterial | undefined, servername: string, timeoutMs: number, through?: Duplex): Promise<TlsProbe> {
  return new Promise((resolve) => {
    const socket = tlsConnect({
      ...(through ? { socket: through } : { host, port }),
      ...(isIP(servername) ? {} : { servername }),
      ...(tls?.ca ? { ca: tls.ca } : {}),
      ...(tls?.cert ? { cert: tls.cert, key: tls.key } : {}),
      rejectUnauthorized: false,
      ALPNProtocols: ['h2'],
    })
    const timer = setTimeout(() => {
      socket.destroy()
      resolve({ socket: null, error: Object.assign(new Error('TLS handshake timed out'), { code: 'ETIMEDOUT' }), cert: null, authorizationError: null })
    }, timeoutMs)
    socket.once('secureConnect', () => {
      clearTimeout(timer)
      const cert = socket.getPeerCertificate(true)
      resolve({ socket, error: null, cert: cert && Object.keys(cert).length ? cert : null, authorizationError: socket.authorized ? null : String(socket.authorizationError) })
    })
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      resolve({ socket: null, error, cert: null, authorizationError: null })
    })
  })
}

/**
 * After a TLS 1.3 handshake the server checks the client certificate and may still refuse it, with an
 * alert the client sees on its first read. Send the HTTP/2 preface and wait for the server's answer.
 */
function serverAcceptsUs(socket: TLSSocket, timeoutMs: number): Promise<NodeJS.ErrnoException | null> {
  return new Promise((resolve) => {
    const done = (err: NodeJS.ErrnoException | null) => {
      clearTimeout(timer)
      socket.removeAllListeners('data')
      socket.destroy()
      resolve(err)
    }
    const timer = setTimeout(() => done(null), timeoutMs)
    socket.once('data', () => done(null))
    socket.once('error', (e: NodeJS.ErrnoException) => done(e))
    socket.once('close', () => done(Object.assign(new Error('the server closed the connection after the handshake'), { code: 'ECONNRESET' })))
    // HTTP/2 connection preface followed by an empty SETTINGS frame.
    socket.write(Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]))
  })
}

const UNKNOWN_AUTHORITY = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
])

function clientCertAlert(message: string): boolean {
  return /certificate required|bad certificate|unknown ca|handshake failure|certificate unknown|alert number 116|alert number 42|alert number 48/i.test(message)
}

/** Steps 1 and 2 of a direct connection: the name, then TCP. Returns the failed verdict, or null. */
async function reachDirectly(v: Verdict, host: string, port: number, timeoutMs: number): Promise<EndpointVerdict | null> {
  let t = performance.now()
  try {
    const { address } = await Promise.race([
      lookup(host),
      new Promise<never>((_, reject) => setTimeout(() => reject(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })), timeoutMs).unref()),
    ])
    v.step('dns', true, t, `${host} → ${address}`)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    v.step('dns', false, t, code ?? 'failed')
    if (code === 'ETIMEDOUT') return v.fail('timeout', `The dns stage timed out: resolving ${host} took longer than ${timeoutMs} ms.`, "Check this machine's DNS servers, or use the IP address.")
    return v.fail('dns', `The name ${host} cannot be resolved (${code}).`, 'Check the spelling of the host, or use its IP address; on this machine, check /etc/hosts and DNS.')
  }

  t = performance.now()
  try {
    const s = await tcpConnect(host, port, timeoutMs)
    s.destroy()
    v.step('tcp', true, t, `connected to ${host}:${port}`)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    v.step('tcp', false, t, code ?? 'failed')
    if (code === 'ECONNREFUSED') return v.fail('connection-refused', `Nothing listens on ${host}:${port} (connection refused).`, `Check that etcd runs there and that ${port} is its client port (--listen-client-urls); 2380 is the peer port, not for clients.`)
    if (code === 'ETIMEDOUT') return v.fail('timeout', `The tcp stage timed out: no answer from ${host}:${port} within ${timeoutMs} ms.`, 'A firewall may drop the traffic, or the host is down. Check the route and the security groups.')
    return v.fail('unreachable', `Cannot reach ${host}:${port} (${code}).`, 'Check the network route to the host.')
  }
  return null
}

/** Steps 1 and 2 through a tunnel: a forwarded channel from the last hop. */
async function reachThroughTunnel(v: Verdict, tunnel: SshTunnel, host: string, port: number, timeoutMs: number): Promise<EndpointVerdict | { channel: Duplex }> {
  const t = performance.now()
  const via = tunnel.hops[tunnel.hops.length - 1]!
  try {
    const channel = await tunnel.forward(host, port, timeoutMs)
    v.step('forward', true, t, `${hopLabel(via)} forwards to ${host}:${port}`)
    return { channel }
  } catch (err) {
    const e = err instanceof SshError ? err : new SshError('forward-failed', 'forward', `Cannot open a channel to ${host}:${port}: ${(err as Error).message}.`, 'Check the tunnel with Test connection.')
    v.step('forward', false, t, e.problem === 'ssh-timeout' ? 'timeout' : e.problem)
    return v.fail(e.problem, e.message, e.hint ?? '')
  }
}

async function diagnoseOne(endpointUrl: string, input: DoctorInput): Promise<EndpointVerdict> {
  const v = new Verdict(endpointUrl)
  const timeoutMs = input.timeoutMs ?? 4000
  let ep
  try {
    ep = parseEndpoint(endpointUrl)
  } catch (err) {
    return v.fail('invalid-endpoint', (err as Error).message, 'Write endpoints as https://host:2379 or http://host:2379.')
  }
  const url = new URL(ep.url)
  const host = url.hostname.replace(/^\[|\]$/g, '')
  const port = Number(url.port)

  const tunnel = input.tunnel
  /** Through a tunnel: the forwarded channel that the TLS probe runs over. */
  let channel: Duplex | undefined
  const openChannel = async (): Promise<Duplex | undefined> => (tunnel ? tunnel.forward(host, port, timeoutMs) : undefined)
  if (tunnel) {
    // 1-2. Through a tunnel the last hop resolves the name and connects: one forward does both.
    const failed = await reachThroughTunnel(v, tunnel, host, port, timeoutMs)
    if ('status' in failed) return failed
    channel = failed.channel
    if (!ep.secure) channel.destroy()
  } else {
    const failed = await reachDirectly(v, host, port, timeoutMs)
    if (failed) return failed
  }
  let t = performance.now()

  // 3. TLS, when the scheme asks for it.
  const tls = input.tls
  if (ep.secure) {
    t = performance.now()
    const servername = tls?.serverName ?? host
    const probe = await tlsHandshake(host, port, tls, servername, timeoutMs, channel)
    if (probe.error) {
      const msg = probe.error.message
      v.step('tls', false, t, probe.error.code ?? msg)
      if (/wrong version number|packet length too long|unknown protocol|http request/i.test(msg))
        return v.fail('not-tls', `${host}:${port} does not speak TLS.`, `Use http://${host}:${port}, or enable client TLS on the server (--cert-file, --key-file).`)
      if (clientCertAlert(msg))
        return tls?.cert
          ? v.fail('client-cert-rejected', `The server refused your client certificate (issued by ${cn(tls.clientCert?.issuer ? parseDn(tls.clientCert.issuer) : undefined)}): ${msg}.`, "Use a client certificate signed by the CA in the server's --trusted-ca-file.")
          : v.fail('client-cert-required', 'The server requires a client certificate (it runs with --client-cert-auth).', 'Add the client certificate and key (for kubeadm: /etc/kubernetes/pki/apiserver-etcd-client.crt and .key).')
      return v.fail('tls-handshake', `The TLS handshake failed: ${msg}.`, 'Check the CA, certificate and key of this connection.')
    }
    const cert = probe.cert
    if (cert) {
      v.details.serverCertificate = { subject: cn(cert.subject as unknown as Record<string, unknown>), issuer: cn(cert.issuer as unknown as Record<string, unknown>), names: certNames(cert), validFrom: new Date(cert.valid_from).toISOString(), validTo: new Date(cert.valid_to).toISOString() }
    }
    // Node reports a name mismatch as an authorization error too; it gets its own explanation below.
    const authErr = probe.authorizationError === 'ERR_TLS_CERT_ALTNAME_INVALID' || probe.authorizationError?.includes("Hostname/IP does not match") ? null : probe.authorizationError
    if (authErr && !tls?.insecureSkipVerify) {
      probe.socket?.destroy()
      v.step('tls', false, t, authErr)
      const issuer = cert ? cn(cert.issuer as unknown as Record<string, unknown>) : 'an unknown issuer'
      if (authErr === 'CERT_HAS_EXPIRED')
        return v.fail('server-cert-expired', `The server's certificate expired on ${v.details.serverCertificate?.validTo}.`, 'Renew the etcd server certificates (kubeadm: kubeadm certs renew etcd-server), then restart etcd.')
      if (authErr === 'CERT_NOT_YET_VALID')
        return v.fail('server-cert-not-yet-valid', `The server's certificate is not valid before ${v.details.serverCertificate?.validFrom}.`, "Check the clocks of this machine and of the etcd host.")
      if (UNKNOWN_AUTHORITY.has(authErr)) {
        const ours = tls?.caCerts.length ? tls.caCerts.map((c) => cn(parseDn(c.subject))).join(', ') : "the system's trusted roots"
        return v.fail('unknown-authority', `The server's certificate was issued by ${issuer}, which is not among the CAs you gave (${ours}).`, `Use the CA that signed the etcd server certificate as the CA file (kubeadm: /etc/kubernetes/pki/etcd/ca.crt).`)
      }
      return v.fail('tls-verify', `The server's certificate is not trusted: ${authErr}.`, 'Check the CA file of this connection.')
    }
    if (cert && !tls?.insecureSkipVerify) {
      const identityError = checkServerIdentity(servername, cert)
      if (identityError) {
        probe.socket?.destroy()
        v.step('tls', false, t, 'name mismatch')
        const names = certNames(cert)
        return v.fail('name-mismatch', `The server's certificate is for ${names.join(', ') || 'other names'}, not for ${servername}.`, `Connect with one of those names, or set the server name to one of them (${names[0] ?? ''}); to accept ${servername}, reissue the certificate with it as a subject alternative name.`)
      }
    }
    const refused = probe.socket ? await serverAcceptsUs(probe.socket, timeoutMs) : null
    if (refused && clientCertAlert(refused.message)) {
      v.step('tls', false, t, refused.message)
      return tls?.cert
        ? v.fail('client-cert-rejected', `The server refused your client certificate: ${refused.message}.`, "Use a client certificate signed by the CA in the server's --trusted-ca-file.")
        : v.fail('client-cert-required', 'The server requires a client certificate (it runs with --client-cert-auth).', 'Add the client certificate and key (for kubeadm: /etc/kubernetes/pki/apiserver-etcd-client.crt and .key).')
    }
    v.step('tls', true, t, tls?.insecureSkipVerify ? 'handshake done, verification SKIPPED' : `verified ${servername} (issuer ${v.details.serverCertificate?.issuer ?? '?'})`)
  }

  // 4. gRPC: etcd's Status, through the app's own client (so auth and errors are exactly what the app sees).
  t = performance.now()
  const client = new EtcdClient({ endpoints: [ep.url], ...(tls ? { tls } : {}), ...(input.auth ? { auth: input.auth } : {}), ...(tunnel ? { dialer: tunnel } : {}), requestTimeoutMs: timeoutMs, dialTimeoutMs: timeoutMs })
  try {
    const st = await client.status(ep.url, timeoutMs)
    v.details.version = st.version
    v.details.memberId = st.header.member_id
    v.details.clusterId = st.header.cluster_id
    v.details.leader = st.leader
    v.details.latencyMs = Math.round(performance.now() - t)
    v.step('etcd', true, t, `etcd ${st.version}, member ${BigInt(st.header.member_id).toString(16)}`)
  } catch (err) {
    const e = err instanceof EtcdError ? err : null
    v.step(input.auth ? 'auth' : 'etcd', false, t, e?.message ?? String(err))
    if (e?.kind === 'auth-failed') return v.fail('auth-failed', `Authentication failed for user ${input.auth?.username}: wrong user name or password.`, 'Check the user name and password; etcdctl --user NAME auth status tells whether they work.')
    if (e?.kind === 'auth-not-enabled') return v.fail('auth-not-enabled', 'A user name was given, but authentication is not enabled on this cluster.', 'Remove the user name and password from the connection, or run etcdctl auth enable.')
    if (e?.kind === 'permission-denied') return v.fail('permission-denied', `User ${input.auth?.username} may not read the cluster status.`, 'Grant the user a role with the needed permissions, or connect as root.')
    if (e?.kind === 'timeout') return v.fail('timeout', `The etcd stage timed out: ${ep.url} did not answer Status within ${timeoutMs} ms.`, 'The member may be overloaded, without a leader, or stuck; check its log and the cluster view.')
    if (e?.kind === 'unavailable' && !ep.secure) {
      const through = await openChannel().catch(() => undefined)
      const probe = await tlsHandshake(host, port, undefined, host, timeoutMs, through)
      probe.socket?.destroy()
      if (!probe.error || probe.cert) return v.fail('tls-expected', `${host}:${port} expects TLS, but the endpoint says http.`, `Use https://${host}:${port} and give the CA (and client certificate if the server asks for one).`)
    }
    return v.fail('etcd-error', e?.message ?? String(err), e?.hint ?? 'Check the server log.')
  } finally {
    client.close()
  }

  // 5. What the user may do: a count of the whole key space needs read access to all of it.
  if (input.auth) {
    t = performance.now()
    const c2 = new EtcdClient({ endpoints: [ep.url], ...(tls ? { tls } : {}), auth: input.auth, ...(tunnel ? { dialer: tunnel } : {}), requestTimeoutMs: timeoutMs })
    try {
      await c2.range({ key: Buffer.from([0]), range_end: Buffer.from([0]), count_only: true }, { endpoint: ep.url })
      v.step('auth', true, t, `signed in as ${input.auth.username}; may read every key`)
    } catch (err) {
      const e = err instanceof EtcdError ? err : null
      if (e?.kind === 'permission-denied') {
        v.step('auth', false, t, 'no read permission on the whole key space')
        return v.warn('permission-denied', `Signed in as ${input.auth.username}, but this user may not read the whole key space.`, 'Browsing works only below prefixes the user may read. Grant read on the prefixes you need (etcdctl role grant-permission ROLE --prefix=true read /PREFIX/), or connect as a user with more rights.')
      }
      if (e?.kind === 'auth-failed') return v.fail('auth-failed', `Authentication failed for user ${input.auth.username}.`, 'Check the user name and password.')
      v.step('auth', false, t, e?.message ?? String(err))
    } finally {
      c2.close()
    }
  }

  const version = v.details.version ?? '0.0.0'
  const [major, minor] = version.split('.').map(Number)
  if ((major ?? 0) < OLDEST_SUPPORTED[0]! || ((major ?? 0) === OLDEST_SUPPORTED[0] && (minor ?? 0) < OLDEST_SUPPORTED[1]!))
    return v.warn('old-version', `etcd ${version} is older than 3.4; some views may be incomplete.`, 'Upgrade etcd to 3.4 or later.')
  return v.ok(`etcd ${version} answered in ${v.details.latencyMs} ms`)
}

function parseDn(dn: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of dn.split('\n')) {
    const eq = line.indexOf('=')
    if (eq > 0) out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim()
  }
  return out
}

/** Checks every endpoint in turn (sequentially: one clear story per endpoint). */
export async function runDoctor(input: DoctorInput): Promise<EndpointVerdict[]> {
  const out: EndpointVerdict[] = []
  for (const e of input.endpoints) out.push(await diagnoseOne(e, input))
  return out
}

/** The SSH stage: brings the tunnel up, recording every step of every hop. */
async function diagnoseTunnel(tunnel: SshTunnel): Promise<TunnelVerdict> {
  const steps: DoctorStep[] = []
  const hops = tunnel.hops.map(hopLabel)
  try {
    await tunnel.connect((s) => steps.push(s))
  } catch (err) {
    const e = err instanceof SshError ? err : new SshError('ssh-disconnected', 'ssh-tcp', `SSH tunnel: ${(err as Error).message}`, 'Check the SSH settings.')
    return { status: 'fail', hops, problem: e.problem, stage: e.stage, message: e.message, fix: e.hint ?? '', steps, ...(e.offer ? { hostKey: e.offer } : {}) }
  }
  return { status: 'ok', hops, message: `SSH tunnel up through ${tunnel.label}.`, fix: '', steps }
}

/** Server certificates the doctor saw, as expiry records. */
export function serverCertificates(verdicts: EndpointVerdict[], now = Date.now()): CertificateInfo[] {
  return verdicts.flatMap((v) => (v.details.serverCertificate ? [certificateInfo(v.details.serverCertificate, 'server', v.endpoint, now)] : []))
}

/** The whole doctor: the SSH stage when there is a tunnel, then every endpoint, then the certificates' expiry. */
export async function diagnose(input: DoctorInput): Promise<DoctorReport> {
  let tunnel: TunnelVerdict | undefined
  if (input.tunnel) {
    tunnel = await diagnoseTunnel(input.tunnel)
    if (tunnel.status === 'fail') return { ok: false, tunnel, verdicts: [], certificates: await fileCertificates(input.tlsFiles) }
  }
  const verdicts = await runDoctor(input)
  const certificates = [...(await fileCertificates(input.tlsFiles)), ...serverCertificates(verdicts)]
  return { ok: verdicts.every((v) => v.status !== 'fail'), ...(tunnel ? { tunnel } : {}), verdicts, certificates }
}
