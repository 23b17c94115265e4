// A small runtime validator for API parameters. The renderer is not trusted: every call is checked
// against its schema before a service sees it. Kept dependency-free because the renderer imports
// this folder too.

export class SchemaError extends Error {
  readonly path: string
  constructor(path: string, message: string) {
    super(`${path || 'params'}: ${message}`)
    this.name = 'SchemaError'
    this.path = path
  }
}

export interface Schema<T> {
  /** Returns the value typed, or throws SchemaError naming the offending path. */
  parse(value: unknown, path?: string): T
  /** Human-readable description used in error messages and docs. */
  readonly describe: string
}

export type Infer<S> = S extends Schema<infer T> ? T : never

const typeName = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v)

function make<T>(describe: string, parse: (value: unknown, path: string) => T): Schema<T> {
  return { describe, parse: (value, path = '') => parse(value, path) }
}

export const s = {
  string(opts: { min?: number; max?: number; pattern?: RegExp } = {}): Schema<string> {
    const max = opts.max ?? 1 << 20
    return make('string', (v, p) => {
      if (typeof v !== 'string') throw new SchemaError(p, `expected string, got ${typeName(v)}`)
      if (opts.min !== undefined && v.length < opts.min) throw new SchemaError(p, `must be at least ${opts.min} characters`)
      if (v.length > max) throw new SchemaError(p, `must be at most ${max} characters`)
      if (opts.pattern && !opts.pattern.test(v)) throw new SchemaError(p, `does not match ${String(opts.pattern)}`)
      return v
    })
  },

  number(opts: { int?: boolean; min?: number; max?: number } = {}): Schema<number> {
    return make(opts.int ? 'integer' : 'number', (v, p) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new SchemaError(p, `expected number, got ${typeName(v)}`)
      if (opts.int && !Number.isInteger(v)) throw new SchemaError(p, 'expected an integer')
      if (opts.min !== undefined && v < opts.min) throw new SchemaError(p, `must be ≥ ${opts.min}`)
      if (opts.max !== undefined && v > opts.max) throw new SchemaError(p, `must be ≤ ${opts.max}`)
      return v
    })
  },

  boolean(): Schema<boolean> {
    return make('boolean', (v, p) => {
      if (typeof v !== 'boolean') throw new SchemaError(p, `expected boolean, got ${typeName(v)}`)
      return v
    })
  },

  literal<const L extends string | number | boolean>(lit: L): Schema<L> {
    return make(JSON.stringify(lit), (v, p) => {
      if (v !== lit) throw new SchemaError(p, `expected ${JSON.stringify(lit)}`)
      return lit
    })
  },

  enum<const E extends readonly string[]>(values: E): Schema<E[number]> {
    return make(values.join(' | '), (v, p) => {
      if (typeof v !== 'string' || !values.includes(v)) throw new SchemaError(p, `expected one of ${values.join(', ')}`)
      return v as E[number]
    })
  },

  optional<T>(inner: Schema<T>): Schema<T | undefined> & { optional: true } {
    return Object.assign(
      make(`${inner.describe}?`, (v, p) => (v === undefined ? undefined : inner.parse(v, p))),
      { optional: true as const },
    )
  },

  /** null or the inner value (a field the caller clears). */
  nullable<T>(inner: Schema<T>): Schema<T | null> {
    return make(`${inner.describe} | null`, (v, p) => (v === null ? null : inner.parse(v, p)))
  },

  array<T>(item: Schema<T>, opts: { max?: number } = {}): Schema<T[]> {
    const max = opts.max ?? 10_000
    return make(`${item.describe}[]`, (v, p) => {
      if (!Array.isArray(v)) throw new SchemaError(p, `expected array, got ${typeName(v)}`)
      if (v.length > max) throw new SchemaError(p, `at most ${max} items`)
      return v.map((x, i) => item.parse(x, `${p}[${i}]`))
    })
  },

  /** A closed object: unknown keys are rejected so typos surface instead of being ignored. */
  object<Shape extends Record<string, Schema<unknown>>>(shape: Shape): Schema<ObjectOf<Shape>> {
    const keys = Object.keys(shape)
    return make(`{${keys.join(', ')}}`, (v, p) => {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new SchemaError(p, `expected object, got ${typeName(v)}`)
      const rec = v as Record<string, unknown>
      for (const k of Object.keys(rec)) {
        if (!(k in shape)) throw new SchemaError(p ? `${p}.${k}` : k, 'unknown field')
      }
      const out: Record<string, unknown> = {}
      for (const k of keys) {
        const parsed = shape[k]!.parse(rec[k], p ? `${p}.${k}` : k)
        if (parsed !== undefined) out[k] = parsed
      }
      return out as ObjectOf<Shape>
    })
  },
}

type OptionalKeys<Shape> = { [K in keyof Shape]: Shape[K] extends { optional: true } ? K : never }[keyof Shape]
type RequiredKeys<Shape> = Exclude<keyof Shape, OptionalKeys<Shape>>
type ObjectOf<Shape extends Record<string, Schema<unknown>>> = {
  [K in RequiredKeys<Shape>]: Infer<Shape[K]>
} & { [K in OptionalKeys<Shape>]?: Exclude<Infer<Shape[K]>, undefined> }
