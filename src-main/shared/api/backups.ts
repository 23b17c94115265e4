// Snapshots kept by Raftdeck (the Backups area). The guided restore's methods are in restore.ts.

import type { Msg } from '../i18n/message'
import { s } from '../schema'
import { MINUTE, method, target } from './spec'

export interface SnapshotInfo {
  /** etcd's snapshot status: CRC-32C hash over the buckets, revision, keys, file size. */
  hash: number
  revision: number
  totalKey: number
  totalSize: number
}

export interface SnapshotProblem {
  code: string
  message: string
  hint: string
  /** The same as messages the UI translates, where the services have them (bbolt's own findings stay English). */
  msg?: Msg
  hintMsg?: Msg
}

export interface BackupFile {
  path: string
  /** The cluster it came from (playground or connection name). */
  source: string
  createdAt: number
  bytes: number
  status: SnapshotInfo | null
  problem: SnapshotProblem | null
}

export interface SnapshotInspection {
  path: string
  bytes: number
  status: SnapshotInfo | null
  /** Set when verify failed: the file must not be restored. */
  problem: SnapshotProblem | null
}

const filePath = s.string({ min: 1, max: 4096 })

export const backupMethods = {
  'backups/list': method<BackupFile[]>()(s.object({})),
  /** A snapshot of the target now, from its leader, saved into the data folder and verified. Reports progress (bytes) and can be cancelled: then no file is left. */
  'backups/saveNow': method<BackupFile>({ timeoutMs: 60 * MINUTE })(s.object({ target })),
  'backups/delete': method<null>()(s.object({ path: filePath })),
} as const
