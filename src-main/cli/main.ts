// The `raftdeck` command: one entry for the browser shell, playground members and operator tools.

import { helpText, parseCommandArgs, UsageError, type Command } from './command'
import { packageVersion } from '../services/app/packageRoot'
import { serveCommand } from './serve'
import { doctorCommand } from './doctor'
import { memberCommand } from './member'
import { playgroundCommand } from './playground'
import { snapshotCommand } from './snapshot'
import { backupCommand } from './backup'
import { restoreCommand } from './restore'

const commands: Command[] = [serveCommand, playgroundCommand, doctorCommand, snapshotCommand, backupCommand, restoreCommand]

/** Commands that parse their own flags (etcd's flag syntax for `member`). */
const rawCommands: { name: string; summary: string; run(argv: string[]): Promise<number> }[] = [
  { name: 'member', summary: 'Run one etcd-compatible member process (etcd flag names).', run: memberCommand },
]

function usage(): string {
  const all = [...commands, ...rawCommands]
  const width = Math.max(...all.map((c) => c.name.length))
  return [
    'raftdeck: a cluster manager for etcd',
    '',
    'Usage: raftdeck <command> [options]',
    '',
    'Commands:',
    ...all.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run 'raftdeck <command> --help' for a command's options.",
  ].join('\n')
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n')
    return name === undefined ? 2 : 0
  }
  if (name === '--version' || name === 'version') {
    process.stdout.write(`raftdeck ${packageVersion()}\n`)
    return 0
  }
  const raw = rawCommands.find((c) => c.name === name)
  if (raw) return raw.run(rest)
  const cmd = commands.find((c) => c.name === name)
  try {
    if (!cmd) throw new UsageError(`unknown command '${name}'`, "Run 'raftdeck --help' for the list of commands.")
    const { values, positionals } = parseCommandArgs(cmd, rest)
    if (values.help) {
      process.stdout.write(helpText(cmd) + '\n')
      return 0
    }
    return await cmd.run(values, positionals)
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`raftdeck${cmd ? ` ${cmd.name}` : ''}: ${err.message}\n${err.hint ? `${err.hint}\n` : ''}`)
      return 2
    }
    throw err
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    process.stderr.write(`raftdeck: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
    process.exitCode = 1
  },
)
