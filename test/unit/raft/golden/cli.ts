// `npm run golden` replays every Raft transcript and reports the ones whose output changed;
// `npm run golden -- --rewrite [file...]` writes the current output into them.

import { readdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { replayFile } from './datadriven'

export const TESTDATA = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'testdata')

export function transcripts(): string[] {
  return readdirSync(TESTDATA)
    .filter((f) => f.endsWith('.txt'))
    .sort()
    .map((f) => path.join(TESTDATA, f))
}

const isMain = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)
if (isMain) {
  const { values, positionals } = parseArgs({ options: { rewrite: { type: 'boolean', default: false } }, allowPositionals: true })
  const files = positionals.length ? positionals.map((p) => path.resolve(p)) : transcripts()
  let changed = 0
  for (const f of files) {
    const { expected, actual } = replayFile(f)
    if (expected === actual) continue
    changed++
    if (values.rewrite) writeFileSync(f, actual)
    process.stdout.write(`${values.rewrite ? 'rewrote' : 'differs'}: ${path.relative(process.cwd(), f)}\n`)
  }
  process.stdout.write(`${files.length} transcripts, ${changed} ${values.rewrite ? 'rewritten' : 'differ'}\n`)
  if (changed && !values.rewrite) process.exitCode = 1
}
