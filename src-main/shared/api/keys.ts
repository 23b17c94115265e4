// The key editor's contract: browse a key space one level at a time, open values with format detection
// (Kubernetes protobuf included), write only through compare-and-swap transactions, history, leases,
// live watches and prefix import/export.
//
// Keys and values are bytes in etcd. They travel as base64 (`b64`) so keys that are not valid UTF-8
// survive the trip; every key also carries a display form with the invalid bytes escaped (\xNN).

import type { Msg } from '../i18n/message'
import { s } from '../schema'
import { MINUTE, confirm, decimal, method, stream, target } from './spec'

// ---- Data shapes -----------------------------------------------------------------------------

export interface KeyName {
  /** The exact bytes, base64. Send this back to name the key. */
  b64: string
  /** UTF-8 text with invalid bytes escaped as \xNN and a literal backslash as \\. */
  display: string
  /** False when the key is not valid UTF-8 (the display form is then an escape, not the key). */
  utf8: boolean
}

export interface TreeEntry {
  /** For a folder: the folder's prefix including the separator. */
  key: KeyName
  /** The last segment, escaped like `display`. */
  label: string
  folder: boolean
  /** Keys under the folder (count-only request at the browse revision); 1 for a key. */
  count: number
  /** Keys only: mod revision and lease ('0' for none) from the keys-only range. */
  modRevision?: string
  lease?: string
}

export interface BrowsePage {
  prefix: KeyName
  separator: string
  /** Every page of one browse is read at this revision, so pages never overlap or skip. */
  revision: string
  entries: TreeEntry[]
  /** Where the next page starts (pass back as `cursor`), or null when the level is complete. */
  cursor: string | null
  /** Keys under the prefix at `revision`. */
  totalKeys: number
  /** Keys covered by this page's entries (folders count all their keys). */
  pageKeys: number
}

export interface SearchResult {
  revision: string
  keys: KeyName[]
  /** Keys that start with the query (count-only). */
  count: number
}

export type ValueFormat = 'empty' | 'json' | 'yaml' | 'text' | 'binary' | 'kubernetes' | 'kubernetes-encrypted'

export interface KubernetesView {
  apiVersion: string
  kind: string
  /** True when the kind was decoded by its schema; false for a raw field tree. */
  known: boolean
  /** The object as JSON (field names for known kinds; `#<field number>` keys for raw trees). */
  object: unknown
  contentType?: string
  /** Set when the object bytes could not be decoded (English; `errorMsg` is the same for the renderer to translate). */
  error?: string
  errorMsg?: Msg
}

export interface ValueView {
  key: KeyName
  exists: boolean
  /** The store revision this view was read at. */
  revision: string
  createRevision: string
  modRevision: string
  version: string
  lease: string
  /** Full value size in bytes. */
  size: number
  /** True when only the first `maxBytes` were sent: editing needs "load all". */
  truncated: boolean
  format: ValueFormat
  /** The value as text when it is UTF-8 (json, yaml, text); the first part when truncated. */
  text: string | null
  /** The value bytes (base64) when they are not text: binary, Kubernetes. */
  b64: string | null
  kubernetes?: KubernetesView
  /** `k8s:enc:<provider>:v1:<key name>:` values: encrypted at rest by the API server. */
  encrypted?: { provider: string; keyName: string }
}

export interface ValueInput {
  text?: string
  b64?: string
}

export type WriteResult =
  | { status: 'ok'; revision: string; modRevision: string }
  /** Someone changed the key since it was loaded: nothing was written. */
  | { status: 'conflict'; theirs: ValueView; yours?: ValueInput }

export interface KeyHistory {
  key: KeyName
  /** Newest first. Values over the size limit are truncated. */
  versions: ValueView[]
  /** etcd forgets revisions before this one (0: never compacted). */
  compactRevision: string
  /** True when older versions exist in the current life of the key but were not listed (limit or compaction). */
  more: boolean
}

export interface LeaseInfo {
  id: string
  /** Seconds left (-1 when it expired meanwhile). */
  ttl: number
  grantedTtl: number
  keys: KeyName[]
}

export interface KeyEvent {
  type: 'put' | 'delete'
  key: KeyName
  modRevision: string
  version: string
  lease: string
  size: number
}

export interface KeyWatchBatch {
  revision: string
  events: KeyEvent[]
}

/** The JSON file of an export; `raftdeck-keys/1` files are what import accepts. */
export interface KeyExportFile {
  format: 'raftdeck-keys/1'
  prefix: string
  revision: string
  exportedAt: string
  keys: { key: string; keyB64?: string; value?: string; valueB64?: string; lease?: string }[]
}

