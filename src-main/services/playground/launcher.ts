// How member processes are started. The raftdeck engine runs this very app's `raftdeck member`
// command with the Node that runs the app (inside Electron: Electron's own Node, via
// ELECTRON_RUN_AS_NODE); the etcd engine runs an etcd binary with the same flags.

import { existsSync, readdirSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { PlaygroundEngine } from '../../shared/api/playground'
import { MEMBER_ENV, MEMBER_NODE_FLAGS } from '../../member/nodeFlags'
import { packageRoot } from '../app/packageRoot'
import { AppError, ErrorCode, msg } from '../../shared'

export interface LaunchSpec {
  cmd: string
  args: string[]
  env: NodeJS.ProcessEnv
}

export interface MemberLauncher {
  /** The command line for one member with etcd-style flags; throws with a user-facing reason if impossible. */
  launch(engine: PlaygroundEngine, flags: string[]): LaunchSpec
  etcdBinary: string | null
}

export interface RaftdeckCommand {
  /** Executable: Node, or Electron with ELECTRON_RUN_AS_NODE. */
  cmd: string
  /** Arguments before the command name, e.g. ['--import', 'tsx', '/…/src-main/cli/main.ts'] or ['/…/out/main/cli.js']. */
  prefix: string[]
  env?: NodeJS.ProcessEnv
}

export function createLauncher(raftdeck: RaftdeckCommand, etcdBinary: string | null): MemberLauncher {
  return {
    etcdBinary,
    launch(engine, flags) {
      if (engine === 'etcd') {
        if (!etcdBinary) throw new AppError(ErrorCode.FailedPrecondition, msg('pg.launcherNoEtcd'))
        return { cmd: etcdBinary, args: flags, env: { ...process.env, ETCD_UNSUPPORTED_ARCH: process.env.ETCD_UNSUPPORTED_ARCH ?? '' } }
      }
      return { cmd: raftdeck.cmd, args: [...MEMBER_NODE_FLAGS, ...raftdeck.prefix, 'member', ...flags, '--enable-debug-service'], env: { ...process.env, ...MEMBER_ENV, ...raftdeck.env } }
    },
  }
}

/**
 * `raftdeck member` run directly by Node (no wrapper process, so SIGSTOP and SIGKILL reach the member
 * itself): the built command when it is newer than the sources, else the TypeScript source via tsx.
 */
export function packageMemberCommand(root = packageRoot()): RaftdeckCommand {
  const built = path.join(root, 'out', 'main', 'cli.js')
  const sources = path.join(root, 'src-main')
  if (existsSync(built) && (!existsSync(sources) || statSync(built).mtimeMs >= newestMtime(sources))) return { cmd: process.execPath, prefix: [built] }
  const tsx = pathToFileURL(createRequire(path.join(root, 'package.json')).resolve('tsx')).href
  return { cmd: process.execPath, prefix: ['--import', tsx, path.join(sources, 'cli', 'main.ts')] }
}

function newestMtime(dir: string): number {
  let newest = 0
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name)
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs)
  }
  return newest
}
