import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import path from 'node:path'

/** Repository root, for spawning the raftdeck command from source in tests. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

/**
 * The argv that runs the `raftdeck` command from TypeScript source (no build step), so integration
 * tests exercise exactly the code under test: `node --import tsx src-main/cli/main.ts <args>`.
 */
export function raftdeckArgv(args: string[]): [string, string[]] {
  return [process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src-main/cli/main.ts'), ...args]]
}

export function spawnRaftdeck(args: string[], options: SpawnOptions = {}): ChildProcess {
  const [cmd, argv] = raftdeckArgv(args)
  return spawn(cmd, argv, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], ...options })
}
