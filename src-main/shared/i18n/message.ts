// Messages that services produce for people (errors, doctor findings, check results, restore notes)
// travel as a stable key with parameters, not as finished sentences: the renderer translates the key
// into the user's language, while the CLI and the logs format the same key in English with
// formatMessage(). The English text lives in serviceMessages.ts, once; the renderer's locales carry
// the same keys (test/unit/renderer/locales.test.ts keeps them in step).
//
// Message syntax is vue-i18n's subset: `{name}` is a parameter, `a | b` picks the singular or plural
// form by the `count` parameter, `{'@'}` is a literal (for @ { } | in text).

import { serviceMessages } from './serviceMessages'

type Catalog = typeof serviceMessages

/** 'a.b.c' paths of every string leaf of a nested catalog. */
export type LeafPaths<T, P extends string = ''> = {
  [K in keyof T & string]: T[K] extends string ? `${P}${K}` : LeafPaths<T[K], `${P}${K}.`>
}[keyof T & string]

type At<T, K extends string> = K extends `${infer H}.${infer R}` ? (H extends keyof T ? At<T[H], R> : never) : K extends keyof T ? T[K] : never

/** The `{name}` parameters a message text uses (literals like `{'@'}` excluded). */
export type Placeholders<S> = S extends `${string}{${infer P}}${infer R}` ? (P extends `'${string}'` ? never : P) | Placeholders<R> : never

export type MsgKey = LeafPaths<Catalog>

/** A parameter: plain text, a number (formatted for the reader's locale), or another message. */
export type MsgValue = string | number | Msg

export type MsgParams<K extends MsgKey> = { [P in Placeholders<At<Catalog, K>>]: MsgValue }

/** A message as it crosses the API: a key of the service catalog and its parameters. */
export interface Msg {
  key: MsgKey
  params?: Record<string, MsgValue>
}

/** Builds a message; the parameters the key's text names are required, and only those. */
export function msg<K extends MsgKey>(key: K, ...params: [Placeholders<At<Catalog, K>>] extends [never] ? [] : [MsgParams<K>]): Msg {
  return params[0] ? { key, params: params[0] as Record<string, MsgValue> } : { key }
}

/** The same keys as the English messages, each a string: every locale is checked against English at compile time. */
export type Shape<T> = { [K in keyof T]: T[K] extends string ? string : Shape<T[K]> }

export function isMsg(v: unknown): v is Msg {
  return typeof v === 'object' && v !== null && typeof (v as Msg).key === 'string'
}

/** The catalog text of a key, or undefined for a key that is not in it (an older or newer peer). */
export function catalogText(key: string, catalog: unknown = serviceMessages): string | undefined {
  let node: unknown = catalog
  for (const part of key.split('.')) {
    if (typeof node !== 'object' || node === null) return undefined
    node = (node as Record<string, unknown>)[part]
  }
  return typeof node === 'string' ? node : undefined
}

/**
 * Picks the plural form as vue-i18n does for `count`: two forms are singular | plural, three are
 * zero | one | many.
 */
export function pluralForm(text: string, count: number | undefined): string {
  const forms = splitForms(text)
  if (forms.length === 1 || count === undefined) return forms[0]!.trim()
  if (forms.length === 2) return forms[count === 1 ? 0 : 1]!.trim()
  return forms[Math.min(Math.max(count, 0), 2)]!.trim()
}

/** Splits on `|` outside of `{…}`. */
function splitForms(text: string): string[] {
  const out: string[] = []
  let depth = 0
  let cur = ''
  for (const ch of text) {
    if (ch === '{') depth++
    if (ch === '}') depth = Math.max(0, depth - 1)
    if (ch === '|' && depth === 0) {
      out.push(cur)
      cur = ''
    } else cur += ch
  }
  out.push(cur)
  return out
}

const numberFormat = new Intl.NumberFormat('en-US')

/**
 * The text of a message: English by default, for the CLI, logs and clients that do not translate, or from
 * another catalog of the same keys (src-main/shared/i18n/zh-CN: the desktop notifications the Electron main
 * process raises itself). A key the catalog lacks falls back to English.
 */
export function formatMessage(m: Msg, catalog: unknown = serviceMessages): string {
  const text = catalogText(m.key, catalog) ?? catalogText(m.key)
  if (text === undefined) return m.key
  const params = m.params ?? {}
  const count = typeof params.count === 'number' ? params.count : undefined
  return pluralForm(text, count).replace(/\{('([^']*)'|[A-Za-z0-9_]+)\}/g, (_all, inner: string, literal: string | undefined) => {
    if (literal !== undefined) return literal
    const v = params[inner]
    if (v === undefined) return `{${inner}}`
    if (typeof v === 'number') return numberFormat.format(v)
    if (typeof v === 'string') return v
    return formatMessage(v, catalog)
  })
}
