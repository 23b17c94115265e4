import { accessSync, constants } from 'node:fs'
import path from 'node:path'

/**
 * Finds an etcd server binary for the real-etcd playground engine and for comparisons: an explicit
 * path (RAFTDECK_ETCD_BINARY) wins, then the usual install locations, then PATH.
 */
export function findEtcdBinary(env: NodeJS.ProcessEnv = process.env): string | null {
  const candidates: string[] = []
  if (env.RAFTDECK_ETCD_BINARY) candidates.push(env.RAFTDECK_ETCD_BINARY)
  candidates.push('/usr/bin/etcd', '/usr/local/bin/etcd')
  for (const dir of (env.PATH ?? '').split(path.delimiter)) if (dir) candidates.push(path.join(dir, 'etcd'))
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK)
      return c
    } catch {
      // not there or not executable: try the next one
    }
  }
  return null
}

/** etcdctl for the etcd engine's restore: beside the etcd binary found, else the usual places, else PATH. */
export function findEtcdctlBinary(etcdBinary: string | null = findEtcdBinary(), env: NodeJS.ProcessEnv = process.env): string | null {
  const candidates: string[] = []
  if (env.RAFTDECK_ETCDCTL_BINARY) candidates.push(env.RAFTDECK_ETCDCTL_BINARY)
  if (etcdBinary) candidates.push(path.join(path.dirname(etcdBinary), 'etcdctl'))
  candidates.push('/usr/bin/etcdctl', '/usr/local/bin/etcdctl')
  for (const dir of (env.PATH ?? '').split(path.delimiter)) if (dir) candidates.push(path.join(dir, 'etcdctl'))
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK)
      return c
    } catch {
      // next
    }
  }
  return null
}
