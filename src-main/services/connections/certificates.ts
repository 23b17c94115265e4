// Certificate expiry at a glance: the CA and client certificate of a profile (read from their files)
// and the servers' certificates (as the doctor saw them in the TLS handshake), each with the days
// left and a warning EXPIRY_WARN_DAYS ahead.

import { X509Certificate } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { EXPIRY_WARN_DAYS, type CertificateInfo, type TlsSettings } from '../../shared'

const DAY_MS = 86_400_000

/** The CN of a distinguished name as X509Certificate prints it (one attribute a line), else its O. */
export function commonName(dn: string): string {
  const attrs = new Map<string, string>()
  for (const line of dn.split('\n')) {
    const eq = line.indexOf('=')
    if (eq > 0) attrs.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim())
  }
  return attrs.get('CN') ?? attrs.get('O') ?? (dn.trim() || 'unnamed')
}

export function certificateInfo(c: { subject: string; issuer: string; validFrom: string; validTo: string }, role: CertificateInfo['role'], source: string, now = Date.now()): CertificateInfo {
  const from = new Date(c.validFrom).getTime()
  const to = new Date(c.validTo).getTime()
  const daysLeft = Math.floor((to - now) / DAY_MS)
  const status: CertificateInfo['status'] = to < now ? 'expired' : from > now ? 'not-yet-valid' : daysLeft <= EXPIRY_WARN_DAYS ? 'warn' : 'ok'
  return { role, source, subject: c.subject, issuer: c.issuer, validFrom: new Date(from).toISOString(), validTo: new Date(to).toISOString(), daysLeft, status, checkedAt: now }
}

export function x509Info(cert: X509Certificate, role: CertificateInfo['role'], source: string, now = Date.now()): CertificateInfo {
  return certificateInfo({ subject: commonName(cert.subject), issuer: commonName(cert.issuer), validFrom: cert.validFrom, validTo: cert.validTo }, role, source, now)
}

/** Every certificate of a PEM file (a CA bundle may hold several); unreadable files give none (the doctor explains them). */
export async function pemCertificates(file: string, role: CertificateInfo['role'], now = Date.now()): Promise<CertificateInfo[]> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch {
    return []
  }
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []
  const out: CertificateInfo[] = []
  for (const b of role === 'client' ? blocks.slice(0, 1) : blocks) {
    try {
      out.push(x509Info(new X509Certificate(b), role, file, now))
    } catch {
      // Not parsable: the doctor's file check names it.
    }
  }
  return out
}

/** CA and client certificate of a profile, from their files. */
export async function fileCertificates(tls: TlsSettings | null | undefined, now = Date.now()): Promise<CertificateInfo[]> {
  if (!tls) return []
  return [...(tls.caFile ? await pemCertificates(tls.caFile, 'ca', now) : []), ...(tls.certFile ? await pemCertificates(tls.certFile, 'client', now) : [])]
}

/** Recomputes days left and status of certificates seen earlier. */
export function refreshed(list: CertificateInfo[], now = Date.now()): CertificateInfo[] {
  return list.map((c) => ({ ...certificateInfo(c, c.role, c.source, now), checkedAt: c.checkedAt }))
}
