// Keys are bytes. These helpers name them for the UI (base64 plus an escaped display form, so keys that
// are not valid UTF-8 stay openable) and compute the range ends etcd uses for prefixes.

import { AppError, ErrorCode, msg } from '../../shared'
import type { KeyName } from '../../shared/api/keys'

const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

/** Backslashes doubled and control characters as \xNN, so the display form is unambiguous and visible. */
const escapeText = (s: string): string =>
  s.replace(/\\/g, '\\\\').replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)

/** Decodes valid UTF-8 runs as text and escapes every other byte (and control characters) as \xNN, `\` as `\\`. */
export function displayBytes(bytes: Uint8Array): { text: string; utf8: boolean } {
  try {
    return { text: escapeText(strictUtf8.decode(bytes)), utf8: true }
  } catch {
    // Slow path only for invalid keys: decode maximal valid runs, escape the rest byte by byte.
    let out = ''
    let i = 0
    while (i < bytes.length) {
      const len = utf8SequenceLength(bytes, i)
      if (len === 0) {
        out += `\\x${bytes[i]!.toString(16).padStart(2, '0')}`
        i += 1
      } else {
        out += escapeText(strictUtf8.decode(bytes.subarray(i, i + len)))
        i += len
      }
    }
    return { text: out, utf8: false }
  }
}

/** Length of the valid UTF-8 sequence starting at i, or 0 when the byte there does not start one. */
function utf8SequenceLength(b: Uint8Array, i: number): number {
  const c = b[i]!
  const cont = (k: number) => i + k < b.length && (b[i + k]! & 0xc0) === 0x80
  if (c < 0x80) return 1
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0
  if (c >= 0xe0 && c <= 0xef) {
    if (!cont(1) || !cont(2)) return 0
    const c1 = b[i + 1]!
    if (c === 0xe0 && c1 < 0xa0) return 0
    if (c === 0xed && c1 > 0x9f) return 0 // surrogates
    return 3
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0
    const c1 = b[i + 1]!
    if (c === 0xf0 && c1 < 0x90) return 0
    if (c === 0xf4 && c1 > 0x8f) return 0
    return 4
  }
  return 0
}

export function keyName(bytes: Buffer): KeyName {
  const d = displayBytes(bytes)
  return { b64: bytes.toString('base64'), display: d.text, utf8: d.utf8 }
}

export function fromB64(b64: string): Buffer {
  return Buffer.from(b64, 'base64')
}

/** Parses what a user typed: text, where \xNN is a byte and \\ a backslash (the display form). */
export function parseTyped(text: string): Buffer {
  const parts: Buffer[] = []
  let run = ''
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!
    if (ch === '\\' && text[i + 1] === '\\') {
      run += '\\'
      i += 1
    } else if (ch === '\\' && text[i + 1] === 'x' && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 2, i + 4))) {
      parts.push(Buffer.from(run, 'utf8'), Buffer.from([parseInt(text.slice(i + 2, i + 4), 16)]))
      run = ''
      i += 3
    } else run += ch
  }
  parts.push(Buffer.from(run, 'utf8'))
  return Buffer.concat(parts)
}

/** The smallest key after every key that starts with `prefix` ([0] means "to the end of the key space"). */
export function prefixEnd(prefix: Uint8Array): Buffer {
  const end = Buffer.from(prefix)
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i] = end[i]! + 1
      return end.subarray(0, i + 1)
    }
  }
  return Buffer.from([0])
}

/** The range for "every key under prefix"; the empty prefix means every key. */
export function prefixRange(prefix: Buffer): { key: Buffer; range_end: Buffer } {
  return prefix.length === 0 ? { key: Buffer.from([0]), range_end: Buffer.from([0]) } : { key: prefix, range_end: prefixEnd(prefix) }
}

/** The key right after `key` in etcd's byte order. */
export function nextKey(key: Buffer): Buffer {
  return Buffer.concat([key, Buffer.from([0])])
}

export function requireKey(bytes: Buffer): Buffer {
  if (bytes.length === 0) throw new AppError(ErrorCode.InvalidParams, msg('keys.emptyKey'), msg('keys.emptyKeyHint'))
  return bytes
}
