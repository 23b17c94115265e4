// kubeadm import: read a control-plane node's /etc/kubernetes (over SSH, or a local copy of it) and
// turn it into a profile: the etcd client URLs from the static pod manifest, the etcd CA, and a
// client certificate and key (healthcheck-client, else apiserver-etcd-client). Every file looked for
// is reported, found or not, with the certificates' expiry.

import { X509Certificate, createPrivateKey } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import type { Client, SFTPWrapper } from 'ssh2'
import { AppError, ErrorCode, formatMessage, msg, type CertificateInfo, type KubeadmImport, type Msg } from '../../shared'
import { whyUnreadable } from '../etcd/tlsMaterial'
import { x509Info } from './certificates'

const MAX_FILE_BYTES = 1 << 20

/** Where the files come from: a folder here, or a node over SSH. `read` returns null for a missing file. */
export interface KubeadmSource {
  describe: string
  /** The kubeadm root as shown to the user (/etc/kubernetes, or the folder). */
  root: string
  read(relative: string): Promise<Buffer | null>
  close?(): void
}

/** A local folder laid out as kubeadm lays out /etc/kubernetes (or a folder that contains etc/kubernetes). */
export async function folderSource(folder: string): Promise<KubeadmSource> {
  const abs = path.resolve(folder)
  let st
  try {
    st = await stat(abs)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new AppError(ErrorCode.InvalidParams, msg('conn.kubeadm.cannotOpen', { folder: abs, why: code === 'ENOENT' ? msg('conn.why.noSuchFolder') : whyUnreadable(code) }), msg('conn.kubeadm.cannotOpenHint'))
  }
  if (!st.isDirectory()) throw new AppError(ErrorCode.InvalidParams, msg('conn.kubeadm.notFolder', { folder: abs }), msg('conn.kubeadm.notFolderHint'))
  const root = existsSync(path.join(abs, 'etc', 'kubernetes')) && !existsSync(path.join(abs, 'pki')) ? path.join(abs, 'etc', 'kubernetes') : abs
  return {
    describe: `folder ${root}`,
    root,
    async read(relative) {
      const file = path.join(root, relative)
      try {
        const s = await stat(file)
        if (s.size > MAX_FILE_BYTES) throw new AppError(ErrorCode.InvalidParams, msg('conn.kubeadm.tooLarge', { file }))
        return await readFile(file)
      } catch (err) {
        if (err instanceof AppError) throw err
        const code = (err as NodeJS.ErrnoException).code
        if (code === 'ENOENT') return null
        throw new AppError(ErrorCode.PermissionDenied, msg('conn.kubeadm.cannotRead', { file, why: whyUnreadable(code) }), msg('conn.kubeadm.cannotReadHint'))
      }
    },
  }
}

function sftpOf(client: Client): Promise<SFTPWrapper | null> {
  return new Promise((resolve) => client.sftp((err, sftp) => resolve(err ? null : sftp)))
}

