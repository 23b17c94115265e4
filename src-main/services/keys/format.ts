// What a value is, so the editor can pick a mode: Kubernetes protobuf (or its encrypted-at-rest form),
// JSON, YAML, plain text, or binary. Detection looks at the bytes only; it never changes them.

import type { ValueFormat, ValueView } from '../../shared/api/keys'
import { decodeKubernetes, K8S_ENCRYPTED, K8S_MAGIC } from './k8s/decode'

const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

/** UTF-8 text of `bytes`, tolerating a multi-byte character cut by truncation; null when not text. */
export function asText(bytes: Buffer, truncated: boolean): string | null {
  for (let cut = 0; cut <= (truncated ? 3 : 0); cut++) {
    try {
      const text = strictUtf8.decode(bytes.subarray(0, bytes.length - cut))
       
      const control = text.match(/[\u0000-\u0008\u000e-\u001f]/g)?.length ?? 0
      return control > 0 && (text.includes('\u0000') || control > text.length / 100) ? null : text
    } catch {
      // try one byte shorter
    }
  }
  return null
}

const YAML_LINE = /^(---\s*$|[\w"'.\-/ ]+:(\s|$)|- )/m

export function detectTextFormat(text: string, truncated: boolean): ValueFormat {
  const t = text.trimStart()
  if (t.startsWith('{') || t.startsWith('[')) {
    if (truncated) return 'json'
    try {
      JSON.parse(t)
      return 'json'
    } catch {
      // fall through: maybe YAML flow style or just text
    }
  }
  if (YAML_LINE.test(t) && t.includes('\n')) return 'yaml'
  if (/^[\w"'.\-/]+:\s\S/.test(t) && !t.includes('\n')) return 'yaml'
  return 'text'
}

/** Fills the format-related fields of a ValueView from the (possibly truncated) value bytes. */
export function describeValue(bytes: Buffer, fullSize: number, truncated: boolean): Pick<ValueView, 'format' | 'text' | 'b64' | 'kubernetes' | 'encrypted'> {
  if (fullSize === 0) return { format: 'empty', text: '', b64: null }
  if (bytes.subarray(0, K8S_MAGIC.length).equals(K8S_MAGIC)) {
    // Decoding a truncated object would only produce errors; the view asks for "load all" first.
    return truncated ? { format: 'kubernetes', text: null, b64: bytes.toString('base64') } : { format: 'kubernetes', text: null, b64: bytes.toString('base64'), kubernetes: decodeKubernetes(bytes) }
  }
  if (bytes.subarray(0, K8S_ENCRYPTED.length).equals(K8S_ENCRYPTED)) {
    const header = bytes.subarray(0, 256).toString('latin1').split(':')
    return { format: 'kubernetes-encrypted', text: null, b64: bytes.toString('base64'), encrypted: { provider: header[2] ?? '?', keyName: header[4] ?? '?' } }
  }
  const text = asText(bytes, truncated)
  if (text === null) return { format: 'binary', text: null, b64: bytes.toString('base64') }
  return { format: detectTextFormat(text, truncated), text, b64: null }
}
