// Saved connections: profiles, their clients, and the doctor that explains why one does not work.

import { AppError, ErrorCode, type ConnectionInput, type ConnectionSummary, type DoctorReport, type TlsSettings } from '../../shared'
import { EtcdClient, parseEndpoint } from '../etcd/client'
import { loadTlsMaterial, parseCertificates, SEALED_SUFFIX, TlsMaterialError, type TlsMaterial } from '../etcd/tlsMaterial'
import { createPrivateKey, randomUUID } from 'node:crypto'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { writeFileAtomic } from '../fsAtomic'
import type { SecretBox } from '../secretBox'
import type { Logger } from '../log'
import { runDoctor } from './doctor'
import type { ConnectionStore } from './store'

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

export class ConnectionService {
  private readonly clients = new Map<string, EtcdClient>()

  constructor(
    private readonly store: ConnectionStore,
    private readonly log: Logger,
    private readonly secrets: SecretBox,
    private readonly dataDir: string,
  ) {}

  private readonly unseal = (sealed: string) => this.secrets.open(sealed)

  /**
   * Keeps a copy of a PEM file the user picked (the browser cannot hand over a path). Certificates are
   * stored as they are (0600); a private key is stored sealed, like passwords. Returns the path to use.
   */
  async importPem(kind: 'ca' | 'cert' | 'key', fileName: string, pem: string): Promise<{ path: string }> {
    const body = Buffer.from(pem, 'utf8')
    if (kind === 'key') {
      try {
        createPrivateKey(body)
      } catch (err) {
        throw new TlsMaterialError('bad-key', `${fileName} is not a PEM private key (${(err as Error).message}).`, 'Pick the key file (PKCS#1, PKCS#8 or EC, not encrypted).')
      }
    } else parseCertificates(body, kind === 'ca' ? 'CA' : 'client certificate', fileName)
    const dir = path.join(this.dataDir, 'imported')
    await mkdir(dir, { recursive: true, mode: 0o700 })
    const base = `${randomUUID()}-${kind}.pem`
    const file = path.join(dir, kind === 'key' ? base + SEALED_SUFFIX : base)
    await writeFileAtomic(file, kind === 'key' ? this.secrets.seal(pem) : body, 0o600)
    this.log.info(`imported ${kind === 'key' ? 'a private key (sealed)' : `a ${kind === 'ca' ? 'CA' : 'client'} certificate`} from ${fileName}`)
    return { path: file }
  }

  list(): Promise<ConnectionSummary[]> {
    return this.store.list()
  }

  get(id: string): Promise<ConnectionSummary> {
    return this.store.get(id)
  }

  async save(input: ConnectionInput): Promise<ConnectionSummary> {
    if (!input.name.trim()) throw new AppError(ErrorCode.InvalidParams, 'A connection needs a name.')
    const endpoints = input.endpoints.map((e) => e.trim()).filter(Boolean)
    if (endpoints.length === 0) throw new AppError(ErrorCode.InvalidParams, 'A connection needs at least one endpoint.', 'For example https://10.0.0.1:2379.')
    for (const e of endpoints) parseEndpoint(e)
    if (input.password && !input.username?.trim()) throw new AppError(ErrorCode.InvalidParams, 'A password was given without a user name.')
    const saved = await this.store.save({ ...input, endpoints })
    this.dropClient(saved.id)
    this.log.info(`connection "${saved.name}" saved (${saved.endpoints.join(', ')})`)
    return saved
  }

  async remove(id: string): Promise<void> {
    const c = await this.store.get(id)
    this.dropClient(id)
    await this.store.remove(id)
    this.log.info(`connection "${c.name}" deleted`)
  }

  /** Runs the doctor on a saved connection, or on unsaved settings from the edit form. */
  async test(params: { id?: string; input?: ConnectionInput }): Promise<DoctorReport> {
    let endpoints: string[]
    let tls: TlsSettings | null | undefined
    let auth: { username: string; password: string } | undefined
    if (params.input) {
      const i = params.input
      endpoints = i.endpoints.map((e) => e.trim()).filter(Boolean)
      tls = i.tls
      let password = i.password
      if (password === undefined && i.id) password = (await this.store.password(i.id)) ?? ''
      if (i.username?.trim()) auth = { username: i.username.trim(), password: password ?? '' }
    } else if (params.id) {
      const c = await this.store.get(params.id)
      endpoints = c.endpoints
      tls = c.tls
      if (c.username) auth = { username: c.username, password: (await this.store.password(c.id)) ?? '' }
    } else throw new AppError(ErrorCode.InvalidParams, 'Give a saved connection id or connection settings to test.')
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
    const verdicts = await runDoctor({ endpoints, ...(material ? { tls: material } : {}), ...(auth ? { auth } : {}) })
    return { ok: verdicts.every((v) => v.status !== 'fail'), verdicts }
  }

  /** The shared client of a saved connection (created on first use, dropped when the profile changes). */
  async client(id: string): Promise<EtcdClient> {
    const existing = this.clients.get(id)
    if (existing) return existing
    const c = await this.store.get(id)
    const tls = needsTls(c.endpoints, c.tls) ? await loadTlsMaterial(tlsFiles(c.tls), new Date(), this.unseal) : undefined
    const password = c.username ? ((await this.store.password(id)) ?? '') : null
    const client = new EtcdClient({ endpoints: c.endpoints, ...(tls ? { tls } : {}), ...(c.username ? { auth: { username: c.username, password: password ?? '' } } : {}) })
    this.clients.set(id, client)
    return client
  }

  private dropClient(id: string) {
    this.clients.get(id)?.close()
    this.clients.delete(id)
  }

  dispose(): void {
    for (const c of this.clients.values()) c.close()
    this.clients.clear()
  }
}