function execRead(client: Client, command: string): Promise<{ code: number; out: Buffer; err: string }> {
  return new Promise((resolve, reject) => {
    client.exec(command, (err, stream) => {
      if (err) return reject(err)
      const out: Buffer[] = []
      const errOut: Buffer[] = []
      let size = 0
      stream.on('data', (d: Buffer) => {
        size += d.length
        if (size > MAX_FILE_BYTES) stream.close()
        else out.push(d)
      })
      stream.stderr.on('data', (d: Buffer) => errOut.push(d))
      stream.on('close', (code: number | null) => resolve({ code: code ?? -1, out: Buffer.concat(out), err: Buffer.concat(errOut).toString('utf8').trim() }))
    })
  })
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

/**
 * A control-plane node over SSH: files by SFTP; a file only root may read is read with `sudo -n cat`
 * (passwordless sudo), as an operator would.
 */
export function sshSource(client: Client, who: string, root = '/etc/kubernetes'): KubeadmSource {
  let sftp: Promise<SFTPWrapper | null> | null = null
  return {
    describe: `${who}:${root}`,
    root,
    async read(relative) {
      const file = path.posix.join(root, relative)
      sftp ??= sftpOf(client)
      const s = await sftp
      if (s) {
        const got = await new Promise<{ body: Buffer } | { code: number; message: string }>((resolve) =>
          s.readFile(file, (err: (Error & { code?: number }) | null | undefined, body: Buffer) => resolve(err ? { code: err.code ?? -1, message: err.message } : { body })),
        )
        if ('body' in got) return got.body
        if (got.code === 2) return null // SSH_FX_NO_SUCH_FILE
        if (got.code !== 3) throw new AppError(ErrorCode.Unavailable, msg('conn.kubeadm.cannotReadOn', { file, who, detail: got.message }))
      }
      // No SFTP, or permission denied: cat, then sudo -n cat.
      const plain = await execRead(client, `cat -- ${shellQuote(file)}`)
      if (plain.code === 0) return plain.out
      if (/no such file/i.test(plain.err)) return null
      const sudo = await execRead(client, `sudo -n cat -- ${shellQuote(file)}`)
      if (sudo.code === 0) return sudo.out
      throw new AppError(
        ErrorCode.PermissionDenied,
        msg(/password is required|a terminal is required/i.test(sudo.err) ? 'conn.kubeadm.deniedOnSudo' : 'conn.kubeadm.deniedOn', { file, who }),
        msg('conn.kubeadm.deniedOnHint'),
      )
    },
    close() {
      void sftp?.then((s) => s?.end())
    },
  }
}

/** The flags of etcd's static pod manifest (`- --name=value` items of the command). */
export function manifestFlags(yaml: string): Map<string, string> {
  const flags = new Map<string, string>()
  for (const line of yaml.split(/\r?\n/)) {
    const m = line.match(/^\s*-\s*(["']?)--([a-z0-9-]+)(?:=(.*?))?\1\s*$/)
    if (m) flags.set(m[2]!, m[3] ?? 'true')
  }
  const ann = yaml.match(/kubeadm\.kubernetes\.io\/etcd\.advertise-client-urls:\s*["']?([^"'\s]+)/)
  if (ann && !flags.has('advertise-client-urls')) flags.set('advertise-client-urls', ann[1]!)
  return flags
}

/** Client URLs for Raftdeck: the advertised ones; else the listened ones, loopback last. */
export function manifestEndpoints(flags: Map<string, string>): string[] {
  const split = (v: string | undefined) => (v ?? '').split(',').map((u) => u.trim()).filter(Boolean)
  const advertised = split(flags.get('advertise-client-urls'))
  if (advertised.length) return advertised
  const listen = split(flags.get('listen-client-urls'))
  const loopback = (u: string) => /\/\/(127\.|localhost|\[::1\])/.test(u)
  return [...listen.filter((u) => !loopback(u)), ...listen.filter(loopback)]
}

export interface PemStore {
  (kind: 'ca' | 'cert' | 'key', fileName: string, pem: string): Promise<{ path: string }>
}

/** Reads, checks and imports what a kubeadm node has; throws only when nothing usable was found. */
export async function importKubeadm(src: KubeadmSource, storePem: PemStore, now = Date.now()): Promise<KubeadmImport> {
  const findings: KubeadmImport['findings'] = []
  const warnings: string[] = []
  const warningMsgs: Msg[] = []
  /** A file looked for: what it is and what was found, in English and as messages for the UI. */
  const found = (what: Msg, path: string, isThere: boolean, note: Msg) =>
    findings.push({ what: formatMessage(what), path, found: isThere, note: formatMessage(note), whatMsg: what, noteMsg: note })
  const warn = (m: Msg) => {
    warnings.push(formatMessage(m))
    warningMsgs.push(m)
  }
  const certificates: CertificateInfo[] = []
  const shown = (rel: string) => (src.root.endsWith('/') ? src.root + rel : `${src.root}/${rel}`)
  /** Paths in the manifest are absolute on the node; read them relative to the kubeadm root. */
  const relativeToRoot = (abs: string | undefined, fallback: string) => (abs?.startsWith('/etc/kubernetes/') ? abs.slice('/etc/kubernetes/'.length) : fallback)

  // 1. The manifest: endpoints, and where the CA is.
  const manifest = await src.read('manifests/etcd.yaml')
  let endpoints: string[] = []
  let caRel = 'pki/etcd/ca.crt'
  if (!manifest) {
    found(msg('conn.kubeadm.what.manifest'), shown('manifests/etcd.yaml'), false, msg('conn.kubeadm.noManifest'))
    warn(msg('conn.kubeadm.warnNoManifest'))
  } else {
    const flags = manifestFlags(manifest.toString('utf8'))
    endpoints = manifestEndpoints(flags)
    caRel = relativeToRoot(flags.get('trusted-ca-file'), caRel)
    found(
      msg('conn.kubeadm.what.manifest'),
      shown('manifests/etcd.yaml'),
      true,
      msg(flags.get('client-cert-auth') === 'true' ? 'conn.kubeadm.manifestCertAuth' : 'conn.kubeadm.manifest', { name: flags.get('name') ?? '?', urls: endpoints.join(', ') || msg('conn.kubeadm.none') }),
    )
    if (endpoints.length === 0) warn(msg('conn.kubeadm.warnNoUrl'))
  }

  // 2. The etcd CA.
  const tls: KubeadmImport['tls'] = {}
  const ca = await src.read(caRel)
  if (!ca) found(msg('conn.kubeadm.what.ca'), shown(caRel), false, msg('conn.kubeadm.notFound'))
  else {
    const { path: p } = await storePem('ca', 'ca.crt', ca.toString('utf8'))
    tls.caFile = p
    const info = x509Info(new X509Certificate(ca), 'ca', shown(caRel), now)
    certificates.push(info)
    found(msg('conn.kubeadm.what.ca'), shown(caRel), true, msg('conn.kubeadm.validUntil', { subject: info.subject, date: info.validTo.slice(0, 10) }))
  }

  // 3. A client certificate and key: healthcheck-client first, else the API server's own.
  const pairs = [
    { name: 'healthcheck-client', cert: 'pki/etcd/healthcheck-client.crt', key: 'pki/etcd/healthcheck-client.key' },
    { name: 'apiserver-etcd-client', cert: 'pki/apiserver-etcd-client.crt', key: 'pki/apiserver-etcd-client.key' },
  ]
  for (const pair of pairs) {
    const certWhat = msg('conn.kubeadm.what.cert', { name: pair.name })
    const keyWhat = msg('conn.kubeadm.what.key', { name: pair.name })
    const cert = await src.read(pair.cert)
    if (!cert) {
      found(certWhat, shown(pair.cert), false, msg('conn.kubeadm.notFound'))
      continue
    }
    const key = await src.read(pair.key)
    if (!key) {
      found(certWhat, shown(pair.cert), true, msg('conn.kubeadm.keyMissing'))
      found(keyWhat, shown(pair.key), false, msg('conn.kubeadm.notFound'))
      continue
    }
    let x509: X509Certificate
    try {
      x509 = new X509Certificate(cert)
    } catch (err) {
      found(certWhat, shown(pair.cert), true, msg('conn.kubeadm.unparsable', { detail: (err as Error).message }))
      continue
    }
    let matches = false
    try {
      matches = x509.checkPrivateKey(createPrivateKey(key))
    } catch {
      matches = false
    }
    if (!matches) {
      found(keyWhat, shown(pair.key), true, msg('conn.kubeadm.keyNotMatching'))
      continue
    }
    const info = x509Info(x509, 'client', shown(pair.cert), now)
    certificates.push(info)
    tls.certFile = (await storePem('cert', `${pair.name}.crt`, cert.toString('utf8'))).path
    tls.keyFile = (await storePem('key', `${pair.name}.key`, key.toString('utf8'))).path
    found(certWhat, shown(pair.cert), true, msg('conn.kubeadm.validUntil', { subject: info.subject, date: info.validTo.slice(0, 10) }))
    found(keyWhat, shown(pair.key), true, msg('conn.kubeadm.keyMatches'))
    break
  }
  if (!tls.certFile) warn(msg('conn.kubeadm.warnNoClientCert'))

  // 4. The server certificate, for its expiry (not imported: the client does not need it).
  const server = await src.read('pki/etcd/server.crt')
  if (server) {
    const info = x509Info(new X509Certificate(server), 'server', shown('pki/etcd/server.crt'), now)
    certificates.push(info)
    found(msg('conn.kubeadm.what.server'), shown('pki/etcd/server.crt'), true, msg('conn.kubeadm.expiryOnly', { date: info.validTo.slice(0, 10) }))
  }
  for (const c of certificates) {
    if (c.status === 'expired') warn(msg('conn.kubeadm.warnExpired', { file: c.source, date: c.validTo.slice(0, 10) }))
    else if (c.status === 'warn') warn(msg('conn.kubeadm.warnExpiring', { file: c.source, days: c.daysLeft, date: c.validTo.slice(0, 10) }))
  }

  if (endpoints.length === 0 && !tls.caFile && !tls.certFile)
    throw new AppError(ErrorCode.NotFound, msg('conn.kubeadm.nothing', { source: src.describe }), msg('conn.kubeadm.nothingHint'))
  return { source: src.describe, root: src.root, endpoints, tls, findings, certificates, warnings, warningMsgs }
}
