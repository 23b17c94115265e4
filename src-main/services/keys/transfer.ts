// Export a prefix to a JSON file and import it back, with a dry run first. Text values stay readable in
// the file; binary values and non-UTF-8 keys travel as base64. Import writes in transactions that refuse
// any key changed after the dry run, so what the user reviewed is what gets written.
//
// All three report progress in keys and stop when their signal is aborted. Reads stop at once (the
// request in flight is cancelled); an import stops between write transactions, never inside one, so it
// can say exactly how many keys it wrote.

import type { ImportAction, ImportPlan, KeyExportFile, KeyName } from '../../shared/api/keys'
import { AppError, ErrorCode, formatMessage, msg, type Msg } from '../../shared'
import { stoppedError, throwIfStopped } from '../cancel'
import type { EtcdClient } from '../etcd/client'
import type { Cancellable } from '../types'
import type { KvReader } from '../targets'
import type * as pb from '../etcd/messages'
import { asText } from './format'
import { displayBytes, keyName, nextKey, parseTyped, prefixRange } from './keyBytes'

/** A whole export is held in memory and crosses the API as one message. */
const MAX_EXPORT_BYTES = 48 * 1024 * 1024
const EXPORT_PAGE = 500
/** etcd's default --max-txn-ops is 128; each key takes a compare and a put. */
const KEYS_PER_TXN = 100
const BYTES_PER_TXN = 1024 * 1024
const PLAN_ITEMS = 500

/** A progress phase: the English text (for the CLI) and its key (for the renderer). */
const phaseOf = (key: 'reading' | 'comparing' | 'readingCurrent' | 'writing') => {
  const m = msg(`keys.phase.${key}`)
  return { phase: formatMessage(m), phaseMsg: m }
}

/** The stop error (cancelled or timed out) followed by what the import did before it stopped. */
function stoppedWith(signal: AbortSignal, soFar: Msg): AppError {
  const base = stoppedError(signal)
  const reason = base.msg ?? (base.code === ErrorCode.Cancelled && base.message === formatMessage(msg('keys.stopped.cancelled')) ? msg('keys.stopped.cancelled') : base.message)
  return new AppError(base.code, msg('keys.stopped.withWork', { reason, soFar }), base.hintMsg ?? base.hint, base.details)
}

export async function exportPrefix(client: KvReader, prefix: Buffer, call: Cancellable = {}): Promise<KeyExportFile> {
  const { signal, progress } = call
  const { key: first, range_end } = prefixRange(prefix)
  const keys: KeyExportFile['keys'] = []
  let start = first
  // The count fixes the revision every page is read at, and gives the progress its total.
  const counted = await client.range({ key: first, range_end, count_only: true }, { signal })
  const revision = counted.header.revision
  const count = Number(counted.count)
  progress?.({ ...phaseOf('reading'), done: 0, total: count, unit: 'keys' })
  let total = 0
  for (;;) {
    throwIfStopped(signal)
    const res = await client.range({ key: start, range_end, limit: EXPORT_PAGE, revision }, { signal })
    for (const kv of res.kvs) {
      total += kv.key.length + kv.value.length
      if (total > MAX_EXPORT_BYTES) throw new AppError(ErrorCode.ResourceExhausted, msg('keys.transfer.tooBig', { mib: MAX_EXPORT_BYTES >> 20 }), msg('keys.transfer.tooBigHint'))
      const k = displayBytes(kv.key)
      const text = asText(kv.value, false)
      keys.push({
        key: k.text,
        ...(k.utf8 ? {} : { keyB64: kv.key.toString('base64') }),
        ...(text !== null ? { value: text } : { valueB64: kv.value.toString('base64') }),
        ...(kv.lease !== '0' ? { lease: kv.lease } : {}),
      })
    }
    progress?.({ ...phaseOf('reading'), done: keys.length, total: count, unit: 'keys' })
    if (!res.more || res.kvs.length === 0) break
    start = nextKey(res.kvs[res.kvs.length - 1]!.key)
  }
  return { format: 'raftdeck-keys/1', prefix: displayBytes(prefix).text, revision, exportedAt: new Date().toISOString(), keys }
}

interface ImportEntry {
  key: Buffer
  value: Buffer
}

export function parseExportFile(json: string): ImportEntry[] {
  let data: KeyExportFile
  try {
    data = JSON.parse(json) as KeyExportFile
  } catch (err) {
    throw new AppError(ErrorCode.InvalidParams, msg('keys.transfer.notJson', { detail: err instanceof Error ? err.message : String(err) }), msg('keys.transfer.pickExport'))
  }
  if (data?.format !== 'raftdeck-keys/1' || !Array.isArray(data.keys)) throw new AppError(ErrorCode.InvalidParams, msg('keys.transfer.notExport'), msg('keys.transfer.pickExport'))
  const seen = new Set<string>()
  return data.keys.map((e, i) => {
    if (typeof e?.key !== 'string' && typeof e?.keyB64 !== 'string') throw new AppError(ErrorCode.InvalidParams, msg('keys.transfer.entryNoKey', { index: i }))
    const key = e.keyB64 !== undefined ? Buffer.from(e.keyB64, 'base64') : parseTyped(e.key)
    if (key.length === 0) throw new AppError(ErrorCode.InvalidParams, msg('keys.transfer.entryEmptyKey', { index: i }))
    const id = key.toString('base64')
    if (seen.has(id)) throw new AppError(ErrorCode.InvalidParams, msg('keys.transfer.duplicate', { key: e.key }))
    seen.add(id)
    const value = e.valueB64 !== undefined ? Buffer.from(e.valueB64, 'base64') : Buffer.from(e.value ?? '', 'utf8')
    return { key, value }
  })
}

