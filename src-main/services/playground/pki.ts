// "TLS everywhere" for a playground: a certificate authority made for it, a server and a peer
// certificate for every member and a client certificate, written as PEM files into the playground's
// folder, so members run with etcd's TLS flags as a production cluster does.
//
// Certificates are X.509 v3 with ECDSA P-256 keys, built here with Node's crypto (no openssl needed
// on the user's machine): a small DER encoder, then crypto.sign over the TBSCertificate. The private
// keys are secrets: they are written 0600 into the playground's 0700 folder (as etcd keeps its own
// key files) and deleted with the playground.

import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto'
import { mkdir, readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import { writeFileAtomic } from '../fsAtomic'

// ---- DER ---------------------------------------------------------------------------------------

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n])
  const bytes: number[] = []
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff)
  return Buffer.from([0x80 | bytes.length, ...bytes])
}

const tlv = (tag: number, body: Buffer): Buffer => Buffer.concat([Buffer.from([tag]), len(body.length), body])
const seq = (...items: Buffer[]) => tlv(0x30, Buffer.concat(items))
const set = (...items: Buffer[]) => tlv(0x31, Buffer.concat(items))
const ctx = (n: number, body: Buffer, constructed = true) => tlv((constructed ? 0xa0 : 0x80) | n, body)
const bool = (v: boolean) => tlv(0x01, Buffer.from([v ? 0xff : 0x00]))
const octets = (b: Buffer) => tlv(0x04, b)
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, 'utf8'))
const bitString = (b: Buffer, unused = 0) => tlv(0x03, Buffer.concat([Buffer.from([unused]), b]))

function integer(b: Buffer): Buffer {
  let v = b
  while (v.length > 1 && v[0] === 0 && v[1]! < 0x80) v = v.subarray(1)
  if (v[0]! >= 0x80) v = Buffer.concat([Buffer.from([0]), v])
  return tlv(0x02, v)
}

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number)
  const out = [40 * parts[0]! + parts[1]!]
  for (const p of parts.slice(2)) {
    const chunk: number[] = [p & 0x7f]
    for (let v = p >>> 7; v > 0; v >>>= 7) chunk.unshift(0x80 | (v & 0x7f))
    out.push(...chunk)
  }
  return tlv(0x06, Buffer.from(out))
}

/** UTCTime until 2049, GeneralizedTime after (RFC 5280 §4.1.2.5). */
function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14)
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${iso}Z`))
}

const OID = {
  ecdsaSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyId: '2.5.29.14',
  authorityKeyId: '2.5.29.35',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
}

function name(cn: string): Buffer {
  return seq(set(seq(oid(OID.organization), utf8('Raftdeck playground'))), set(seq(oid(OID.commonName), utf8(cn))))
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return seq(oid(id), ...(critical ? [bool(true)] : []), octets(value))
}

/** keyUsage bits, first bit = digitalSignature (RFC 5280 §4.2.1.3). */
function keyUsage(bits: number[]): Buffer {
  let v = 0
  for (const b of bits) v |= 0x80 >> b
  const last = Math.max(...bits)
  return bitString(Buffer.from([v]), 7 - last)
}

function sanIps(ips: string[], dns: string[]): Buffer {
  const ipBytes = (ip: string) => Buffer.from(ip.split('.').map(Number))
  return seq(...dns.map((d) => ctx(2, Buffer.from(d, 'ascii'), false)), ...ips.map((ip) => ctx(7, ipBytes(ip), false)))
}

function keyId(pub: KeyObject): Buffer {
  // RFC 5280 method 1: SHA-1 of the subjectPublicKey bits.
  const spki = pub.export({ type: 'spki', format: 'der' })
  return createHash('sha1').update(spki.subarray(spki.length - 65)).digest()
}

interface CertSpec {
  cn: string
  publicKey: KeyObject
  issuer: { cn: string; key: KeyObject; publicKey: KeyObject }
  ca: boolean
  usages: Array<'serverAuth' | 'clientAuth'>
  ips?: string[]
  dns?: string[]
  days: number
}

function certificate(s: CertSpec): string {
  const now = Date.now()
  const extensions = [
    extension(OID.basicConstraints, true, seq(...(s.ca ? [bool(true)] : []))),
    // CA: keyCertSign, cRLSign; leaves: digitalSignature (ECDHE key agreement signs with it).
    extension(OID.keyUsage, true, s.ca ? keyUsage([5, 6]) : keyUsage([0])),
    extension(OID.subjectKeyId, false, octets(keyId(s.publicKey))),
    ...(s.ca ? [] : [extension(OID.authorityKeyId, false, seq(ctx(0, keyId(s.issuer.publicKey), false)))]),
    ...(s.usages.length ? [extension(OID.extKeyUsage, false, seq(...s.usages.map((u) => oid(OID[u]))))] : []),
    ...(s.ips?.length || s.dns?.length ? [extension(OID.subjectAltName, false, sanIps(s.ips ?? [], s.dns ?? []))] : []),
  ]
  const sigAlg = seq(oid(OID.ecdsaSha256))
  const tbs = seq(
    ctx(0, integer(Buffer.from([2]))),
    integer(Buffer.concat([Buffer.from([0x01]), randomBytes(15)])),
    sigAlg,
    name(s.issuer.cn),
    seq(time(new Date(now - 3600_000)), time(new Date(now + s.days * 86_400_000))),
    name(s.cn),
    s.publicKey.export({ type: 'spki', format: 'der' }),
    ctx(3, seq(...extensions)),
  )
  const der = seq(tbs, sigAlg, bitString(sign('sha256', tbs, s.issuer.key)))
  return pem('CERTIFICATE', der)
}

function pem(label: string, der: Buffer): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`
}

