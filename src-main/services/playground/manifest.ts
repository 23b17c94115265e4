// A playground on disk: <dataDir>/playgrounds/<id>/playground.json plus one data folder per member.
// The manifest is what lets Raftdeck reopen playgrounds after an app restart.

import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import type { PlaygroundEngine } from '../../shared/api/playground'
import { writeFileAtomic } from '../fsAtomic'

export interface MemberManifest {
  name: string
  clientPort: number
  peerPort: number
  /** true for members added later (they join with --initial-cluster-state existing). */
  joined: boolean
  /** The --initial-cluster the member was first started with (needed again only for a fresh data dir). */
  initialCluster: string
}

export interface PlaygroundManifest {
  version: 1
  id: string
  name: string
  engine: PlaygroundEngine
  clusterToken: string
  createdAt: number
  members: MemberManifest[]
  /**
   * "TLS everywhere": https client and peer URLs with certificates from the playground's own CA
   * (pki/ in its folder); clients must present the client certificate. Absent in older manifests.
   */
  tls?: boolean
  /** Whether the members were running when the app last stopped (they are started again on reopen). */
  wantRunning: boolean
  nextMemberNumber: number
}

export const playgroundsRoot = (dataDir: string) => path.join(dataDir, 'playgrounds')
export const playgroundDir = (dataDir: string, id: string) => path.join(playgroundsRoot(dataDir), id)
export const memberDataDir = (dataDir: string, id: string, member: string) => path.join(playgroundDir(dataDir, id), member)

export async function saveManifest(dataDir: string, m: PlaygroundManifest): Promise<void> {
  await writeFileAtomic(path.join(playgroundDir(dataDir, m.id), 'playground.json'), JSON.stringify(m, null, 2), 0o600)
}

/** Every readable manifest; damaged ones are reported, never deleted. */
export async function loadManifests(dataDir: string): Promise<{ manifests: PlaygroundManifest[]; problems: string[] }> {
  const manifests: PlaygroundManifest[] = []
  const problems: string[] = []
  let entries: string[] = []
  try {
    entries = await readdir(playgroundsRoot(dataDir))
  } catch {
    return { manifests, problems }
  }
  for (const e of entries) {
    const file = path.join(playgroundsRoot(dataDir), e, 'playground.json')
    try {
      const m = JSON.parse(await readFile(file, 'utf8')) as PlaygroundManifest
      if (m.version !== 1 || m.id !== e) throw new Error('unknown format')
      manifests.push(m)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') problems.push(`${file}: ${(err as Error).message}`)
    }
  }
  manifests.sort((a, b) => a.createdAt - b.createdAt)
  return { manifests, problems }
}
