// Saved connection profiles: one JSON file (0600) in the data folder, written atomically, with
// passwords, SSH passphrases and SSH passwords sealed by the SecretBox.

import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { randomUUID } from 'node:crypto'
import { AppError, ErrorCode, msg, type CertificateInfo, type ConnectionInput, type ConnectionSummary, type SshHop, type SshHopInput, type SshHostKey } from '../../shared'
import { fingerprint, keyAlgorithm } from '../ssh/hostKeys'
import { writeFileAtomic } from '../fsAtomic'
import type { SecretBox } from '../secretBox'

interface StoredHop extends SshHop {
  sealedPassphrase?: string
  sealedPassword?: string
}

interface StoredConnection extends Omit<ConnectionSummary, 'hasPassword' | 'ssh' | 'certificates'> {
  sealedPassword?: string
  ssh?: { hops: StoredHop[] } | null
  /** Server certificates as the doctor last saw them (public data). */
  serverCertificates?: CertificateInfo[]
}

/** A profile's summary without the certificates read from files (the service adds those). */
export type StoredSummary = Omit<ConnectionSummary, 'certificates'> & { serverCertificates: CertificateInfo[] }

/** The opened SSH secrets of one hop. */
export interface HopSecrets {
  passphrase?: string
  password?: string
}

interface StoreFile {
  version: 1
  connections: StoredConnection[]
}

const PALETTE = ['#2563eb', '#16a34a', '#d97706', '#dc2626', '#7c3aed', '#0891b2', '#db2777']

export class ConnectionStore {
  private readonly file: string
  private cache: StoredConnection[] | null = null
  private writing: Promise<void> = Promise.resolve()

  constructor(
    dataDir: string,
    private readonly secrets: SecretBox,
    private readonly now: () => number = Date.now,
  ) {
    this.file = path.join(dataDir, 'connections.json')
  }

  private async load(): Promise<StoredConnection[]> {
    if (this.cache) return this.cache
    try {
      const parsed = JSON.parse(await readFile(this.file, 'utf8')) as StoreFile
      this.cache = parsed.connections ?? []
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        throw new AppError(ErrorCode.Internal, msg('conn.store.unreadable', { file: this.file, detail: (err as Error).message }), msg('conn.store.unreadableHint'))
      this.cache = []
    }
    return this.cache
  }

  private persist(list: StoredConnection[]): Promise<void> {
    // Writes are serialised so a slow write never lands after a newer one.
    const body = JSON.stringify({ version: 1, connections: list } satisfies StoreFile, null, 2)
    this.writing = this.writing.then(() => writeFileAtomic(this.file, body, 0o600))
    return this.writing
  }

  private static summary(c: StoredConnection): StoredSummary {
    const { sealedPassword, ssh, serverCertificates, ...rest } = c
    return {
      ...rest,
      hasPassword: Boolean(sealedPassword),
      ssh: ssh?.hops.length
        ? {
            hops: ssh.hops.map(({ sealedPassphrase, sealedPassword: hopPassword, ...hop }) => ({ ...hop, hasPassphrase: Boolean(sealedPassphrase), hasPassword: Boolean(hopPassword) })),
          }
        : null,
      serverCertificates: serverCertificates ?? [],
    }
  }

  async list(): Promise<StoredSummary[]> {
    return (await this.load()).map(ConnectionStore.summary)
  }

  async get(id: string): Promise<StoredSummary> {
    const c = (await this.load()).find((x) => x.id === id)
    if (!c) throw new AppError(ErrorCode.NotFound, msg('conn.store.notFound', { id }), msg('conn.store.notFoundHint'))
    return ConnectionStore.summary(c)
  }

  /** The SSH secrets of a profile's hops in clear, by hop id; never sent to the renderer. */
  async sshSecrets(id: string): Promise<Map<string, HopSecrets>> {
    const c = (await this.load()).find((x) => x.id === id)
    const out = new Map<string, HopSecrets>()
    for (const h of c?.ssh?.hops ?? []) {
      out.set(h.id, {
        ...(h.sealedPassphrase ? { passphrase: this.secrets.open(h.sealedPassphrase) } : {}),
        ...(h.sealedPassword ? { password: this.secrets.open(h.sealedPassword) } : {}),
      })
    }
    return out
  }

