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
import { formatMessage, isMsg, msg, type CertificateInfo, type DoctorProblem, type DoctorReport, type DoctorStep, type EndpointVerdict, type Msg, type TlsSettings, type TunnelVerdict } from '../../shared'
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

  /** A note is a bare code or address (the same in every language) or a message. */
  step(name: DoctorStep['name'], ok: boolean, startedAt: number, note: string | Msg) {
    const ms = Math.round(performance.now() - startedAt)
    this.steps.push(isMsg(note) ? { name, ok, ms, note: formatMessage(note), noteMsg: note } : { name, ok, ms, note })
  }

  fail(problem: DoctorProblem, message: Text, fix: Text): EndpointVerdict {
    return { endpoint: this.endpoint, status: 'fail', problem, ...said(message, fix), steps: this.steps, details: this.details }
  }

  warn(problem: DoctorProblem, message: Text, fix: Text): EndpointVerdict {
    return { endpoint: this.endpoint, status: 'warn', problem, ...said(message, fix), steps: this.steps, details: this.details }
  }

  ok(message: Msg): EndpointVerdict {
    return { endpoint: this.endpoint, status: 'ok', ...said(message, ''), steps: this.steps, details: this.details }
  }
}

/** A finding's text: a message, or (from an error without one) its English. */
type Text = string | Msg

/** message and fix in English (for the CLI and logs) and, when they are messages, as messages for the UI. */
function said(message: Text, fix: Text): Pick<EndpointVerdict, 'message' | 'fix' | 'msg' | 'fixMsg'> {
  return {
    message: isMsg(message) ? formatMessage(message) : message,
    fix: isMsg(fix) ? formatMessage(fix) : fix,
    ...(isMsg(message) ? { msg: message } : {}),
    ...(isMsg(fix) ? { fixMsg: fix } : {}),
  }
}

/** An error's message and hint, as messages where it has them. */
const errorText = (e: { message: string; msg?: Msg | undefined }): Text => e.msg ?? e.message
const errorHint = (e: { hint?: string | undefined; hintMsg?: Msg | undefined }, fallback: Text = ''): Text => e.hintMsg ?? e.hint ?? fallback

function certNames(cert: PeerCertificate): string[] {
  const names = new Set<string>()
  for (const part of (cert.subjectaltname ?? '').split(',')) {
    const m = part.trim().match(/^(DNS|IP Address):(.+)$/)
    if (m) names.add(m[2]!.trim())
  }
  if (names.size === 0 && cert.subject?.CN) names.add(String(cert.subject.CN))
  return [...names]
}

const cn = (o: Record<string, unknown> | undefined): string | Msg => (o?.CN ? String(o.CN) : o?.O ? String(o.O) : msg('conn.doctor.unnamedIssuer'))
/** The name alone, for the details the report carries (an unnamed issuer in English). */
const cnText = (o: Record<string, unknown> | undefined): string => {
  const n = cn(o)
  return isMsg(n) ? formatMessage(n) : n
}

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
    v.step('dns', false, t, code ?? msg('conn.note.failed'))
    if (code === 'ETIMEDOUT') return v.fail('timeout', msg('conn.doctor.dnsTimeout', { host, ms: String(timeoutMs) }), msg('conn.doctor.dnsTimeoutHint'))
    return v.fail('dns', msg('conn.doctor.dns', { host, code: String(code) }), msg('conn.doctor.dnsHint'))
  }

  t = performance.now()
  try {
    const s = await tcpConnect(host, port, timeoutMs)
    s.destroy()
    v.step('tcp', true, t, msg('conn.note.connected', { address: `${host}:${port}` }))
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    v.step('tcp', false, t, code ?? msg('conn.note.failed'))
    if (code === 'ECONNREFUSED') return v.fail('connection-refused', msg('conn.doctor.refused', { host, port: String(port) }), msg('conn.doctor.refusedHint', { port: String(port) }))
    if (code === 'ETIMEDOUT') return v.fail('timeout', msg('conn.doctor.tcpTimeout', { host, port: String(port), ms: String(timeoutMs) }), msg('conn.doctor.tcpTimeoutHint'))
    return v.fail('unreachable', msg('conn.doctor.unreachable', { host, port: String(port), code: String(code) }), msg('conn.doctor.unreachableHint'))
  }
  return null
}