export type ImportAction = 'create' | 'update' | 'unchanged'

export interface ImportPlan {
  /** The plan was computed at this revision; import refuses keys changed after it. */
  revision: string
  counts: Record<ImportAction, number>
  /** The first items (all creates and updates first), with both sides' text for a diff. */
  items: { key: KeyName; action: ImportAction; current: string | null; incoming: string; size: number }[]
  total: number
}

// ---- Parameters ------------------------------------------------------------------------------

const b64 = s.string({ max: 3 * 1024 * 1024, pattern: /^[A-Za-z0-9+/]*={0,2}$/ })
const key = b64
const separator = s.optional(s.string({ min: 1, max: 8 }))
const value = s.object({ text: s.optional(s.string({ max: 48 * 1024 * 1024 })), b64: s.optional(s.string({ max: 64 * 1024 * 1024 })) })
const expectModRevision = decimal
const maxBytes = s.optional(s.number({ int: true, min: 1024, max: 64 * 1024 * 1024 }))
const file = s.string({ max: 60 * 1024 * 1024 })

export const keyMethods = {
  /** One level of the tree under `prefix`: keys-only, limited ranges pinned to one revision. */
  'keys/browse': method<BrowsePage>()(
    s.object({ target, prefix: b64, separator, cursor: s.optional(b64), revision: s.optional(decimal), pageSize: s.optional(s.number({ int: true, min: 1, max: 10_000 })) }),
  ),
  'keys/count': method<{ count: number; revision: string }>()(s.object({ target, prefix: b64, revision: s.optional(decimal) })),
  /** Keys starting with `query` (text; \xNN escapes allowed), server-side. */
  'keys/search': method<SearchResult>()(s.object({ target, query: s.string({ max: 4096 }), limit: s.optional(s.number({ int: true, min: 1, max: 1000 })) })),
  'keys/get': method<ValueView>()(s.object({ target, key, revision: s.optional(decimal), maxBytes })),
  /** Compare-and-swap put: `expectModRevision` '0' means "must not exist" (create). */
  'keys/put': method<WriteResult>()(s.object({ target, key, value, expectModRevision, lease: s.optional(decimal), confirm })),
  'keys/delete': method<WriteResult>()(s.object({ target, key, expectModRevision, confirm })),
  /** Copy + delete in one transaction, guarded by the source's mod revision and the target's absence. */
  'keys/rename': method<WriteResult>()(s.object({ target, from: key, to: key, expectModRevision, confirm })),
  /** Deletes exactly the keys counted at `revision`; refuses if any changed since or `typedPrefix` differs. */
  'keys/deletePrefix': method<{ deleted: number; revision: string }>()(
    s.object({ target, prefix: b64, typedPrefix: s.string({ max: 4096 }), expectCount: s.number({ int: true, min: 0 }), revision: decimal, confirm }),
  ),
  'keys/history': method<KeyHistory>()(s.object({ target, key, limit: s.optional(s.number({ int: true, min: 1, max: 200 })), maxBytes })),
  'keys/leases': method<LeaseInfo[]>()(s.object({ target })),
  'keys/leaseGrant': method<{ id: string; ttl: number }>()(s.object({ target, ttl: s.number({ int: true, min: 1, max: 10 * 365 * 86400 }), confirm })),
  'keys/leaseRevoke': method<null>()(s.object({ target, id: decimal, confirm })),
  /** Attaches a lease to an existing key ('0' detaches), as a compare-and-swap. */
  'keys/setLease': method<WriteResult>()(s.object({ target, key, lease: decimal, expectModRevision, confirm })),
  // The transfers below read or write a whole prefix: they report progress (keys), stop when cancelled,
  // and end with TIMEOUT if they run longer than this.
  'keys/export': method<KeyExportFile>({ timeoutMs: 10 * MINUTE })(s.object({ target, prefix: b64 })),
  'keys/importPlan': method<ImportPlan>({ timeoutMs: 10 * MINUTE })(s.object({ target, file })),
  /** Cancelled or timed out part-way, it ends with an error that says how many keys were written (they stay). */
  'keys/import': method<{ written: number; skipped: number; conflicts: KeyName[] }>({ timeoutMs: 30 * MINUTE })(s.object({ target, file, planRevision: decimal, confirm })),
} as const

export const keyStreams = {
  /** Changes to one key, or to every key under a prefix, from `fromRevision` (default: now). */
  'keys/onWatch': stream<KeyWatchBatch>()(s.object({ target, key, prefix: s.boolean(), fromRevision: s.optional(decimal) })),
} as const