  /** Keeps what the doctor saw of the servers' certificates, without touching the profile itself. */
  async recordServerCertificates(id: string, certs: CertificateInfo[]): Promise<void> {
    const list = [...(await this.load())]
    const idx = list.findIndex((c) => c.id === id)
    if (idx < 0) return
    const byEndpoint = new Map((list[idx]!.serverCertificates ?? []).map((c) => [c.source, c]))
    for (const c of certs) byEndpoint.set(c.source, c)
    list[idx] = { ...list[idx]!, serverCertificates: [...byEndpoint.values()].filter((c) => list[idx]!.endpoints.includes(c.source)) }
    await this.persist(list)
    this.cache = list
  }

  /** The key as confirmed; algorithm and fingerprint are recomputed from the key itself, never taken on trust. */
  private static hostKey(k: SshHostKey): SshHostKey {
    const blob = Buffer.from(k.key, 'base64')
    const algorithm = keyAlgorithm(blob)
    if (algorithm === 'unknown') throw new AppError(ErrorCode.InvalidParams, msg('conn.store.badHostKey'), msg('conn.store.badHostKeyHint'))
    return { algorithm, key: blob.toString('base64'), fingerprint: fingerprint(blob), trustedAt: k.trustedAt }
  }

  private sealHops(input: SshHopInput[], existing: StoredHop[]): StoredHop[] {
    return input.map((h) => {
      const old = h.id ? existing.find((e) => e.id === h.id) : undefined
      const seal = (value: string | undefined, previous: string | undefined) => (value === undefined ? previous : value === '' ? undefined : this.secrets.seal(value))
      const hop: StoredHop = { id: old?.id ?? randomUUID(), host: h.host.trim(), port: h.port, user: h.user.trim(), auth: h.auth }
      if (h.auth === 'key' && h.keyFile?.trim()) hop.keyFile = h.keyFile.trim()
      if (h.hostKey) hop.hostKey = ConnectionStore.hostKey(h.hostKey)
      const passphrase = h.auth === 'key' ? seal(h.passphrase, old?.sealedPassphrase) : undefined
      const password = h.auth === 'password' ? seal(h.password, old?.sealedPassword) : undefined
      if (passphrase) hop.sealedPassphrase = passphrase
      if (password) hop.sealedPassword = password
      return hop
    })
  }

  /** The stored password in clear, for opening a client; never sent to the renderer. */
  async password(id: string): Promise<string | null> {
    const c = (await this.load()).find((x) => x.id === id)
    return c?.sealedPassword ? this.secrets.open(c.sealedPassword) : null
  }

  async save(input: ConnectionInput): Promise<StoredSummary> {
    const list = [...(await this.load())]
    const at = this.now()
    const existing = input.id ? list.find((c) => c.id === input.id) : undefined
    if (input.id && !existing) throw new AppError(ErrorCode.NotFound, msg('conn.store.notFound', { id: input.id }))
    const clash = list.find((c) => c.name.toLowerCase() === input.name.trim().toLowerCase() && c.id !== input.id)
    if (clash) throw new AppError(ErrorCode.Conflict, msg('conn.store.nameTaken', { name: clash.name }), msg('conn.store.nameTakenHint'))
    const next: StoredConnection = {
      id: existing?.id ?? randomUUID(),
      name: input.name.trim(),
      color: input.color ?? existing?.color ?? PALETTE[list.length % PALETTE.length]!,
      endpoints: input.endpoints.map((e) => e.trim()).filter(Boolean),
      tls: input.tls && Object.values(input.tls).some((v) => v !== undefined && v !== '' && v !== false) ? input.tls : null,
      ssh: input.ssh?.hops.length ? { hops: this.sealHops(input.ssh.hops, existing?.ssh?.hops ?? []) } : null,
      username: input.username?.trim() || null,
      readOnly: input.readOnly ?? false,
      production: input.production ?? false,
      createdAt: existing?.createdAt ?? at,
      updatedAt: at,
    }
    const sealed = input.password === undefined ? existing?.sealedPassword : input.password === '' ? undefined : this.secrets.seal(input.password)
    if (sealed) next.sealedPassword = sealed
    if (!next.username) delete next.sealedPassword
    // What the doctor saw stays valid for the endpoints that remain.
    const seen = existing?.serverCertificates?.filter((c) => next.endpoints.includes(c.source))
    if (seen?.length) next.serverCertificates = seen
    const idx = list.findIndex((c) => c.id === next.id)
    if (idx >= 0) list[idx] = next
    else list.push(next)
    await this.persist(list)
    this.cache = list
    return ConnectionStore.summary(next)
  }

  async remove(id: string): Promise<void> {
    const list = (await this.load()).filter((c) => c.id !== id)
    await this.persist(list)
    this.cache = list
  }
}