// ---- the playground's PKI ----------------------------------------------------------------------

export interface MemberCertFiles {
  serverCert: string
  serverKey: string
  peerCert: string
  peerKey: string
}

export interface PlaygroundPki {
  dir: string
  caFile: string
  clientCert: string
  clientKey: string
  members: Map<string, MemberCertFiles>
}

const DAYS = 3650

export const pkiDir = (playgroundDir: string) => path.join(playgroundDir, 'pki')

export function pkiFiles(playgroundDir: string, members: string[]): PlaygroundPki {
  const dir = pkiDir(playgroundDir)
  const f = (n: string) => path.join(dir, n)
  return {
    dir,
    caFile: f('ca.pem'),
    clientCert: f('client.pem'),
    clientKey: f('client-key.pem'),
    members: new Map(members.map((m) => [m, { serverCert: f(`${m}-server.pem`), serverKey: f(`${m}-server-key.pem`), peerCert: f(`${m}-peer.pem`), peerKey: f(`${m}-peer-key.pem`) }])),
  }
}

const exists = (file: string) => stat(file).then(
  () => true,
  () => false,
)

function newKey(): { key: KeyObject; publicKey: KeyObject; pem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  return { key: privateKey, publicKey, pem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string }
}

/**
 * Makes (or completes) the playground's PKI: the CA once, then every member's server and peer
 * certificates and the client certificate that are missing (a member added later gets its own).
 * Certificates name 127.0.0.1 and localhost, where playground members listen.
 */
export async function ensurePki(playgroundDir: string, members: string[], playgroundName: string): Promise<PlaygroundPki> {
  const files = pkiFiles(playgroundDir, members)
  await mkdir(files.dir, { recursive: true, mode: 0o700 })
  const caKeyFile = path.join(files.dir, 'ca-key.pem')
  let ca: { key: KeyObject; publicKey: KeyObject }
  const caName = `Raftdeck playground CA (${playgroundName})`
  if ((await exists(files.caFile)) && (await exists(caKeyFile))) {
    const key = createPrivateKey(await readFile(caKeyFile))
    ca = { key, publicKey: createPublicKey(key) }
  } else {
    const k = newKey()
    ca = { key: k.key, publicKey: k.publicKey }
    await writeFileAtomic(caKeyFile, k.pem, 0o600)
    await writeFileAtomic(files.caFile, certificate({ cn: caName, publicKey: k.publicKey, issuer: { cn: caName, key: k.key, publicKey: k.publicKey }, ca: true, usages: [], days: DAYS }), 0o644)
  }
  const issuer = { cn: caName, ...ca }
  const leaf = async (certFile: string, keyFile: string, cn: string, usages: CertSpec['usages'], hosts: boolean) => {
    if ((await exists(certFile)) && (await exists(keyFile))) return
    const k = newKey()
    await writeFileAtomic(keyFile, k.pem, 0o600)
    await writeFileAtomic(certFile, certificate({ cn, publicKey: k.publicKey, issuer, ca: false, usages, days: DAYS, ...(hosts ? { ips: ['127.0.0.1'], dns: ['localhost'] } : {}) }), 0o644)
  }
  for (const [m, f] of files.members) {
    // Both certificates serve and dial: a member is a server to clients and peers, and a client of its peers.
    await leaf(f.serverCert, f.serverKey, `${m} (server)`, ['serverAuth', 'clientAuth'], true)
    await leaf(f.peerCert, f.peerKey, `${m} (peer)`, ['serverAuth', 'clientAuth'], true)
  }
  // etcd's CN-as-user convention: a client certificate named root acts as root when auth is on.
  await leaf(files.clientCert, files.clientKey, 'root', ['clientAuth'], false)
  return files
}
