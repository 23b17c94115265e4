/**
 * `--initial-cluster-state existing`: a joining member asks a running one, over its peer port,
 * which cluster it is and who is in it (etcd fetches the same from a peer before it starts).
 */
import net from 'node:net'
import { frame, frameReader, hostPort } from './framing'
import type { ClusterInfo } from './transport'

export function queryCluster(url: string, timeoutMs = 2000): Promise<ClusterInfo> {
  const { host, port } = hostPort(url)
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port })
    const timer = setTimeout(() => {
      s.destroy()
      reject(new Error(`timed out asking ${url} for the cluster`))
    }, timeoutMs)
    s.once('connect', () => {
      for (const part of frame(Buffer.from(JSON.stringify({ query: 'cluster' })))) s.write(part)
    })
    s.on(
      'data',
      frameReader(
        (f) => {
          clearTimeout(timer)
          s.destroy()
          resolve(JSON.parse(f.toString()) as ClusterInfo)
        },
        (e) => reject(e),
      ),
    )
    s.on('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
  })
}
