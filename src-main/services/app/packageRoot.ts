import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The raftdeck checkout or install folder, found by walking up from this module. The command runs
 * both from source (src-main/cli) and bundled (out/main), so fixed relative paths would break one.
 */
export function packageRoot(from = path.dirname(fileURLToPath(import.meta.url))): string {
  let dir = from
  for (;;) {
    const pkg = path.join(dir, 'package.json')
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'raftdeck') return dir
      } catch {
        // unreadable package.json: keep walking
      }
    }
    const up = path.dirname(dir)
    if (up === dir) throw new Error('cannot find the raftdeck package folder')
    dir = up
  }
}

export function packageVersion(): string {
  return (JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version
}
