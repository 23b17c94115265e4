// Saved connections: profiles, their clients (directly or through an SSH tunnel), the doctor that
// explains why one does not work, kubeadm import, and certificate expiry.

import {
  AppError,
  ErrorCode,
  type ConnectionInput,
  type ConnectionSummary,
  type DoctorReport,
  type KubeadmImport,
  type SshHopInput,
  type SshHopSummary,
  type TlsSettings,
} from '../../shared'
import { EtcdClient, parseEndpoint } from '../etcd/client'
import { loadTlsMaterial, parseCertificates, SEALED_SUFFIX, TlsMaterialError, type TlsMaterial } from '../etcd/tlsMaterial'
import { createPrivateKey, randomUUID } from 'node:crypto'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { writeFileAtomic } from '../fsAtomic'
import type { SecretBox } from '../secretBox'
import type { Logger } from '../log'
import { hopLabel, type SshHopSpec } from '../ssh/credentials'
import { loadSsh2 } from '../ssh/lib'
import { SshTunnel } from '../ssh/tunnel'
import { fileCertificates, refreshed } from './certificates'
import { diagnose } from './doctor'
import { folderSource, importKubeadm, sshSource, type KubeadmSource } from './kubeadm'
import type { ConnectionStore, HopSecrets, StoredSummary } from './store'

function tlsFiles(tls: TlsSettings | null | undefined) {
  if (!tls) return {}
  return {
    ...(tls.caFile ? { caFile: tls.caFile } : {}),
    ...(tls.certFile ? { certFile: tls.certFile } : {}),
    ...(tls.keyFile ? { keyFile: tls.keyFile } : {}),
    ...(tls.serverName ? { serverName: tls.serverName } : {}),
    ...(tls.insecureSkipVerify ? { insecureSkipVerify: true } : {}),
  }
}

const needsTls = (endpoints: string[], tls: TlsSettings | null | undefined) => Boolean(tls) || endpoints.some((e) => e.startsWith('https://'))

/** A hop as the form or the store has it, with its secrets when known. */
type HopWithSecrets = (SshHopInput | SshHopSummary) & { id?: string }

/** Checks the SSH settings a user typed; throws one clear message naming the hop. */
export function validateHops(hops: HopWithSecrets[]): void {
  if (hops.length > 8) throw new AppError(ErrorCode.InvalidParams, 'An SSH tunnel has at most 8 hosts.')
  hops.forEach((h, i) => {
    const which = hops.length > 1 ? `SSH host ${i + 1}` : 'The SSH bastion'
    if (!h.host.trim() || /[\s@/]/.test(h.host.trim())) throw new AppError(ErrorCode.InvalidParams, `${which}: '${h.host}' is not a host name or address.`, 'Write the host alone (bastion.example.com or 10.0.0.5); the user and port have their own fields.')
    if (!Number.isInteger(h.port) || h.port < 1 || h.port > 65535) throw new AppError(ErrorCode.InvalidParams, `${which}: port ${h.port} is not a TCP port.`, 'SSH listens on 22 unless configured otherwise.')
    if (!h.user.trim() || /\s/.test(h.user)) throw new AppError(ErrorCode.InvalidParams, `${which}: the user name is missing.`)
    if (h.auth === 'key' && !h.keyFile?.trim()) throw new AppError(ErrorCode.InvalidParams, `${which}: key authentication needs a private key file.`, 'Give the path of the private key (e.g. ~/.ssh/id_ed25519) or import it.')
  })
}

export class ConnectionService {
  private readonly clients = new Map<string, { client: EtcdClient; tunnel?: SshTunnel }>()

  constructor(
    private readonly store: ConnectionStore,
    private readonly log: Logger,
    private readonly secrets: SecretBox,
    private readonly dataDir: string,
  ) {}

  private readonly unseal = (sealed: string) => this.secrets.open(sealed)

  /**
   * Keeps a copy of a PEM file the user picked (the browser cannot hand over a path). Certificates are
   * stored as they are (0600); private keys (TLS and SSH) are stored sealed, like passwords. Returns the path to use.
   */
  async importPem(kind: 'ca' | 'cert' | 'key' | 'ssh-key', fileName: string, pem: string): Promise<{ path: string }> {
    const body = Buffer.from(pem, 'utf8')
    if (kind === 'key') {
      try {
        createPrivateKey(body)
      } catch (err) {
        throw new TlsMaterialError('bad-key', `${fileName} is not a PEM private key (${(err as Error).message}).`, 'Pick the key file (PKCS#1, PKCS#8 or EC, not encrypted).')
      }
    } else if (kind === 'ssh-key') {
      const parsed = (await loadSsh2()).utils.parseKey(body)
      // An encrypted key cannot be parsed without its passphrase; that is checked when it is used.
      if (parsed instanceof Error && !/passphrase/i.test(parsed.message))
        throw new AppError(ErrorCode.InvalidParams, `${fileName} is not an SSH private key (${parsed.message}).`, 'Pick the private key (e.g. id_ed25519, not id_ed25519.pub): OpenSSH or PEM format.')
    } else parseCertificates(body, kind === 'ca' ? 'CA' : 'client certificate', fileName)
    const dir = path.join(this.dataDir, 'imported')
    await mkdir(dir, { recursive: true, mode: 0o700 })
    const sealed = kind === 'key' || kind === 'ssh-key'
    const base = `${randomUUID()}-${kind}.pem`
    const file = path.join(dir, sealed ? base + SEALED_SUFFIX : base)
    await writeFileAtomic(file, sealed ? this.secrets.seal(pem) : body, 0o600)
    this.log.info(`imported ${sealed ? `a${kind === 'ssh-key' ? 'n SSH' : ''} private key (sealed)` : `a ${kind === 'ca' ? 'CA' : 'client'} certificate`} from ${fileName}`)
    return { path: file }
  }

