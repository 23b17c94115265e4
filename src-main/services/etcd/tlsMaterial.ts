// TLS material for etcd connections: PEM files read once, checked before any network call, so that
// a wrong file gives a precise message instead of a generic handshake failure.

import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { AppError, ErrorCode } from '../../shared'

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
    message: string,
    hint: string,
  ) {
    super(ErrorCode.InvalidParams, message, hint, { tls: kind })
    this.name = 'TlsMaterialError'
  }
}

async function readPem(file: string, what: string, unseal?: Unsealer): Promise<Buffer> {
  try {
    const body = await readFile(file)
    if (!file.endsWith(SEALED_SUFFIX)) return body
    if (!unseal) throw new TlsMaterialError('file-unreadable', `The ${what} file ${file} is sealed by Raftdeck and cannot be opened here.`, 'Import the file again.')
    return Buffer.from(unseal(body.toString('utf8')))
  } catch (err) {
    if (err instanceof TlsMaterialError) throw err
    const code = (err as NodeJS.ErrnoException).code
    throw new TlsMaterialError(
      'file-unreadable',
      `Cannot read the ${what} file ${file} (${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(code)}).`,
      `Check the path of the ${what}; the file must be readable by the user running Raftdeck.`,
    )
  }
}

/** Splits a PEM bundle into certificates; throws a clear error if any block is not a certificate. */
export function parseCertificates(pem: Buffer, what: string, file: string): X509Certificate[] {
  const blocks = pem.toString('utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)
  if (!blocks || blocks.length === 0) {
    const hasKey = /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem.toString('utf8'))
    throw new TlsMaterialError(
      'bad-certificate',
      `The ${what} file ${file} contains no PEM certificate${hasKey ? ' (it holds a private key: the files may be swapped)' : ''}.`,
      `Point the ${what} at a file that starts with -----BEGIN CERTIFICATE-----.`,
    )
  }
  return blocks.map((b) => {
    try {
      return new X509Certificate(b)
    } catch (err) {
      throw new TlsMaterialError('bad-certificate', `The ${what} file ${file} holds a certificate that cannot be parsed (${(err as Error).message}).`, 'Re-export the certificate in PEM format.')
    }
  })
}

function parseKey(pem: Buffer, file: string): KeyObject {
  const text = pem.toString('utf8')
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(text))
    throw new TlsMaterialError('bad-key', `The key file ${file} is encrypted with a passphrase.`, 'Decrypt it first: openssl pkey -in key.pem -out key-plain.pem (keep the result private).')
  if (!/-----BEGIN (RSA |EC )?PRIVATE KEY-----/.test(text)) {
    const isCert = /-----BEGIN CERTIFICATE-----/.test(text)
    throw new TlsMaterialError(
      'bad-key',
      `The key file ${file} contains no PEM private key${isCert ? ' (it holds a certificate: the files may be swapped)' : ''}.`,
      'Use the private key in PEM: PKCS#1 (BEGIN RSA PRIVATE KEY), SEC1 (BEGIN EC PRIVATE KEY) or PKCS#8 (BEGIN PRIVATE KEY).',
    )
  }
  try {
    return createPrivateKey(pem)
  } catch (err) {
    throw new TlsMaterialError('bad-key', `The key file ${file} cannot be parsed (${(err as Error).message}).`, 'Re-export the key in PEM (PKCS#1, SEC1 or PKCS#8).')
  }
}

/** Reads and checks the files; every problem found here has a specific message and fix. */
export async function loadTlsMaterial(files: TlsFiles, now = new Date(), unseal?: Unsealer): Promise<TlsMaterial> {
  const material: TlsMaterial = { insecureSkipVerify: files.insecureSkipVerify ?? false, caCerts: [] }
  if (files.serverName) material.serverName = files.serverName
  if (files.caFile) {
    material.ca = await readPem(files.caFile, 'CA')
    material.caCerts = parseCertificates(material.ca, 'CA', files.caFile)
  }
  if (Boolean(files.certFile) !== Boolean(files.keyFile))
    throw new TlsMaterialError('cert-without-key', 'A client certificate needs its private key, and a key its certificate.', 'Give both the certificate and the key files, or neither.')
  if (files.certFile && files.keyFile) {
    material.cert = await readPem(files.certFile, 'client certificate')
    material.key = await readPem(files.keyFile, 'client key', unseal)
    const [leaf] = parseCertificates(material.cert, 'client certificate', files.certFile)
    const key = parseKey(material.key, files.keyFile)
    if (!leaf!.checkPrivateKey(key))
      throw new TlsMaterialError('key-mismatch', `The key ${files.keyFile} does not belong to the certificate ${files.certFile}.`, 'Use the key that was generated with this certificate (their public keys must match).')
    if (new Date(leaf!.validTo) < now)
      throw new TlsMaterialError('client-cert-expired', `The client certificate ${files.certFile} expired on ${new Date(leaf!.validTo).toISOString()}.`, 'Issue a new client certificate from the cluster CA.')
    if (new Date(leaf!.validFrom) > now)
      throw new TlsMaterialError('client-cert-not-yet-valid', `The client certificate ${files.certFile} is not valid before ${new Date(leaf!.validFrom).toISOString()}.`, "Check this machine's clock, or wait until the certificate becomes valid.")
    material.clientCert = leaf!
  }
  return material
}
