// A transcript file: commands, each followed by `----` and what it printed, blocks separated by a
// blank line; `#` lines are comments. Running a file replays every command on a fresh GoldenEnv
// and writes out what they print now, so the test compares texts and `--rewrite` saves them.

import { readFileSync } from 'node:fs'
import { GoldenEnv, parseCommand, ScriptError } from './interpreter'

interface Block {
  /** Comments and blank lines before the command, kept as written. */
  before: string[]
  command: string
  line: number
}

export function parseTranscript(text: string, file: string): Block[] {
  const lines = text.replace(/\n+$/, '').split('\n')
  const blocks: Block[] = []
  let before: string[] = []
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!
    if (l.trim() === '' || l.startsWith('#')) {
      before.push(l)
      continue
    }
    if (lines[i + 1] !== '----') throw new ScriptError(`${file}:${i + 1}: a command must be followed by a line "----"`)
    blocks.push({ before, command: l, line: i + 1 })
    before = []
    // Skip the expected output: it ends at a blank line.
    i += 2
    while (i < lines.length && lines[i]!.trim() !== '') i++
    i--
  }
  return blocks
}

/** Runs a transcript and returns it as it reads now, with every command's current output. */
export function replay(text: string, file: string): string {
  const env = new GoldenEnv()
  const out: string[] = []
  for (const b of parseTranscript(text, file)) {
    out.push(...b.before)
    let printed: string[]
    try {
      printed = env.run(parseCommand(b.command))
    } catch (err) {
      if (err instanceof ScriptError) throw new ScriptError(`${file}:${b.line}: ${err.message}`)
      printed = [`error: ${(err as Error).message}`]
    }
    out.push(b.command, '----', ...(printed.length ? printed : ['ok']))
  }
  return `${out.join('\n')}\n`
}

export function replayFile(file: string): { expected: string; actual: string } {
  const expected = readFileSync(file, 'utf8')
  return { expected, actual: replay(expected, file) }
}