  private async withCertificates(s: StoredSummary): Promise<ConnectionSummary> {
    const { serverCertificates, ...rest } = s
    return { ...rest, certificates: [...(await fileCertificates(s.tls)), ...refreshed(serverCertificates)] }
  }

  async list(): Promise<ConnectionSummary[]> {
    return Promise.all((await this.store.list()).map((s) => this.withCertificates(s)))
  }

  async get(id: string): Promise<ConnectionSummary> {
    return this.withCertificates(await this.store.get(id))
  }

  async save(input: ConnectionInput): Promise<ConnectionSummary> {
    if (!input.name.trim()) throw new AppError(ErrorCode.InvalidParams, 'A connection needs a name.')
    const endpoints = input.endpoints.map((e) => e.trim()).filter(Boolean)
    if (endpoints.length === 0) throw new AppError(ErrorCode.InvalidParams, 'A connection needs at least one endpoint.', 'For example https://10.0.0.1:2379.')
    for (const e of endpoints) parseEndpoint(e)
    if (input.password && !input.username?.trim()) throw new AppError(ErrorCode.InvalidParams, 'A password was given without a user name.')
    validateHops(input.ssh?.hops ?? [])
    const saved = await this.store.save({ ...input, endpoints })
    this.dropClient(saved.id)
    this.log.info(`connection "${saved.name}" saved (${saved.endpoints.join(', ')}${saved.ssh ? ` through SSH ${saved.ssh.hops.map(hopLabel).join(' → ')}` : ''})`)
    return this.withCertificates(saved)
  }

  async remove(id: string): Promise<void> {
    const c = await this.store.get(id)
    this.dropClient(id)
    await this.store.remove(id)
    this.log.info(`connection "${c.name}" deleted`)
  }

  /** What a test or an import works on: the form's settings (secrets from the store where the form keeps them), or a saved profile. */
  private async resolve(params: { id?: string; input?: ConnectionInput }) {
    if (params.input) {
      const i = params.input
      let password = i.password
      if (password === undefined && i.id) password = (await this.store.password(i.id)) ?? ''
      const hops = i.ssh?.hops ?? []
      validateHops(hops)
      return {
        id: i.id,
        endpoints: i.endpoints.map((e) => e.trim()).filter(Boolean),
        tls: i.tls,
        auth: i.username?.trim() ? { username: i.username.trim(), password: password ?? '' } : undefined,
        hops: this.hopSpecs(hops, i.id ? await this.store.sshSecrets(i.id) : new Map()),
      }
    }
    if (params.id) {
      const c = await this.store.get(params.id)
      return {
        id: c.id,
        endpoints: c.endpoints,
        tls: c.tls,
        auth: c.username ? { username: c.username, password: (await this.store.password(c.id)) ?? '' } : undefined,
        hops: this.hopSpecs(c.ssh?.hops ?? [], await this.store.sshSecrets(c.id)),
      }
    }
    throw new AppError(ErrorCode.InvalidParams, 'Give a saved connection id or connection settings.')
  }

  /** The tunnel's hops: secrets from the form when it sets them, else the stored ones; trust is the confirmed host key. */
  private hopSpecs(hops: HopWithSecrets[], stored: Map<string, HopSecrets>): SshHopSpec[] {
    return hops.map((h) => {
      const kept = h.id ? stored.get(h.id) : undefined
      const given = (v: string | undefined, old: string | undefined) => (v === undefined ? old : v === '' ? undefined : v)
      const passphrase = given('passphrase' in h ? h.passphrase : undefined, kept?.passphrase)
      const password = given('password' in h ? (h as SshHopInput).password : undefined, kept?.password)
      const auth: SshHopSpec['auth'] =
        h.auth === 'key'
          ? { kind: 'key', keyFile: h.keyFile?.trim() ?? '', ...(passphrase ? { passphrase } : {}) }
          : h.auth === 'agent'
            ? { kind: 'agent' }
            : { kind: 'password', ...(password ? { password } : {}) }
      return {
        host: h.host.trim(),
        port: h.port,
        user: h.user.trim(),
        auth,
        trust: { kind: 'profile', trusted: h.hostKey ? [{ algorithm: h.hostKey.algorithm, blob: Buffer.from(h.hostKey.key, 'base64') }] : [], revoked: [] },
      }
    })
  }

