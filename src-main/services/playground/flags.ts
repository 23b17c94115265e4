import type { PlaygroundEngine } from '../../shared/api/playground'
import type { MemberManifest } from './manifest'

export const clientUrl = (m: Pick<MemberManifest, 'clientPort'>) => `http://127.0.0.1:${m.clientPort}`
export const peerUrl = (m: Pick<MemberManifest, 'peerPort'>) => `http://127.0.0.1:${m.peerPort}`

/** etcd's own flags, so both engines take the same command line. */
export function memberFlags(engine: PlaygroundEngine, m: MemberManifest, dataDir: string, token: string): string[] {
  const flags = [
    `--name=${m.name}`,
    `--data-dir=${dataDir}`,
    `--listen-client-urls=${clientUrl(m)}`,
    `--advertise-client-urls=${clientUrl(m)}`,
    `--listen-peer-urls=${peerUrl(m)}`,
    `--initial-advertise-peer-urls=${peerUrl(m)}`,
    `--initial-cluster=${m.initialCluster}`,
    `--initial-cluster-token=${token}`,
    `--initial-cluster-state=${m.joined ? 'existing' : 'new'}`,
  ]
  if (engine === 'etcd') flags.push('--logger=zap', '--log-outputs=stderr')
  return flags
}