/** Steps 1 and 2 through a tunnel: a forwarded channel from the last hop. */
async function reachThroughTunnel(v: Verdict, tunnel: SshTunnel, host: string, port: number, timeoutMs: number): Promise<EndpointVerdict | { channel: Duplex }> {
  const t = performance.now()
  const via = tunnel.hops[tunnel.hops.length - 1]!
  try {
    const channel = await tunnel.forward(host, port, timeoutMs)
    v.step('forward', true, t, msg('conn.note.forwards', { via: hopLabel(via), target: `${host}:${port}` }))
    return { channel }
  } catch (err) {
    const e = err instanceof SshError ? err : new SshError('forward-failed', 'forward', msg('conn.doctor.forwardFailed', { host, port: String(port), detail: (err as Error).message }), msg('conn.doctor.forwardFailedHint'))
    v.step('forward', false, t, e.problem === 'ssh-timeout' ? msg('conn.note.timeout') : e.problem)
    return v.fail(e.problem, errorText(e), errorHint(e))
  }
}

async function diagnoseOne(endpointUrl: string, input: DoctorInput): Promise<EndpointVerdict> {
  const v = new Verdict(endpointUrl)
  const timeoutMs = input.timeoutMs ?? 4000
  let ep
  try {
    ep = parseEndpoint(endpointUrl)
  } catch (err) {
    return v.fail('invalid-endpoint', errorText(err as Error & { msg?: Msg }), msg('conn.doctor.invalidEndpointHint'))
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
      const detail = probe.error.message
      v.step('tls', false, t, probe.error.code ?? detail)
      if (/wrong version number|packet length too long|unknown protocol|http request/i.test(detail))
        return v.fail('not-tls', msg('conn.doctor.notTls', { host, port: String(port) }), msg('conn.doctor.notTlsHint', { host, port: String(port) }))
      if (clientCertAlert(detail))
        return tls?.cert
          ? v.fail('client-cert-rejected', msg('conn.doctor.clientCertRejectedBy', { issuer: cn(tls.clientCert?.issuer ? parseDn(tls.clientCert.issuer) : undefined), detail }), msg('conn.doctor.clientCertRejectedHint'))
          : v.fail('client-cert-required', msg('conn.doctor.clientCertRequired'), msg('conn.doctor.clientCertRequiredHint'))
      return v.fail('tls-handshake', msg('conn.doctor.handshake', { detail }), msg('conn.doctor.handshakeHint'))
    }
    const cert = probe.cert
    if (cert) {
      v.details.serverCertificate = { subject: cnText(cert.subject as unknown as Record<string, unknown>), issuer: cnText(cert.issuer as unknown as Record<string, unknown>), names: certNames(cert), validFrom: new Date(cert.valid_from).toISOString(), validTo: new Date(cert.valid_to).toISOString() }
    }
    // Node reports a name mismatch as an authorization error too; it gets its own explanation below.
    const authErr = probe.authorizationError === 'ERR_TLS_CERT_ALTNAME_INVALID' || probe.authorizationError?.includes("Hostname/IP does not match") ? null : probe.authorizationError
    if (authErr && !tls?.insecureSkipVerify) {
      probe.socket?.destroy()
      v.step('tls', false, t, authErr)
      const issuer = cert ? cn(cert.issuer as unknown as Record<string, unknown>) : msg('conn.doctor.unknownIssuer')
      if (authErr === 'CERT_HAS_EXPIRED')
        return v.fail('server-cert-expired', msg('conn.doctor.serverExpired', { date: String(v.details.serverCertificate?.validTo) }), msg('conn.doctor.serverExpiredHint'))
      if (authErr === 'CERT_NOT_YET_VALID')
        return v.fail('server-cert-not-yet-valid', msg('conn.doctor.serverNotYetValid', { date: String(v.details.serverCertificate?.validFrom) }), msg('conn.doctor.serverNotYetValidHint'))
      if (UNKNOWN_AUTHORITY.has(authErr)) {
        const ours = tls?.caCerts.length ? tls.caCerts.map((c) => cnText(parseDn(c.subject))).join(', ') : msg('conn.doctor.systemRoots')
        return v.fail('unknown-authority', msg('conn.doctor.unknownAuthority', { issuer, ours }), msg('conn.doctor.unknownAuthorityHint'))
      }
      return v.fail('tls-verify', msg('conn.doctor.notTrusted', { detail: authErr }), msg('conn.doctor.notTrustedHint'))
    }
    if (cert && !tls?.insecureSkipVerify) {
      const identityError = checkServerIdentity(servername, cert)
      if (identityError) {
        probe.socket?.destroy()
        v.step('tls', false, t, msg('conn.note.nameMismatch'))
        const names = certNames(cert)
        return v.fail('name-mismatch', msg('conn.doctor.nameMismatch', { names: names.join(', ') || msg('conn.doctor.otherNames'), servername }), msg('conn.doctor.nameMismatchHint', { first: names[0] ?? '', servername }))
      }
    }
    const refused = probe.socket ? await serverAcceptsUs(probe.socket, timeoutMs) : null
    if (refused && clientCertAlert(refused.message)) {
      v.step('tls', false, t, refused.message)
      return tls?.cert
        ? v.fail('client-cert-rejected', msg('conn.doctor.clientCertRejected', { detail: refused.message }), msg('conn.doctor.clientCertRejectedHint'))
        : v.fail('client-cert-required', msg('conn.doctor.clientCertRequired'), msg('conn.doctor.clientCertRequiredHint'))
    }
    v.step('tls', true, t, tls?.insecureSkipVerify ? msg('conn.note.skipped') : msg('conn.note.verified', { name: servername, issuer: v.details.serverCertificate?.issuer ?? '?' }))
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
    v.step('etcd', true, t, msg('conn.note.member', { version: st.version, id: BigInt(st.header.member_id).toString(16) }))
  } catch (err) {
    const e = err instanceof EtcdError ? err : null
    v.step(input.auth ? 'auth' : 'etcd', false, t, e ? errorText(e) : String(err))
    const user = input.auth?.username ?? ''
    if (e?.kind === 'auth-failed') return v.fail('auth-failed', msg('conn.doctor.authFailed', { user }), msg('conn.doctor.authFailedHint'))
    if (e?.kind === 'auth-not-enabled') return v.fail('auth-not-enabled', msg('conn.doctor.authNotEnabled'), msg('conn.doctor.authNotEnabledHint'))
    if (e?.kind === 'permission-denied') return v.fail('permission-denied', msg('conn.doctor.statusDenied', { user }), msg('conn.doctor.statusDeniedHint'))
    if (e?.kind === 'timeout') return v.fail('timeout', msg('conn.doctor.etcdTimeout', { endpoint: ep.url, ms: String(timeoutMs) }), msg('conn.doctor.etcdTimeoutHint'))
    if (e?.kind === 'unavailable' && !ep.secure) {
      const through = await openChannel().catch(() => undefined)
      const probe = await tlsHandshake(host, port, undefined, host, timeoutMs, through)
      probe.socket?.destroy()
      if (!probe.error || probe.cert) return v.fail('tls-expected', msg('conn.doctor.tlsExpected', { host, port: String(port) }), msg('conn.doctor.tlsExpectedHint', { host, port: String(port) }))
    }
    return v.fail('etcd-error', e ? errorText(e) : String(err), e ? errorHint(e, msg('conn.doctor.checkServerLog')) : msg('conn.doctor.checkServerLog'))
  } finally {
    client.close()
  }

  // 5. What the user may do: a count of the whole key space needs read access to all of it.
  if (input.auth) {
    t = performance.now()
    const c2 = new EtcdClient({ endpoints: [ep.url], ...(tls ? { tls } : {}), auth: input.auth, ...(tunnel ? { dialer: tunnel } : {}), requestTimeoutMs: timeoutMs })
    try {
      await c2.range({ key: Buffer.from([0]), range_end: Buffer.from([0]), count_only: true }, { endpoint: ep.url })
      v.step('auth', true, t, msg('conn.note.signedIn', { user: input.auth.username }))
    } catch (err) {
      const e = err instanceof EtcdError ? err : null
      if (e?.kind === 'permission-denied') {
        v.step('auth', false, t, msg('conn.note.noRead'))
        return v.warn('permission-denied', msg('conn.doctor.readDenied', { user: input.auth.username }), msg('conn.doctor.readDeniedHint'))
      }
      if (e?.kind === 'auth-failed') return v.fail('auth-failed', msg('conn.doctor.authFailedShort', { user: input.auth.username }), msg('conn.doctor.authFailedShortHint'))
      v.step('auth', false, t, e ? errorText(e) : String(err))
    } finally {
      c2.close()
    }
  }

  const version = v.details.version ?? '0.0.0'
  const [major, minor] = version.split('.').map(Number)
  if ((major ?? 0) < OLDEST_SUPPORTED[0]! || ((major ?? 0) === OLDEST_SUPPORTED[0] && (minor ?? 0) < OLDEST_SUPPORTED[1]!))
    return v.warn('old-version', msg('conn.doctor.oldVersion', { version }), msg('conn.doctor.oldVersionHint'))
  return v.ok(msg('conn.doctor.ok', { version, ms: String(v.details.latencyMs) }))
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
    const e = err instanceof SshError ? err : new SshError('ssh-disconnected', 'ssh-tcp', msg('conn.doctor.sshFailed', { detail: (err as Error).message }), msg('conn.doctor.sshFailedHint'))
    return { status: 'fail', hops, problem: e.problem, stage: e.stage, ...said(errorText(e), errorHint(e)), steps, ...(e.offer ? { hostKey: e.offer } : {}) }
  }
  return { status: 'ok', hops, ...said(msg('conn.doctor.sshUp', { label: tunnel.label }), ''), steps }
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