  private tunnel(hops: SshHopSpec[], timeoutMs?: number, keepaliveIntervalMs?: number): SshTunnel | undefined {
    if (hops.length === 0) return undefined
    return new SshTunnel(hops, { unseal: this.unseal, log: this.log, ...(timeoutMs ? { timeoutMs } : {}), ...(keepaliveIntervalMs !== undefined ? { keepaliveIntervalMs } : {}) })
  }

  /** Runs the doctor on a saved connection, or on unsaved settings from the edit form. */
  async test(params: { id?: string; input?: ConnectionInput }): Promise<DoctorReport> {
    const r = await this.resolve(params)
    const { endpoints, tls, auth } = r
    if (endpoints.length === 0) throw new AppError(ErrorCode.InvalidParams, 'Give at least one endpoint to test.')

    let material: TlsMaterial | undefined
    if (needsTls(endpoints, tls)) {
      try {
        material = await loadTlsMaterial(tlsFiles(tls), new Date(), this.unseal)
      } catch (err) {
        if (!(err instanceof TlsMaterialError)) throw err
        // A bad file is wrong for every endpoint: say it once per endpoint, before any network call.
        return {
          ok: false,
          verdicts: endpoints.map((endpoint) => ({ endpoint, status: 'fail' as const, problem: err.kind, message: err.message, fix: err.hint ?? '', steps: [{ name: 'files' as const, ok: false, ms: 0, note: err.kind }], details: {} })),
        }
      }
    }
    const timeoutMs = 4000
    const tunnel = this.tunnel(r.hops, timeoutMs, 0)
    let report: DoctorReport
    try {
      report = await diagnose({ endpoints, ...(material ? { tls: material } : {}), ...(auth ? { auth } : {}), ...(tunnel ? { tunnel } : {}), tlsFiles: tls ?? null, timeoutMs })
    } finally {
      tunnel?.close()
    }
    const seen = report.certificates?.filter((c) => c.role === 'server') ?? []
    if (r.id && seen.length) await this.store.recordServerCertificates(r.id, seen).catch((err: Error) => this.log.warn(`could not record server certificates: ${err.message}`))
    return report
  }

  /** kubeadm import from a local folder, or over SSH from the last hop of the given settings. */
  async kubeadmImport(params: { folder?: string; input?: ConnectionInput; root?: string }): Promise<KubeadmImport> {
    let source: KubeadmSource
    let tunnel: SshTunnel | undefined
    if (params.folder) source = await folderSource(params.folder)
    else if (params.input?.ssh?.hops.length) {
      const r = await this.resolve({ input: params.input })
      tunnel = this.tunnel(r.hops, 8000, 0)!
      try {
        const clients = await tunnel.connect()
        source = sshSource(clients[clients.length - 1]!, hopLabel(r.hops[r.hops.length - 1]!), params.root ?? '/etc/kubernetes')
      } catch (err) {
        tunnel.close()
        throw err
      }
    } else throw new AppError(ErrorCode.InvalidParams, 'Give a folder, or SSH settings that reach the control-plane node.', 'The node to import from is the last host of the SSH tunnel.')
    try {
      const result = await importKubeadm(source, (kind, name, pem) => this.importPem(kind, name, pem))
      this.log.info(`kubeadm import from ${result.source}: ${result.endpoints.length} endpoint(s), ${result.certificates.length} certificate(s)`)
      return result
    } finally {
      source.close?.()
      tunnel?.close()
    }
  }

  /** The shared client of a saved connection (created on first use, dropped when the profile changes). */
  async client(id: string): Promise<EtcdClient> {
    const existing = this.clients.get(id)
    if (existing) return existing.client
    const c = await this.store.get(id)
    const tls = needsTls(c.endpoints, c.tls) ? await loadTlsMaterial(tlsFiles(c.tls), new Date(), this.unseal) : undefined
    const password = c.username ? ((await this.store.password(id)) ?? '') : null
    const tunnel = this.tunnel(this.hopSpecs(c.ssh?.hops ?? [], await this.store.sshSecrets(id)))
    const client = new EtcdClient({
      endpoints: c.endpoints,
      ...(tls ? { tls } : {}),
      ...(c.username ? { auth: { username: c.username, password: password ?? '' } } : {}),
      ...(tunnel ? { dialer: tunnel } : {}),
    })
    this.clients.set(id, { client, ...(tunnel ? { tunnel } : {}) })
    return client
  }

  private dropClient(id: string) {
    const c = this.clients.get(id)
    c?.client.close()
    c?.tunnel?.close()
    this.clients.delete(id)
  }

  dispose(): void {
    for (const id of [...this.clients.keys()]) this.dropClient(id)
  }
}
