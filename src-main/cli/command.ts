// A tiny command framework over node:util parseArgs: every command declares its options once, which
// gives strict parsing (unknown flags are errors), --help text, and one clear line on bad input.

import { parseArgs, type ParseArgsConfig } from 'node:util'
import { LogBus } from '../services/log'

export interface OptionSpec {
  type: 'string' | 'boolean'
  short?: string
  multiple?: boolean
  default?: string | boolean
  /** Shown in --help; `value` names the argument, e.g. 'PORT'. */
  description: string
  value?: string
}

export interface Command {
  name: string
  summary: string
  usage: string
  options: Record<string, OptionSpec>
  allowPositionals?: boolean
  /** Resolves with the process exit code. */
  run(values: OptionValues, positionals: string[]): Promise<number>
}

export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>

/** Thrown for bad input: printed as one line with a hint, exit code 2, no stack trace. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message)
  }
}

export function helpText(cmd: Command): string {
  const lines = [`raftdeck ${cmd.name}: ${cmd.summary}`, '', `Usage: ${cmd.usage}`, '', 'Options:']
  const entries = Object.entries(cmd.options)
  entries.push(['help', { type: 'boolean', short: 'h', description: 'Show this help.' }])
  for (const [name, o] of entries) {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`
    const def = o.default !== undefined && o.default !== false ? ` (default: ${String(o.default)})` : ''
    lines.push(`  ${flag.padEnd(34)} ${o.description}${def}`)
  }
  return lines.join('\n')
}

export function parseCommandArgs(cmd: Command, argv: string[]) {
  const options: ParseArgsConfig['options'] = { help: { type: 'boolean', short: 'h' } }
  for (const [name, o] of Object.entries(cmd.options)) {
    options[name] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}), ...(o.default !== undefined ? { default: o.default } : {}) }
  }
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: cmd.allowPositionals ?? false })
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0]! : String(err)
    throw new UsageError(message, `Run 'raftdeck ${cmd.name} --help' for the list of options.`)
  }
}

/** The service log of a command, echoed to stderr one line an entry; debug lines only with `verbose`. */
export function stderrLog(verbose = false): LogBus {
  return new LogBus(5000, (e) => {
    if (e.level === 'debug' && !verbose) return
    process.stderr.write(`${new Date(e.time).toISOString()} ${e.level.padEnd(5)} [${e.source}] ${e.message}\n`)
  })
}
