// Pure helpers of the key editor: key bytes and their display names, value formatting (hex, YAML, sizes,
// TTLs). No Vue, no API: unit-tested in Node. The tree index is in keyTree.shared.ts.

import type { KeyName } from '@shared/api/keys'

// ---- bytes and names ----------------------------------------------------------------------------

export function decodeB64(b64: string): Uint8Array {
  const bin = atob(b64)
  const out = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  return out
}

export function encodeB64(bytes: Uint8Array): string {
  let bin = ''
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(bin)
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!
  return a.length - b.length
}

export function startsWith(a: Uint8Array, p: Uint8Array): boolean {
  if (a.length < p.length) return false
  for (let i = 0; i < p.length; i++) if (a[i] !== p[i]) return false
  return true
}

export function indexOf(hay: Uint8Array, needle: Uint8Array, from: number): number {
  outer: for (let i = from; i <= hay.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer
    return i
  }
  return -1
}

const strict = new TextDecoder('utf-8', { fatal: true })

/** The same display form as the services produce: \\ for a backslash, \xNN for bytes that are not text. */
export function keyNameOf(bytes: Uint8Array): KeyName {
  let display = ''
  let utf8 = true
  let i = 0
  while (i < bytes.length) {
    let ok = false
    for (let len = 1; len <= 4 && i + len <= bytes.length; len++) {
      try {
        const ch = strict.decode(bytes.subarray(i, i + len))
        display += escapeChar(ch)
        i += len
        ok = true
        break
      } catch {
        // a longer sequence, or not text
      }
    }
    if (!ok) {
      display += `\\x${bytes[i]!.toString(16).padStart(2, '0')}`
      utf8 = false
      i += 1
    }
  }
  return { b64: encodeB64(bytes), display, utf8 }
}

function escapeChar(ch: string): string {
  if (ch === '\\') return '\\\\'
  const c = ch.charCodeAt(0)
  return c < 0x20 || c === 0x7f ? `\\x${c.toString(16).padStart(2, '0')}` : ch
}

/** What the user typed (display form, \xNN and \\ escapes) as key bytes. */
export function typedToBytes(text: string): Uint8Array {
  const out: number[] = []
  const enc = new TextEncoder()
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!
    if (ch === '\\' && text[i + 1] === '\\') {
      out.push(0x5c)
      i++
    } else if (ch === '\\' && text[i + 1] === 'x' && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 2, i + 4))) {
      out.push(parseInt(text.slice(i + 2, i + 4), 16))
      i += 3
    } else {
      const cp = text.codePointAt(i)!
      const s = String.fromCodePoint(cp)
      out.push(...enc.encode(s))
      i += s.length - 1
    }
  }
  return new Uint8Array(out)
}

/** The folder (prefix through the last separator) that holds a key, as display text. */
export function parentFolders(display: string, separator: string): string[] {
  const out: string[] = []
  let i = display.indexOf(separator)
  while (i >= 0) {
    out.push(display.slice(0, i + separator.length))
    i = display.indexOf(separator, i + separator.length)
  }
  return out
}

// ---- values -----------------------------------------------------------------------------------

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KiB`
  return `${(n / 1024 / 1024).toFixed(1)} MiB`
}

/** A hex dump (offset, 16 bytes, ASCII) of the first `max` bytes. */
export function hexDump(bytes: Uint8Array, max = 64 * 1024): string {
  const lines: string[] = []
  const n = Math.min(bytes.length, max)
  for (let off = 0; off < n; off += 16) {
    const row = bytes.subarray(off, Math.min(off + 16, n))
    const hex = Array.from(row, (b) => b.toString(16).padStart(2, '0')).join(' ')
    const ascii = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('')
    lines.push(`${off.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`)
  }
  if (bytes.length > n) lines.push(`… ${bytes.length - n} more bytes`)
  return lines.join('\n')
}

const plainScalar = /^[A-Za-z_/][\w./-]*$/

/** A string YAML reads back as the same string without quotes (no indicators, numbers or booleans). */
function isPlainString(s: string): boolean {
  if (s === '' || s !== s.trim() || /[\n\t]/.test(s)) return false
  if (/^[-?:,[\]{}#&*!|>'"%@`]/.test(s) || s.includes(': ') || s.includes(' #') || s.endsWith(':')) return false
  if (/^[-+.]?\d/.test(s) || /^(true|false|null|yes|no|on|off|y|n|~)$/i.test(s)) return false
  return true
}

function yamlScalar(v: unknown): string {
  if (v === null || v === undefined) return 'null'
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  const s = String(v)
  return isPlainString(s) ? s : JSON.stringify(s)
}

/** YAML for a decoded object (JSON data only): block style, like `kubectl get -o yaml`. */
export function toYaml(value: unknown, indent = 0): string {
  const pad = ' '.repeat(indent)
  if (Array.isArray(value)) {
    if (value.length === 0) return `${pad}[]\n`
    return value
      .map((item) => {
        if (item !== null && typeof item === 'object' && Object.keys(item).length > 0) {
          const inner = toYaml(item, indent + 2)
          return `${pad}- ${inner.slice(indent + 2)}`
        }
        return `${pad}- ${yamlScalar(item)}\n`
      })
      .join('')
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
    if (entries.length === 0) return `${pad}{}\n`
    return entries
      .map(([k, v]) => {
        const key = plainScalar.test(k) ? k : JSON.stringify(k)
        if (v !== null && typeof v === 'object' && (Array.isArray(v) ? v.length > 0 : Object.keys(v).length > 0))
          return `${pad}${key}:\n${toYaml(v, Array.isArray(v) ? indent : indent + 2)}`
        if (Array.isArray(v)) return `${pad}${key}: []\n`
        if (v !== null && typeof v === 'object') return `${pad}${key}: {}\n`
        return `${pad}${key}: ${yamlScalar(v)}\n`
      })
      .join('')
  }
  return `${pad}${yamlScalar(value)}\n`
}

export function formatTtl(seconds: number): string {
  if (seconds < 0) return 'expired'
  const h = Math.floor(seconds / 3600)
  const m = Math.floor((seconds % 3600) / 60)
  const s = seconds % 60
  return h > 0 ? `${h}h ${m}m ${s}s` : m > 0 ? `${m}m ${s}s` : `${s}s`
}
