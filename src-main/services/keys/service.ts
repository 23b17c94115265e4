// The key editor's service: resolves the target to an etcd client and its policy, enforces read-only
// and production rules on every write, and delegates to one module per job (browse, values, writes,
// history, leases, watch, transfer).

import type { BrowsePage, ImportPlan, KeyExportFile, KeyHistory, KeyName, KeyWatchBatch, LeaseInfo, SearchResult, ValueInput, ValueView, WriteResult } from '../../shared/api/keys'
import { AppError, ErrorCode, msg, type Target } from '../../shared'
import type { Logger } from '../log'
import type { TargetResolver } from '../targets'
import type { Cancellable, StreamSink } from '../types'
import { browseLevel, countPrefix } from './browse'
import { keyHistory } from './history'
import { displayBytes, fromB64, keyName, parseTyped, prefixRange, requireKey } from './keyBytes'
import { listLeases } from './leases'
import { applyImport, exportPrefix, planImport } from './transfer'
import { DEFAULT_MAX_BYTES, valueBytes, valueView } from './valueView'
import { watchKeys } from './watch'
import { casDelete, casPut, casRename, casSetLease, deletePrefixAt } from './writes'

export interface BrowseParams {
  prefix: string
  separator?: string
  cursor?: string
  revision?: string
  pageSize?: number
}

export class KeysService {
  constructor(
    private readonly targets: TargetResolver,
    private readonly log: Logger,
  ) {}

  private client(target: Target) {
    return this.targets.client(target)
  }

  /** Reads go through the target's reader: a live cluster, or a snapshot file opened read-only. */
  private reader(target: Target) {
    return this.targets.reader(target)
  }

  /** The client, after checking that the target accepts writes (read-only, production confirmation). */
  private async writer(target: Target, confirm: boolean | undefined, what: string) {
    const policy = await this.targets.assertWritable(target, confirm)
    this.log.info(`${what} on ${policy.name}`)
    return this.client(target)
  }

  async browse(target: Target, p: BrowseParams): Promise<BrowsePage> {
    return browseLevel(await this.reader(target), {
      prefix: fromB64(p.prefix),
      separator: p.separator ?? '/',
      ...(p.cursor ? { cursor: fromB64(p.cursor) } : {}),
      ...(p.revision ? { revision: p.revision } : {}),
      pageSize: p.pageSize ?? 500,
    })
  }

  async count(target: Target, prefix: string, revision?: string): Promise<{ count: number; revision: string }> {
    const client = await this.reader(target)
    const res = await client.range({ ...prefixRange(fromB64(prefix)), count_only: true, ...(revision ? { revision } : {}) })
    return { count: Number(res.count), revision: res.header.revision }
  }

  async search(target: Target, query: string, limit = 100): Promise<SearchResult> {
    const client = await this.reader(target)
    const prefix = parseTyped(query)
    const res = await client.range({ ...prefixRange(prefix), keys_only: true, limit })
    const count = res.more ? await countPrefix(client, prefix, res.header.revision) : res.kvs.length
    return { revision: res.header.revision, keys: res.kvs.map((kv) => keyName(kv.key)), count }
  }

  async get(target: Target, key: string, revision?: string, maxBytes = DEFAULT_MAX_BYTES): Promise<ValueView> {
    const k = requireKey(fromB64(key))
    const res = await (await this.reader(target)).range({ key: k, ...(revision ? { revision } : {}) })
    return valueView(k, res.kvs[0], res.header.revision, maxBytes)
  }

  async put(target: Target, key: string, value: ValueInput, expectModRevision: string, lease: string | undefined, confirm: boolean | undefined): Promise<WriteResult> {
    const k = requireKey(fromB64(key))
    const client = await this.writer(target, confirm, `put ${displayBytes(k).text}`)
    return casPut(client, k, valueBytes(value), expectModRevision, lease, value)
  }

  async delete(target: Target, key: string, expectModRevision: string, confirm: boolean | undefined): Promise<WriteResult> {
    const k = requireKey(fromB64(key))
    return casDelete(await this.writer(target, confirm, `delete ${displayBytes(k).text}`), k, expectModRevision)
  }

  async rename(target: Target, from: string, to: string, expectModRevision: string, confirm: boolean | undefined): Promise<WriteResult> {
    const f = requireKey(fromB64(from))
    const t = requireKey(fromB64(to))
    return casRename(await this.writer(target, confirm, `rename ${displayBytes(f).text} → ${displayBytes(t).text}`), f, t, expectModRevision)
  }

  async deletePrefix(target: Target, prefix: string, typedPrefix: string, expectCount: number, revision: string, confirm: boolean | undefined) {
    const p = fromB64(prefix)
    if (p.length === 0) throw new AppError(ErrorCode.InvalidParams, msg('keys.deleteEverything'), msg('keys.deleteEverythingHint'))
    // The typed text must name the same bytes, so a slip of the mouse cannot delete the wrong folder.
    if (!parseTyped(typedPrefix).equals(p)) throw new AppError(ErrorCode.InvalidParams, msg('keys.typedMismatch'), msg('keys.typedMismatchHint', { prefix: displayBytes(p).text }))
    const client = await this.writer(target, confirm, `delete prefix ${displayBytes(p).text} (${expectCount} keys)`)
    return deletePrefixAt(client, p, revision, expectCount)
  }

  async history(target: Target, key: string, limit = 50, maxBytes = DEFAULT_MAX_BYTES): Promise<KeyHistory> {
    return keyHistory(await this.reader(target), requireKey(fromB64(key)), limit, maxBytes)
  }

  async leases(target: Target): Promise<LeaseInfo[]> {
    return listLeases(await this.reader(target))
  }

  async leaseGrant(target: Target, ttl: number, confirm: boolean | undefined): Promise<{ id: string; ttl: number }> {
    const res = await (await this.writer(target, confirm, `grant a ${ttl}s lease`)).leaseGrant(ttl)
    return { id: res.ID, ttl: Number(res.TTL) }
  }

  async leaseRevoke(target: Target, id: string, confirm: boolean | undefined): Promise<void> {
    await (await this.writer(target, confirm, `revoke lease ${id}`)).leaseRevoke(id)
  }

  async setLease(target: Target, key: string, lease: string, expectModRevision: string, confirm: boolean | undefined): Promise<WriteResult> {
    const k = requireKey(fromB64(key))
    return casSetLease(await this.writer(target, confirm, `attach lease ${lease} to ${displayBytes(k).text}`), k, lease, expectModRevision)
  }

  async export(target: Target, prefix: string, call: Cancellable = {}): Promise<KeyExportFile> {
    return exportPrefix(await this.reader(target), fromB64(prefix), call)
  }

  async importPlan(target: Target, file: string, call: Cancellable = {}): Promise<ImportPlan> {
    return planImport(await this.client(target), file, call)
  }

  async import(target: Target, file: string, planRevision: string, confirm: boolean | undefined, call: Cancellable = {}): Promise<{ written: number; skipped: number; conflicts: KeyName[] }> {
    return applyImport(await this.writer(target, confirm, 'import keys'), file, planRevision, call)
  }

  watch(target: Target, key: string, prefix: boolean, fromRevision: string | undefined, sink: StreamSink<KeyWatchBatch>): () => void {
    let stop: (() => void) | null = null
    let stopped = false
    this.reader(target).then(
      (client) => {
        if (!stopped) stop = watchKeys(client, fromB64(key), prefix, fromRevision, sink)
      },
      (err) => sink.end(err),
    )
    return () => {
      stopped = true
      stop?.()
    }
  }
}
