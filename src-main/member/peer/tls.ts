/**
 * Peer TLS with etcd's flags: `https://` peer URLs are served and dialled with --peer-cert-file and
 * --peer-key-file; --peer-trusted-ca-file is the CA peers' certificates must chain to;
 * --peer-client-cert-auth makes every incoming peer present such a certificate, and
 * --peer-cert-allowed-cn additionally requires its Common Name. `http://` peer URLs stay plain TCP.
 */
import fs from 'node:fs'
import net from 'node:net'
import tls from 'node:tls'
import { hostPort } from './framing'

export interface PeerTlsFlags {
  peerCertFile: string
  peerKeyFile: string
  peerTrustedCaFile: string
  peerClientCertAuth: boolean
  peerCertAllowedCn: string
}

/** The files read once at start (a bad path fails the start, not the first connection). */
export interface PeerTls {
  cert: Buffer
  key: Buffer
  ca: Buffer | undefined
  clientCertAuth: boolean
  allowedCn: string
}

export function loadPeerTls(f: PeerTlsFlags): PeerTls | undefined {
  if (!f.peerCertFile && !f.peerKeyFile) return undefined
  const read = (file: string, flag: string): Buffer => {
    try {
      return fs.readFileSync(file)
    } catch (err) {
      throw new Error(`cannot read ${flag} ${file}: ${(err as Error).message}`)
    }
  }
  const out: PeerTls = {
    cert: read(f.peerCertFile, '--peer-cert-file'),
    key: read(f.peerKeyFile, '--peer-key-file'),
    ca: f.peerTrustedCaFile ? read(f.peerTrustedCaFile, '--peer-trusted-ca-file') : undefined,
    clientCertAuth: f.peerClientCertAuth,
    allowedCn: f.peerCertAllowedCn,
  }
  try {
    tls.createSecureContext({ cert: out.cert, key: out.key, ca: out.ca })
  } catch (err) {
    throw new Error(`peer TLS: ${(err as Error).message} (check --peer-cert-file, --peer-key-file and --peer-trusted-ca-file)`)
  }
  return out
}

/** Opens a connection to a peer URL: TLS (presenting our peer certificate) for https, TCP for http. */
export function dialPeer(url: string, peerTls: PeerTls | undefined): net.Socket {
  const { host, port } = hostPort(url)
  if (!url.startsWith('https:')) return net.connect({ host, port })
  if (!peerTls) {
    // Refused at start by the flag checks; kept as a clear error should a peer advertise https anyway.
    const s = new net.Socket()
    setImmediate(() => s.destroy(new Error(`cannot dial ${url}: this member has no peer certificate (--peer-cert-file, --peer-key-file)`)))
    return s
  }
  return tls.connect({ host, port, cert: peerTls.cert, key: peerTls.key, ca: peerTls.ca, ...(net.isIP(host) ? {} : { servername: host }) })
}

/**
 * A listener for one --listen-peer-urls address. Over TLS, `onConnection` sees a connection only
 * once the handshake succeeded and, with --peer-cert-allowed-cn, the certificate's CN matched.
 */
export function createPeerServer(url: string, peerTls: PeerTls | undefined, onConnection: (s: net.Socket) => void, onRefused: (why: string) => void): net.Server {
  if (!url.startsWith('https:')) return net.createServer(onConnection)
  if (!peerTls) throw new Error(`TLS key/cert (--peer-cert-file, --peer-key-file) must be provided for peer url ${url} with HTTPS scheme`)
  const server = tls.createServer(
    {
      cert: peerTls.cert,
      key: peerTls.key,
      ca: peerTls.ca,
      requestCert: peerTls.clientCertAuth,
      rejectUnauthorized: peerTls.clientCertAuth,
    },
    (s) => {
      if (peerTls.allowedCn) {
        const cn = s.getPeerCertificate()?.subject?.CN
        if (cn !== peerTls.allowedCn) {
          onRefused(`peer: refused TLS connection from ${s.remoteAddress}:${s.remotePort}: certificate CN ${JSON.stringify(cn ?? '')} is not the allowed CN ${JSON.stringify(peerTls.allowedCn)} (--peer-cert-allowed-cn)`)
          s.destroy()
          return
        }
      }
      onConnection(s)
    },
  )
  server.on('tlsClientError', (err, s) => {
    onRefused(`peer: TLS handshake with ${s.remoteAddress ?? '?'}:${s.remotePort ?? '?'} failed: ${err.message}`)
    s.destroy()
  })
  return server
}