async function currentValues(client: EtcdClient, entries: ImportEntry[], call: Cancellable, phase: ReturnType<typeof phaseOf>): Promise<{ revision: string; current: Map<string, pb.KeyValue> }> {
  const { signal, progress } = call
  const current = new Map<string, pb.KeyValue>()
  // The first read fixes the revision; the others read at it, so the plan is one consistent picture.
  let revision: string | undefined
  progress?.({ ...phase, done: 0, total: entries.length, unit: 'keys' })
  for (let i = 0; i < entries.length; i += KEYS_PER_TXN) {
    throwIfStopped(signal)
    const batch = entries.slice(i, i + KEYS_PER_TXN)
    const res = await client.txn({ compare: [], success: batch.map((e) => ({ request_range: { key: e.key, ...(revision ? { revision } : {}) } })), failure: [] }, { signal })
    revision ??= res.header.revision
    for (const r of res.responses) {
      const kv = r.response_range?.kvs[0]
      if (kv) current.set(kv.key.toString('base64'), kv)
    }
    progress?.({ ...phase, done: i + batch.length, total: entries.length, unit: 'keys' })
  }
  return { revision: revision ?? (await client.range({ key: Buffer.from([0]), count_only: true }, { signal })).header.revision, current }
}

const actionOf = (e: ImportEntry, cur: pb.KeyValue | undefined): ImportAction => (!cur ? 'create' : cur.value.equals(e.value) ? 'unchanged' : 'update')

const previewText = (b: Buffer): string => {
  const t = asText(b.subarray(0, 64 * 1024), b.length > 64 * 1024)
  return t ?? `(binary, ${b.length} bytes) ${b.subarray(0, 48).toString('hex')}`
}

export async function planImport(client: EtcdClient, json: string, call: Cancellable = {}): Promise<ImportPlan> {
  const entries = parseExportFile(json)
  const { revision, current } = await currentValues(client, entries, call, phaseOf('comparing'))
  const counts: Record<ImportAction, number> = { create: 0, update: 0, unchanged: 0 }
  const items: ImportPlan['items'] = []
  const ranked = entries.map((e) => ({ e, cur: current.get(e.key.toString('base64')) })).map((x) => ({ ...x, action: actionOf(x.e, x.cur) }))
  for (const x of ranked) counts[x.action]++
  for (const x of [...ranked.filter((r) => r.action !== 'unchanged'), ...ranked.filter((r) => r.action === 'unchanged')].slice(0, PLAN_ITEMS))
    items.push({ key: keyName(x.e.key), action: x.action, current: x.cur ? previewText(x.cur.value) : null, incoming: previewText(x.e.value), size: x.e.value.length })
  return { revision, counts, items, total: entries.length }
}

export async function applyImport(client: EtcdClient, json: string, planRevision: string, call: Cancellable = {}): Promise<{ written: number; skipped: number; conflicts: KeyName[] }> {
  const { signal, progress } = call
  const entries = parseExportFile(json)
  const { current } = await currentValues(client, entries, call, phaseOf('readingCurrent')).catch((err: unknown) => {
    throw signal?.aborted ? stoppedWith(signal, msg('keys.stopped.noneWritten')) : err
  })
  const toWrite = entries.filter((e) => actionOf(e, current.get(e.key.toString('base64'))) !== 'unchanged')
  const guard = (BigInt(planRevision) + 1n).toString()
  let written = 0
  const conflicts: KeyName[] = []
  let batch: ImportEntry[] = []
  let bytes = 0
  const report = () => progress?.({ ...phaseOf('writing'), done: written + conflicts.length, total: toWrite.length, unit: 'keys' })
  // Checked between transactions only: a write in flight is let finish, so the count below is exact.
  const stopHere = () => {
    if (signal?.aborted)
      throw stoppedWith(signal, written === 0 ? msg('keys.stopped.noneWritten') : msg('keys.stopped.someWritten', { written, total: toWrite.length }))
  }
  report()
  const flush = async () => {
    if (batch.length === 0) return
    stopHere()
    const res = await client.txn({
      // Nothing in this batch may have changed since the dry run the user reviewed.
      compare: batch.map((e) => ({ key: e.key, target: 'MOD' as const, result: 'LESS' as const, mod_revision: guard })),
      success: batch.map((e) => ({ request_put: { key: e.key, value: e.value } })),
      failure: [],
    })
    if (res.succeeded) written += batch.length
    else {
      // Find which keys moved, so the user knows what to look at; the rest of the batch is retried alone.
      for (const e of batch) {
        const one = await client.txn({ compare: [{ key: e.key, target: 'MOD', result: 'LESS', mod_revision: guard }], success: [{ request_put: { key: e.key, value: e.value } }], failure: [] })
        if (one.succeeded) written++
        else conflicts.push(keyName(e.key))
      }
    }
    batch = []
    bytes = 0
    report()
  }
  for (const e of toWrite) {
    if (batch.length >= KEYS_PER_TXN || (batch.length > 0 && bytes + e.value.length > BYTES_PER_TXN)) await flush()
    batch.push(e)
    bytes += e.key.length + e.value.length
  }
  await flush()
  return { written, skipped: entries.length - toWrite.length, conflicts }
}
