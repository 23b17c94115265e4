import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import path from 'node:path'
import { MEMBER_ENV, MEMBER_NODE_FLAGS } from '../../src-main/member/nodeFlags'

/** Repository root, for spawning the raftdeck command from source in tests. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

/**
 * The argv that runs the `raftdeck` command from TypeScript source (no build step), so integration
 * tests exercise exactly the code under test: `node --import tsx src-main/cli/main.ts <args>`.
 */
export function raftdeckArgv(args: string[]): [string, string[]] {
  // A member runs with the Node options the product starts members with.
  const nodeFlags = args[0] === 'member' ? MEMBER_NODE_FLAGS : []
  return [process.execPath, [...nodeFlags, '--import', 'tsx', path.join(repoRoot, 'src-main/cli/main.ts'), ...args]]
}

export function spawnRaftdeck(args: string[], options: SpawnOptions = {}): ChildProcess {
  const [cmd, argv] = raftdeckArgv(args)
  // And with the environment the product gives members.
  const env = args[0] === 'member' ? { ...(options.env ?? process.env), ...MEMBER_ENV } : options.env
  return spawn(cmd, argv, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], ...options, ...(env ? { env } : {}) })
}
