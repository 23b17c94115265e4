#!/usr/bin/env node
// Runs the built command (out/main/cli.js) when present; from a checkout without a build, runs the
// TypeScript source through tsx so `npx raftdeck` always works.
import { existsSync } from 'node:fs'
import { spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const built = path.join(root, 'out', 'main', 'cli.js')
if (existsSync(built) && !process.env.RAFTDECK_FROM_SOURCE) {
  await import(pathToFileURL(built).href)
} else {
  const child = spawn(
    process.execPath,
    ['--import', import.meta.resolve('tsx'), path.join(root, 'src-main', 'cli', 'main.ts'), ...process.argv.slice(2)],
    { stdio: 'inherit' },
  )
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(sig, () => child.kill(sig))
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)))
}
