// Turns an etcd KeyValue into what the editor shows, sending at most `maxBytes` of the value so a value
// of many megabytes never reaches (and freezes) the window unless the user asks for all of it.

import type { KeyName, ValueInput, ValueView } from '../../shared/api/keys'
import { AppError, ErrorCode, msg } from '../../shared'
import type * as pb from '../etcd/messages'
import { describeValue } from './format'
import { keyName } from './keyBytes'

export const DEFAULT_MAX_BYTES = 256 * 1024

export function valueView(key: Buffer | KeyName, kv: pb.KeyValue | null | undefined, revision: string, maxBytes = DEFAULT_MAX_BYTES): ValueView {
  const name = Buffer.isBuffer(key) ? keyName(key) : key
  if (!kv) return { key: name, exists: false, revision, createRevision: '0', modRevision: '0', version: '0', lease: '0', size: 0, truncated: false, format: 'empty', text: null, b64: null }
  const size = kv.value.length
  const truncated = size > maxBytes
  const bytes = truncated ? kv.value.subarray(0, maxBytes) : kv.value
  return {
    key: name,
    exists: true,
    revision,
    createRevision: kv.create_revision,
    modRevision: kv.mod_revision,
    version: kv.version,
    lease: kv.lease,
    size,
    truncated,
    ...describeValue(bytes, size, truncated),
  }
}

/** The bytes of a value the user sent: text (UTF-8) or base64, exactly one of them. */
export function valueBytes(v: ValueInput): Buffer {
  if (v.text !== undefined && v.b64 !== undefined) throw new AppError(ErrorCode.InvalidParams, msg('keys.textAndB64'))
  if (v.b64 !== undefined) return Buffer.from(v.b64, 'base64')
  return Buffer.from(v.text ?? '', 'utf8')
}
