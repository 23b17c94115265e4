import type { PlaygroundEngine } from '../../shared/api/playground'
import type { MemberManifest } from './manifest'
import type { MemberCertFiles } from './pki'

const scheme = (tls: boolean) => (tls ? 'https' : 'http')
export const clientUrl = (m: Pick<MemberManifest, 'clientPort'>, tls = false) => `${scheme(tls)}://127.0.0.1:${m.clientPort}`
export const peerUrl = (m: Pick<MemberManifest, 'peerPort'>, tls = false) => `${scheme(tls)}://127.0.0.1:${m.peerPort}`

/** A member's certificates under "TLS everywhere": its own server and peer pairs, the playground's CA. */
export interface MemberTls extends MemberCertFiles {
  caFile: string
}

/**
 * etcd's own flags, so both engines take the same command line. With TLS, clients and peers must
 * present a certificate from the playground's CA (--client-cert-auth, --peer-client-cert-auth), as
 * in a production setup.
 */
export function memberFlags(engine: PlaygroundEngine, m: MemberManifest, dataDir: string, token: string, tls?: MemberTls): string[] {
  const t = Boolean(tls)
  const flags = [
    `--name=${m.name}`,
    `--data-dir=${dataDir}`,
    `--listen-client-urls=${clientUrl(m, t)}`,
    `--advertise-client-urls=${clientUrl(m, t)}`,
    `--listen-peer-urls=${peerUrl(m, t)}`,
    `--initial-advertise-peer-urls=${peerUrl(m, t)}`,
    `--initial-cluster=${m.initialCluster}`,
    `--initial-cluster-token=${token}`,
    `--initial-cluster-state=${m.joined ? 'existing' : 'new'}`,
  ]
  if (tls) {
    flags.push(
      `--cert-file=${tls.serverCert}`,
      `--key-file=${tls.serverKey}`,
      `--trusted-ca-file=${tls.caFile}`,
      '--client-cert-auth',
      `--peer-cert-file=${tls.peerCert}`,
      `--peer-key-file=${tls.peerKey}`,
      `--peer-trusted-ca-file=${tls.caFile}`,
      '--peer-client-cert-auth',
    )
  }
  if (engine === 'etcd') flags.push('--logger=zap', '--log-outputs=stderr')
  return flags
}
