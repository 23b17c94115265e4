// The `raftdeck` command: one entry for the browser shell, playground members and operator tools.
//
// Each command's module is imported only when that command runs: `raftdeck backup run` from cron must
// not pay for the UI services, ssh2, the member's protocol codecs and the WebSocket server (about half a
// second on a busy machine), and a playground member starts without loading the operator tools. Only
// the list of commands (`raftdeck --help`) loads them all, for their summaries.

import { helpText, parseCommandArgs, UsageError, type Command } from './command'
import { packageVersion } from '../services/app/packageRoot'

const commands: Record<string, () => Promise<Command>> = {
  serve: async () => (await import('./serve')).serveCommand,
  playground: async () => (await import('./playground')).playgroundCommand,
  doctor: async () => (await import('./doctor')).doctorCommand,
  snapshot: async () => (await import('./snapshot')).snapshotCommand,
  backup: async () => (await import('./backup')).backupCommand,
  restore: async () => (await import('./restore')).restoreCommand,
}

/** Commands that parse their own flags (etcd's flag syntax for `member`). */
const rawCommands: Record<string, { summary: string; run(argv: string[]): Promise<number> }> = {
  member: { summary: 'Run one etcd-compatible member process (etcd flag names).', run: async (argv) => (await import('./member')).memberCommand(argv) },
}

async function usage(): Promise<string> {
  const all = [...(await Promise.all(Object.values(commands).map((load) => load()))), ...Object.entries(rawCommands).map(([name, c]) => ({ name, summary: c.summary }))]
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
    process.stdout.write((await usage()) + '\n')
    return name === undefined ? 2 : 0
  }
  if (name === '--version' || name === 'version') {
    process.stdout.write(`raftdeck ${packageVersion()}\n`)
    return 0
  }
  const raw = Object.hasOwn(rawCommands, name) ? rawCommands[name] : undefined
  if (raw) return raw.run(rest)
  let cmd: Command | undefined
  try {
    if (!Object.hasOwn(commands, name)) throw new UsageError(`unknown command '${name}'`, "Run 'raftdeck --help' for the list of commands.")
    cmd = await commands[name]!()
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

/**
 * Exits with `code` once what was written to stdout and stderr is out (pipes are asynchronous on
 * some systems). A command whose run returned has finished its work; waiting for the event loop to
 * drain and the heap to be torn down only delays whoever waits for the exit (cron, a script, the
 * backup bench: 10–15 ms).
 */
function exitWhenFlushed(code: number): void {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)))
}

const argv = process.argv.slice(2)
main(argv).then(
  (code) => {
    process.exitCode = code
    // A member (a raw command) returns only when it has stopped; it is left to exit as it always did.
    if (argv[0] !== undefined && !Object.hasOwn(rawCommands, argv[0])) exitWhenFlushed(code)
  },
  (err: unknown) => {
    process.stderr.write(`raftdeck: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
    process.exitCode = 1
  },
)
