import type { keyMethods, keyStreams } from '../../shared/api/keys'
import type { Logger } from '../log'
import type { TargetResolver } from '../targets'
import type { Handlers, StreamOpeners } from '../types'
import { KeysService } from './service'

export function keyHandlers(keys: KeysService): Pick<Handlers, keyof typeof keyMethods> {
  return {
    'keys/browse': ({ target, ...p }) => keys.browse(target, p),
    'keys/count': ({ target, prefix, revision }) => keys.count(target, prefix, revision),
    'keys/search': ({ target, query, limit }) => keys.search(target, query, limit),
    'keys/get': ({ target, key, revision, maxBytes }) => keys.get(target, key, revision, maxBytes),
    'keys/put': ({ target, key, value, expectModRevision, lease, confirm }) => keys.put(target, key, value, expectModRevision, lease, confirm),
    'keys/delete': ({ target, key, expectModRevision, confirm }) => keys.delete(target, key, expectModRevision, confirm),
    'keys/rename': ({ target, from, to, expectModRevision, confirm }) => keys.rename(target, from, to, expectModRevision, confirm),
    'keys/deletePrefix': ({ target, prefix, typedPrefix, expectCount, revision, confirm }) => keys.deletePrefix(target, prefix, typedPrefix, expectCount, revision, confirm),
    'keys/history': ({ target, key, limit, maxBytes }) => keys.history(target, key, limit, maxBytes),
    'keys/leases': ({ target }) => keys.leases(target),
    'keys/leaseGrant': ({ target, ttl, confirm }) => keys.leaseGrant(target, ttl, confirm),
    'keys/leaseRevoke': async ({ target, id, confirm }) => {
      await keys.leaseRevoke(target, id, confirm)
      return null
    },
    'keys/setLease': ({ target, key, lease, expectModRevision, confirm }) => keys.setLease(target, key, lease, expectModRevision, confirm),
    'keys/export': ({ target, prefix }, ctx) => keys.export(target, prefix, ctx),
    'keys/importPlan': ({ target, file }, ctx) => keys.importPlan(target, file, ctx),
    'keys/import': ({ target, file, planRevision, confirm }, ctx) => keys.import(target, file, planRevision, confirm, ctx),
  }
}

export function keyStreamOpeners(keys: KeysService): Pick<StreamOpeners, keyof typeof keyStreams> {
  return {
    'keys/onWatch': ({ target, key, prefix, fromRevision }, sink) => keys.watch(target, key, prefix, fromRevision, sink),
  }
}

/** The key editor's whole area, for the composition root: one service, its handlers and streams. */
export function keysArea(targets: TargetResolver, log: Logger): { handlers: ReturnType<typeof keyHandlers>; streams: ReturnType<typeof keyStreamOpeners> } {
  const service = new KeysService(targets, log)
  return { handlers: keyHandlers(service), streams: keyStreamOpeners(service) }
}
