/**
 * Opening a member's data dir at start: an existing WAL decides who we are (after checking it
 * belongs to the cluster the flags describe); otherwise the IDs come from the flags (new cluster)
 * or from a running member (`--initial-cluster-state existing`), and a new WAL is created.
 */
import type { MemberConfig } from '../config'
import { clusterIdFor, memberIdFor, toHex } from '../ids'
import { queryCluster } from '../peer/discovery'
import { loadPeerTls } from '../peer/tls'
import { Wal, walExists, type WalReplay } from '../wal/wal'
import type { Member } from './pb'

/** A start-up failure with a one-line reason (printed as-is, then exit 1). */
export class StartError extends Error {}

export interface OpenedDataDir {
  wal: Wal
  localId: string
  clusterId: string
  initialMembers: Member[]
  /** No WAL existed: the member starts a new log (and bootstraps Raft when the cluster is new). */
  fresh: boolean
  replay: WalReplay | undefined
}

export async function openDataDir(cfg: MemberConfig, walDir: string, log: (line: string) => void): Promise<OpenedDataDir> {
  const myPeerUrls = cfg.initialAdvertisePeerUrls
  if (await walExists(walDir)) {
    const { wal, replay } = await Wal.open(walDir).catch((err: Error) => {
      throw new StartError(`cannot open WAL in ${walDir}: ${err.message}`)
    })
    const localId = replay.metadata.memberId
    const clusterId = replay.metadata.clusterId
    const initialMembers = replay.metadata.initialMembers ?? []
    if (replay.tornTail) log(`WARNING: ${replay.tornTail}; recovered up to the last intact record`)
    if (cfg.initialClusterState === 'new') {
      // etcd would silently ignore the flags here; a data dir of another cluster is a mistake.
      const expectMember = memberIdFor(myPeerUrls, cfg.initialClusterToken)
      const expectCluster = clusterIdFor([...cfg.initialCluster.values()].map((urls) => memberIdFor(urls, cfg.initialClusterToken)))
      const known = initialMembers.some((m) => m.ID === expectMember) || localId === expectMember
      if (!known && clusterId !== expectCluster) {
        await wal.close()
        throw new StartError(
          `data dir ${cfg.dataDir} belongs to member ${toHex(localId)} of cluster ${toHex(clusterId)}, not to member ${toHex(expectMember)} of cluster ${toHex(expectCluster)} (check --data-dir, --initial-cluster and --initial-cluster-token)`,
        )
      }
    }
    return { wal, localId, clusterId, initialMembers, fresh: false, replay }
  }
  let localId: string
  let clusterId: string
  let initialMembers: Member[]
  if (cfg.initialClusterState === 'new') {
    initialMembers = [...cfg.initialCluster].map(([name, urls]) => ({ ID: memberIdFor(urls, cfg.initialClusterToken), name, peerURLs: urls, clientURLs: [], isLearner: false }))
    localId = memberIdFor(myPeerUrls, cfg.initialClusterToken)
    clusterId = clusterIdFor(initialMembers.map((m) => m.ID))
  } else {
    const joined = await discoverCluster(cfg)
    initialMembers = joined.members
    clusterId = joined.clusterId
    const me = joined.members.find((m) => [...m.peerURLs].sort().join(',') === [...myPeerUrls].sort().join(','))
    if (!me) throw new StartError(`error validating peerURLs: member with peer URLs ${myPeerUrls.join(',')} is not in the cluster; add it with "etcdctl member add" first`)
    localId = me.ID
  }
  const wal = await Wal.create(walDir, { memberId: localId, clusterId, initialMembers })
  return { wal, localId, clusterId, initialMembers, fresh: true, replay: undefined }
}

/** `--initial-cluster-state existing`: learn the cluster from any other listed member. */
async function discoverCluster(cfg: MemberConfig): Promise<{ clusterId: string; members: Member[] }> {
  const errors: string[] = []
  let peerTls
  try {
    peerTls = loadPeerTls(cfg)
  } catch (err) {
    throw new StartError((err as Error).message)
  }
  for (const [name, urls] of cfg.initialCluster) {
    if (name === cfg.name) continue
    for (const url of urls) {
      try {
        return await queryCluster(url, 2000, peerTls)
      } catch (err) {
        errors.push(`${url}: ${(err as Error).message}`)
      }
    }
  }
  throw new StartError(`cannot fetch cluster info from peer urls: ${errors.join('; ') || 'no other members in --initial-cluster'}`)
}
