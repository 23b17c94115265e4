#!/usr/bin/env node
// Runs the built command (out/main/cli.js) when it is up to date; otherwise (no build, or sources
// edited since) runs the TypeScript source through tsx, so `npx raftdeck` always runs the code as it is.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const built = path.join(root, 'out', 'main', 'cli.js')

function newestSource(dir) {
  let newest = 0
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name)
    newest = Math.max(newest, e.isDirectory() ? newestSource(p) : statSync(p).mtimeMs)
  }
  return newest
}

const sources = path.join(root, 'src-main')
const useBuild =
  !process.env.RAFTDECK_FROM_SOURCE && existsSync(built) && (!existsSync(sources) || statSync(built).mtimeMs >= newestSource(sources))

// A member runs with its own Node options (src-main/member/nodeFlags.ts explains them).
const flagsFile = path.join(sources, 'member', 'nodeFlags.json')
const memberOptions = process.argv[2] === 'member' && existsSync(flagsFile) ? JSON.parse(readFileSync(flagsFile, 'utf8')) : { flags: [], env: {} }
const nodeFlags = memberOptions.flags

if (useBuild && nodeFlags.length === 0) {
  await import(pathToFileURL(built).href)
} else {
  const entry = useBuild ? [built] : ['--import', import.meta.resolve('tsx'), path.join(root, 'src-main', 'cli', 'main.ts')]
  const child = spawn(process.execPath, [...nodeFlags, ...entry, ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, ...memberOptions.env } })
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(sig, () => child.kill(sig))
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)))
}
