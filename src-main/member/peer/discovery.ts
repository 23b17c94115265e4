/**
 * `--initial-cluster-state existing`: a joining member asks a running one, over its peer port,
 * which cluster it is and who is in it (etcd fetches the same from a peer before it starts).
 */
import { sendFrame, frameReader } from './framing'
import { dialPeer, type PeerTls } from './tls'
import type { ClusterInfo } from './transport'

/** A cluster's member list is small; a larger answer is not one. */
const MAX_CLUSTER_INFO = 4 * 1024 * 1024

function parseClusterInfo(f: Buffer): ClusterInfo {
  const v = JSON.parse(f.toString('utf8')) as Partial<ClusterInfo> | null
  const okId = (x: unknown): x is string => typeof x === 'string' && /^[0-9]{1,20}$/.test(x)
  const okUrls = (x: unknown): x is string[] => Array.isArray(x) && x.every((u) => typeof u === 'string')
  if (!v || !okId(v.clusterId) || !Array.isArray(v.members)) throw new Error('not a cluster description')
  for (const m of v.members) {
    if (!m || !okId(m.ID) || typeof m.name !== 'string' || !okUrls(m.peerURLs) || !okUrls(m.clientURLs) || typeof m.isLearner !== 'boolean') throw new Error('bad member entry')
  }
  return { clusterId: v.clusterId, members: v.members }
}

export function queryCluster(url: string, timeoutMs = 2000, peerTls?: PeerTls): Promise<ClusterInfo> {
  return new Promise((resolve, reject) => {
    const s = dialPeer(url, peerTls)
    const timer = setTimeout(() => {
      s.destroy()
      reject(new Error(`timed out asking ${url} for the cluster`))
    }, timeoutMs)
    s.once(url.startsWith('https:') ? 'secureConnect' : 'connect', () => {
      sendFrame(s, Buffer.from(JSON.stringify({ query: 'cluster' })))
    })
    s.on(
      'data',
      frameReader(
        (f) => {
          clearTimeout(timer)
          s.destroy()
          try {
            resolve(parseClusterInfo(f))
          } catch (err) {
            reject(new Error(`${url} answered the cluster query with something else: ${(err as Error).message}`))
          }
          return false
        },
        (e) => {
          clearTimeout(timer)
          s.destroy()
          reject(e)
        },
        () => MAX_CLUSTER_INFO,
      ),
    )
    s.on('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
  })
}
