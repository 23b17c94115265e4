// Kubernetes stores objects in etcd as `k8s\0` + a runtime.Unknown protobuf message: TypeMeta
// (apiVersion, kind), the object's bytes, and content type. We show the type and decode the object: by
// schema (k8s/schema.ts) for common built-in kinds, as a raw field tree for everything else.

import type { KubernetesView } from '../../../shared/api/keys'
import { formatMessage, msg } from '../../../shared'
import { KIND_ROOTS, MESSAGES } from './schema'
import { intValue, readFields, WireError, type WireField } from './wire'

export const K8S_MAGIC = Buffer.from('k8s\0', 'latin1')
export const K8S_ENCRYPTED = Buffer.from('k8s:enc:', 'latin1')

interface FieldDef {
  name: string
  type: string
}

const parsedMessages = new Map<string, Map<number, FieldDef>>()

function messageDef(name: string): Map<number, FieldDef> | undefined {
  let def = parsedMessages.get(name)
  if (def) return def
  const spec = MESSAGES[name]
  if (spec === undefined) return undefined
  def = new Map()
  for (const f of spec.split(',')) {
    if (!f) continue
    const [no, fieldName, type] = f.split(' ')
    def.set(Number(no), { name: fieldName!, type: type! })
  }
  parsedMessages.set(name, def)
  return def
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

export function decodeKubernetes(value: Buffer): KubernetesView {
  const view: KubernetesView = { apiVersion: '', kind: '', known: false, object: null }
  let raw: Uint8Array | undefined
  try {
    for (const f of readFields(value.subarray(K8S_MAGIC.length))) {
      if (f.no === 1 && f.bytes) {
        for (const t of readFields(f.bytes)) {
          if (t.no === 1 && t.bytes) view.apiVersion = utf8.decode(t.bytes)
          if (t.no === 2 && t.bytes) view.kind = utf8.decode(t.bytes)
        }
      } else if (f.no === 2 && f.bytes) raw = f.bytes
      else if (f.no === 4 && f.bytes && f.bytes.length > 0) view.contentType = utf8.decode(f.bytes)
    }
  } catch (err) {
    view.errorMsg = msg('keys.k8s.envelope', { detail: err instanceof Error ? err.message : String(err) })
    view.error = formatMessage(view.errorMsg)
    return view
  }
  if (!raw) return view
  const root = KIND_ROOTS[`${view.apiVersion}/${view.kind}`]
  try {
    if (root) {
      view.known = true
      view.object = { apiVersion: view.apiVersion, kind: view.kind, ...(decodeMessage(raw, root, 0) as Record<string, unknown>) }
    } else {
      view.object = rawTree(raw, 0)
    }
  } catch (err) {
    view.known = false
    view.errorMsg = msg('keys.k8s.undecodable', { kind: view.kind || msg('keys.k8s.object'), detail: err instanceof Error ? err.message : String(err) })
    view.error = formatMessage(view.errorMsg)
    try {
      view.object = rawTree(raw, 0)
    } catch {
      view.object = null
    }
  }
  return view
}

const MAX_DEPTH = 64

function decodeMessage(bytes: Uint8Array, type: string, depth: number): unknown {
  if (depth > MAX_DEPTH) throw new WireError('nested too deeply')
  const special = decodeSpecial(bytes, type)
  if (special !== undefined) return special
  const def = messageDef(type)
  if (!def) return rawTree(bytes, depth)
  const out: Record<string, unknown> = {}
  for (const f of readFields(bytes)) {
    const fd = def.get(f.no)
    if (!fd) {
      // A field newer than our table: keep it, by number, rather than hide it.
      out[`#${f.no}`] = rawValue(f, depth)
      continue
    }
    if (fd.type.startsWith('map:')) {
      const [, kt, vt] = fd.type.split(':')
      const entry = readFields(f.bytes ?? new Uint8Array())
      let k: unknown = ''
      let v: unknown = defaultOf(vt!)
      for (const e of entry) {
        if (e.no === 1) k = scalarOrMessage(e, kt!, depth)
        if (e.no === 2) v = scalarOrMessage(e, vt!, depth)
      }
      const m = (out[fd.name] ??= {}) as Record<string, unknown>
      m[String(k)] = v
      continue
    }
    const repeated = fd.type.startsWith('*')
    const t = repeated ? fd.type.slice(1) : fd.type
    if (repeated) {
      const arr = (out[fd.name] ??= []) as unknown[]
      if (f.wire === 2 && isPackable(t)) arr.push(...unpack(f.bytes!, t))
      else arr.push(scalarOrMessage(f, t, depth))
    } else out[fd.name] = scalarOrMessage(f, t, depth)
  }
  // Generated Kubernetes encoders write empty strings and false booleans; JSON omits them. Do the same
  // so the view reads like `kubectl get -o yaml`.
  for (const [k, v] of Object.entries(out)) if (v === '' || v === false || v === null || (isPlainObject(v) && Object.keys(v).length === 0)) delete out[k]
  return out
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Messages whose JSON form is not an object: times, quantities, int-or-string, raw JSON. */
function decodeSpecial(bytes: Uint8Array, type: string): unknown {
  switch (type) {
    case 'meta.Time':
    case 'meta.MicroTime': {
      let seconds = 0n
      let nanos = 0n
      for (const f of readFields(bytes)) {
        if (f.no === 1 && f.varint !== undefined) seconds = BigInt.asIntN(64, f.varint)
        if (f.no === 2 && f.varint !== undefined) nanos = BigInt.asIntN(64, f.varint)
      }
      if (seconds === 0n && nanos === 0n) return null
      const iso = new Date(Number(seconds) * 1000).toISOString()
      return type === 'meta.Time' ? iso.replace('.000Z', 'Z') : iso.replace('.000Z', `.${String(Number(nanos) / 1000).padStart(6, '0')}Z`)
    }
    case 'resource.Quantity':
    case 'resource.QuantityValue':
      for (const f of readFields(bytes)) if (f.no === 1 && f.bytes) return utf8.decode(f.bytes)
      return '0'
    case 'intstr.IntOrString': {
      let kind = 0n
      let intVal: number | string = 0
      let strVal = ''
      for (const f of readFields(bytes)) {
        if (f.no === 1 && f.varint !== undefined) kind = f.varint
        if (f.no === 2 && f.varint !== undefined) intVal = intValue(f.varint, true)
        if (f.no === 3 && f.bytes) strVal = utf8.decode(f.bytes)
      }
      return kind === 1n ? strVal : intVal
    }
    case 'meta.Duration':
      for (const f of readFields(bytes)) if (f.no === 1 && f.varint !== undefined) return `${Number(BigInt.asIntN(64, f.varint)) / 1e9}s`
      return '0s'
    case 'meta.FieldsV1':
    case 'runtime.RawExtension':
      for (const f of readFields(bytes)) if (f.no === 1 && f.bytes) return jsonOrBase64(f.bytes)
      return null
  }
  return undefined
}

function jsonOrBase64(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(utf8.decode(bytes)) as unknown
  } catch {
    return Buffer.from(bytes).toString('base64')
  }
}

const SIGNED = new Set(['int32', 'int64', 'sint32', 'sint64'])

function isPackable(t: string): boolean {
  return ['int32', 'int64', 'uint32', 'uint64', 'bool', 'double', 'float', 'fixed32', 'fixed64', 'sint32', 'sint64'].includes(t)
}

function unpack(bytes: Uint8Array, t: string): unknown[] {
  const out: unknown[] = []
  let pos = 0
  while (pos < bytes.length) {
    if (t === 'double' || t === 'fixed64') {
      out.push(t === 'double' ? Buffer.from(bytes.subarray(pos, pos + 8)).readDoubleLE(0) : intValue(Buffer.from(bytes.subarray(pos, pos + 8)).readBigUInt64LE(0), false))
      pos += 8
    } else if (t === 'float' || t === 'fixed32') {
      out.push(t === 'float' ? Buffer.from(bytes.subarray(pos, pos + 4)).readFloatLE(0) : Buffer.from(bytes.subarray(pos, pos + 4)).readUInt32LE(0))
      pos += 4
    } else {
      let v = 0n
      let shift = 0n
      for (;;) {
        const b = bytes[pos++]
        if (b === undefined) throw new WireError('truncated packed varint')
        v |= BigInt(b & 0x7f) << shift
        if ((b & 0x80) === 0) break
        shift += 7n
      }
      out.push(t === 'bool' ? v !== 0n : intValue(v, SIGNED.has(t)))
    }
  }
  return out
}

function defaultOf(t: string): unknown {
  return t === 'string' ? '' : t === 'bool' ? false : t === 'bytes' ? '' : SIGNED.has(t) || t.startsWith('uint') ? 0 : {}
}

function scalarOrMessage(f: WireField, t: string, depth: number): unknown {
  switch (t) {
    case 'string':
      return f.bytes ? utf8.decode(f.bytes) : ''
    case 'bytes':
      return f.bytes ? Buffer.from(f.bytes).toString('base64') : ''
    case 'bool':
      return f.varint !== undefined && f.varint !== 0n
    case 'int32':
    case 'int64':
    case 'uint32':
    case 'uint64':
      return f.varint !== undefined ? intValue(f.varint, SIGNED.has(t)) : 0
    case 'double':
      return f.fixed ? Buffer.from(f.fixed).readDoubleLE(0) : 0
    case 'float':
      return f.fixed ? Buffer.from(f.fixed).readFloatLE(0) : 0
    default:
      if (!f.bytes) throw new WireError(`field of type ${t} is not length-delimited`)
      return decodeMessage(f.bytes, t, depth + 1)
  }
}

// ---- Raw field tree for unknown kinds ----------------------------------------------------------

function isPrintable(s: string): boolean {
   
  return !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(s)
}

function rawValue(f: WireField, depth: number): unknown {
  if (f.varint !== undefined) return intValue(f.varint, false)
  if (f.fixed) return f.fixed.length === 8 ? `0x${Buffer.from(f.fixed).readBigUInt64LE(0).toString(16)}` : `0x${Buffer.from(f.fixed).readUInt32LE(0).toString(16)}`
  const bytes = f.bytes!
  if (bytes.length === 0) return ''
  try {
    const text = utf8.decode(bytes)
    if (isPrintable(text)) return text
  } catch {
    // not text: try a nested message below
  }
  if (depth < MAX_DEPTH) {
    try {
      return rawTree(bytes, depth + 1)
    } catch {
      // not a message either
    }
  }
  return `base64:${Buffer.from(bytes).toString('base64')}`
}

/** A message of unknown type: `#<field number>` → value, arrays for repeated numbers. */
export function rawTree(bytes: Uint8Array, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  const repeated = new Set<string>()
  for (const f of readFields(bytes)) {
    const k = `#${f.no}`
    const v = rawValue(f, depth)
    if (repeated.has(k)) (out[k] as unknown[]).push(v)
    else if (k in out) {
      out[k] = [out[k], v]
      repeated.add(k)
    } else out[k] = v
  }
  return out
}
