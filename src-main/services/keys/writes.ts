// Every write is a transaction that compares the key's mod revision with the one the user loaded, so a
// change made meanwhile by someone else is reported (with their value) and never silently overwritten.
// etcd compares a missing key as mod revision 0, so '0' means "create: must not exist".

import type { ValueInput, WriteResult } from '../../shared/api/keys'
import { AppError, ErrorCode, msg } from '../../shared'
import type { EtcdClient } from '../etcd/client'
import type * as pb from '../etcd/messages'
import { prefixRange } from './keyBytes'
import { valueView } from './valueView'

const modEquals = (key: Buffer, rev: string): pb.Compare => ({ key, target: 'MOD', result: 'EQUAL', mod_revision: rev })
const readBack = (key: Buffer): pb.RequestOp => ({ request_range: { key } })

function conflict(key: Buffer, res: pb.TxnResponse, yours?: ValueInput): WriteResult {
  const kv = res.responses[0]?.response_range?.kvs[0] ?? null
  return { status: 'conflict', theirs: valueView(key, kv, res.header.revision), ...(yours ? { yours } : {}) }
}

export async function casPut(client: EtcdClient, key: Buffer, value: Buffer, expectModRevision: string, lease: string | undefined, yours?: ValueInput): Promise<WriteResult> {
  const res = await client.txn({
    compare: [modEquals(key, expectModRevision)],
    success: [{ request_put: { key, value, ...(lease && lease !== '0' ? { lease } : {}) } }],
    failure: [readBack(key)],
  })
  if (!res.succeeded) return conflict(key, res, yours)
  return { status: 'ok', revision: res.header.revision, modRevision: res.header.revision }
}

export async function casDelete(client: EtcdClient, key: Buffer, expectModRevision: string): Promise<WriteResult> {
  if (expectModRevision === '0') throw new AppError(ErrorCode.InvalidParams, msg('keys.deleteNeedsRevision'))
  const res = await client.txn({ compare: [modEquals(key, expectModRevision)], success: [{ request_delete_range: { key } }], failure: [readBack(key)] })
  if (!res.succeeded) return conflict(key, res)
  return { status: 'ok', revision: res.header.revision, modRevision: res.header.revision }
}

/** Copy + delete in one transaction: the source must be unchanged and the destination must not exist. */
export async function casRename(client: EtcdClient, from: Buffer, to: Buffer, expectModRevision: string): Promise<WriteResult> {
  if (from.equals(to)) throw new AppError(ErrorCode.InvalidParams, msg('keys.renameSame'))
  const cur = await client.range({ key: from })
  const kv = cur.kvs[0]
  if (!kv || kv.mod_revision !== expectModRevision) return { status: 'conflict', theirs: valueView(from, kv ?? null, cur.header.revision) }
  const res = await client.txn({
    compare: [modEquals(from, expectModRevision), modEquals(to, '0')],
    success: [{ request_put: { key: to, value: kv.value, ...(kv.lease !== '0' ? { lease: kv.lease } : {}) } }, { request_delete_range: { key: from } }],
    failure: [readBack(from), readBack(to)],
  })
  if (res.succeeded) return { status: 'ok', revision: res.header.revision, modRevision: res.header.revision }
  const dest = res.responses[1]?.response_range?.kvs[0]
  if (dest) throw new AppError(ErrorCode.Conflict, msg('keys.renameTaken', { modRevision: dest.mod_revision }), msg('keys.renameTakenHint'))
  return conflict(from, res)
}

/** Re-puts the current value with another lease ('0' detaches), guarded like any save. */
export async function casSetLease(client: EtcdClient, key: Buffer, lease: string, expectModRevision: string): Promise<WriteResult> {
  const cur = await client.range({ key })
  const kv = cur.kvs[0]
  if (!kv || kv.mod_revision !== expectModRevision) return { status: 'conflict', theirs: valueView(key, kv ?? null, cur.header.revision) }
  return casPut(client, key, kv.value, expectModRevision, lease)
}

/**
 * Deletes every key under `prefix`, but only if none of them was created or changed after `revision`
 * (when the user saw the count): a range compare "every mod revision < revision + 1" guards the delete.
 */
export async function deletePrefixAt(client: EtcdClient, prefix: Buffer, revision: string, expectCount: number): Promise<{ deleted: number; revision: string }> {
  const range = prefixRange(prefix)
  const res = await client.txn({
    compare: [{ ...range, target: 'MOD', result: 'LESS', mod_revision: (BigInt(revision) + 1n).toString() }],
    success: [{ request_delete_range: range }],
    failure: [{ request_range: { ...range, count_only: true } }],
  })
  if (!res.succeeded)
    throw new AppError(ErrorCode.Conflict, msg('keys.prefixChanged', { now: res.responses[0]?.response_range?.count ?? '?' }), msg('keys.prefixChangedHint'))
  const deleted = Number(res.responses[0]?.response_delete_range?.deleted ?? 0)
  if (deleted > expectCount) throw new AppError(ErrorCode.Internal, msg('keys.deletedTooMany', { deleted, expected: expectCount }))
  return { deleted, revision: res.header.revision }
}
