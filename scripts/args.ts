// Command-line options for the bench and measurement scripts: a mistyped flag or a value that is not
// a number ends the script with one line saying what is wrong and the usage, not a stack trace, and
// before any cluster has been started. `--help` prints the usage.
import { parseArgs, type ParseArgsConfig } from 'node:util'

type Options = NonNullable<ParseArgsConfig['options']>

/** Exits with status 2 after printing `message` and the usage. */
export function usageError(usage: string, message: string): never {
  process.stderr.write(`${message}\nusage: ${usage}\n`)
  process.exit(2)
}

type Values<O extends Options> = ReturnType<typeof parseArgs<{ options: O }>>['values']

/** parseArgs (strict, no positionals) with `--help` and readable errors. */
export function scriptArgs<O extends Options>(usage: string, options: O): Values<O> {
  const all = { ...options, help: { type: 'boolean' as const } }
  let parsed
  try {
    parsed = parseArgs({ options: all, strict: true, allowPositionals: false })
  } catch (err) {
    const code = (err as { code?: unknown }).code
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) usageError(usage, (err as Error).message)
    throw err
  }
  const values = parsed.values as Record<string, unknown>
  if (values.help === true) {
    process.stdout.write(`usage: ${usage}\n`)
    process.exit(0)
  }
  delete values.help
  return values as Values<O>
}

/** A whole number of at least `min`, or the usage error naming the flag. */
export function intOption(usage: string, flag: string, value: string | undefined, min = 0): number {
  const n = Number(value)
  if (value === undefined || value.trim() === '' || !Number.isInteger(n) || n < min) usageError(usage, `--${flag} wants a whole number ≥ ${min}, not ${JSON.stringify(value)}`)
  return n
}

/** A comma-separated list of whole numbers of at least `min`. */
export function intListOption(usage: string, flag: string, value: string | undefined, min = 1): number[] {
  const parts = (value ?? '').split(',')
  return parts.map((p) => {
    const n = Number(p)
    if (p.trim() === '' || !Number.isInteger(n) || n < min) usageError(usage, `--${flag} wants whole numbers ≥ ${min} separated by commas, not ${JSON.stringify(value)}`)
    return n
  })
}

/** One of `allowed`. */
export function choiceOption<T extends string>(usage: string, flag: string, value: string | undefined, allowed: readonly T[]): T {
  if (value === undefined || !(allowed as readonly string[]).includes(value)) usageError(usage, `--${flag} is one of ${allowed.join(', ')}, not ${JSON.stringify(value)}`)
  return value as T
}

/** A comma-separated list of names from `allowed`, at least one. */
export function choiceListOption<T extends string>(usage: string, flag: string, value: string | undefined, allowed: readonly T[]): T[] {
  const parts = (value ?? '').split(',').filter(Boolean)
  if (parts.length === 0 || parts.some((p) => !(allowed as readonly string[]).includes(p))) {
    usageError(usage, `--${flag} wants names from ${allowed.join(', ')} separated by commas, not ${JSON.stringify(value)}`)
  }
  return parts as T[]
}
