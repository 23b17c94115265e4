// Resolves what a view points at (a saved connection, a local playground, or a snapshot file opened
// read-only) to an etcd client and the rules that apply to it. Keys, cluster and backup services go
// through here, so none of them treats the playground specially.

import { AppError, ErrorCode, msg, type Target } from '../shared'
import type { EtcdClient } from './etcd/client'

export interface TargetPolicy {
  name: string
  /** Client URLs, for per-member calls. */
  endpoints: string[]
  readOnly: boolean
  /** Writes need an explicit confirmation in the UI. */
  production: boolean
}

/** What reading keys needs: a live cluster's client, or a snapshot file read through the bbolt reader. */
export type KvReader = Pick<EtcdClient, 'range' | 'leaseLeases' | 'leaseTimeToLive' | 'watch'>

export interface TargetProvider {
  client(id: string): Promise<EtcdClient>
  policy(id: string): Promise<TargetPolicy>
  /** Read-only access to keys; defaults to the client. */
  reader?(id: string): Promise<KvReader>
}

export class TargetResolver {
  private readonly providers = new Map<Target['kind'], TargetProvider>()

  register(kind: Target['kind'], provider: TargetProvider): void {
    this.providers.set(kind, provider)
  }

  private provider(target: Target): TargetProvider {
    const p = this.providers.get(target.kind)
    if (!p) throw new AppError(ErrorCode.NotFound, msg('conn.target.noProvider', { kind: target.kind }))
    return p
  }

  client(target: Target): Promise<EtcdClient> {
    return this.provider(target).client(target.id)
  }

  policy(target: Target): Promise<TargetPolicy> {
    return this.provider(target).policy(target.id)
  }

  reader(target: Target): Promise<KvReader> {
    const p = this.provider(target)
    return p.reader ? p.reader(target.id) : p.client(target.id)
  }

  /** Throws unless writes are allowed on the target. */
  async assertWritable(target: Target, confirmedProduction: boolean | undefined): Promise<TargetPolicy> {
    const p = await this.policy(target)
    if (p.readOnly) throw new AppError(ErrorCode.PermissionDenied, msg('conn.target.readOnly', { name: p.name }), msg('conn.target.readOnlyHint'))
    if (p.production && !confirmedProduction)
      throw new AppError(ErrorCode.FailedPrecondition, msg('conn.target.production', { name: p.name }), msg('conn.target.productionHint'))
    return p
  }
}
