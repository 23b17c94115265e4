// TLS material for etcd connections: PEM files read once, checked before any network call, so that
// a wrong file gives a precise message instead of a generic handshake failure.

import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { AppError, ErrorCode, msg, type Msg } from '../../shared'

export interface TlsFiles {
  /** CA bundle (PEM). Absent: the system's trusted roots. */
  caFile?: string
  certFile?: string
  keyFile?: string
  /** Name to verify the server certificate against instead of the endpoint's host. */
  serverName?: string
  /** Skip server certificate verification entirely (explicit, visible, never the default). */
  insecureSkipVerify?: boolean
}

/** Files Raftdeck imported itself keep private keys sealed; this opens them. */
export type Unsealer = (sealed: string) => string
export const SEALED_SUFFIX = '.sealed'

export interface TlsMaterial {
  ca?: Buffer
  cert?: Buffer
  key?: Buffer
  serverName?: string
  insecureSkipVerify: boolean
  /** Parsed client certificate, for diagnostics. */
  clientCert?: X509Certificate
  caCerts: X509Certificate[]
}

export type TlsProblemKind = 'file-unreadable' | 'bad-certificate' | 'bad-key' | 'key-mismatch' | 'client-cert-expired' | 'client-cert-not-yet-valid' | 'cert-without-key'

export class TlsMaterialError extends AppError {
  constructor(
    readonly kind: TlsProblemKind,
    message: string | Msg,
    hint: string | Msg,
  ) {
    super(ErrorCode.InvalidParams, message, hint, { tls: kind })
    this.name = 'TlsMaterialError'
  }
}

/** Which file a message is about, in the reader's language. */
type PemWhat = 'ca' | 'cert' | 'key'
const whatMsg = (what: PemWhat): Msg => msg(`conn.tls.what.${what}`)

/** Why a file cannot be read, from its errno code. */
export function whyUnreadable(code: string | undefined): Msg | string {
  if (code === 'ENOENT') return msg('conn.why.noSuchFile')
  if (code === 'EACCES') return msg('conn.why.permissionDenied')
  return String(code)
}

async function readPem(file: string, what: PemWhat, unseal?: Unsealer): Promise<Buffer> {
  try {
    const body = await readFile(file)
    if (!file.endsWith(SEALED_SUFFIX)) return body
    if (!unseal) throw new TlsMaterialError('file-unreadable', msg('conn.tls.sealed', { what: whatMsg(what), file }), msg('conn.tls.importAgain'))
    return Buffer.from(unseal(body.toString('utf8')))
  } catch (err) {
    if (err instanceof TlsMaterialError) throw err
    const code = (err as NodeJS.ErrnoException).code
    throw new TlsMaterialError('file-unreadable', msg('conn.tls.unreadable', { what: whatMsg(what), file, why: whyUnreadable(code) }), msg('conn.tls.unreadableHint', { what: whatMsg(what) }))
  }
}

/** Splits a PEM bundle into certificates; throws a clear error if any block is not a certificate. */
export function parseCertificates(pem: Buffer, what: 'ca' | 'cert', file: string): X509Certificate[] {
  const blocks = pem.toString('utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)
  if (!blocks || blocks.length === 0) {
    const hasKey = /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem.toString('utf8'))
    throw new TlsMaterialError(
      'bad-certificate',
      msg(hasKey ? 'conn.tls.noCertHasKey' : 'conn.tls.noCert', { what: whatMsg(what), file }),
      msg('conn.tls.noCertHint', { what: whatMsg(what) }),
    )
  }
  return blocks.map((b) => {
    try {
      return new X509Certificate(b)
    } catch (err) {
      throw new TlsMaterialError('bad-certificate', msg('conn.tls.badCert', { what: whatMsg(what), file, detail: (err as Error).message }), msg('conn.tls.badCertHint'))
    }
  })
}

function parseKey(pem: Buffer, file: string): KeyObject {
  const text = pem.toString('utf8')
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(text))
    throw new TlsMaterialError('bad-key', msg('conn.tls.encryptedKey', { file }), msg('conn.tls.encryptedKeyHint'))
  if (!/-----BEGIN (RSA |EC )?PRIVATE KEY-----/.test(text)) {
    const isCert = /-----BEGIN CERTIFICATE-----/.test(text)
    throw new TlsMaterialError('bad-key', msg(isCert ? 'conn.tls.noKeyHasCert' : 'conn.tls.noKey', { file }), msg('conn.tls.noKeyHint'))
  }
  try {
    return createPrivateKey(pem)
  } catch (err) {
    throw new TlsMaterialError('bad-key', msg('conn.tls.badKey', { file, detail: (err as Error).message }), msg('conn.tls.badKeyHint'))
  }
}

/** Reads and checks the files; every problem found here has a specific message and fix. */
export async function loadTlsMaterial(files: TlsFiles, now = new Date(), unseal?: Unsealer): Promise<TlsMaterial> {
  const material: TlsMaterial = { insecureSkipVerify: files.insecureSkipVerify ?? false, caCerts: [] }
  if (files.serverName) material.serverName = files.serverName
  if (files.caFile) {
    material.ca = await readPem(files.caFile, 'ca')
    material.caCerts = parseCertificates(material.ca, 'ca', files.caFile)
  }
  if (Boolean(files.certFile) !== Boolean(files.keyFile))
    throw new TlsMaterialError('cert-without-key', msg('conn.tls.certWithoutKey'), msg('conn.tls.certWithoutKeyHint'))
  if (files.certFile && files.keyFile) {
    material.cert = await readPem(files.certFile, 'cert')
    material.key = await readPem(files.keyFile, 'key', unseal)
    const [leaf] = parseCertificates(material.cert, 'cert', files.certFile)
    const key = parseKey(material.key, files.keyFile)
    if (!leaf!.checkPrivateKey(key))
      throw new TlsMaterialError('key-mismatch', msg('conn.tls.keyMismatch', { keyFile: files.keyFile, certFile: files.certFile }), msg('conn.tls.keyMismatchHint'))
    if (new Date(leaf!.validTo) < now)
      throw new TlsMaterialError('client-cert-expired', msg('conn.tls.clientExpired', { file: files.certFile, date: new Date(leaf!.validTo).toISOString() }), msg('conn.tls.clientExpiredHint'))
    if (new Date(leaf!.validFrom) > now)
      throw new TlsMaterialError('client-cert-not-yet-valid', msg('conn.tls.clientNotYetValid', { file: files.certFile, date: new Date(leaf!.validFrom).toISOString() }), msg('conn.tls.clientNotYetValidHint'))
    material.clientCert = leaf!
  }
  return material
}
