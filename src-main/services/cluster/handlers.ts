import type { clusterMethods, clusterStreams } from '../../shared/api/cluster'
import { pollStream } from '../poll'
import type { Handlers, StreamOpeners } from '../types'
import type { ClusterService } from './service'

export function clusterHandlers(cluster: ClusterService): Pick<Handlers, keyof typeof clusterMethods> {
  return {
    'cluster/status': ({ target }) => cluster.status(target),
    'cluster/hashKV': ({ target }) => cluster.hashKV(target),
    'cluster/check': ({ target }) => cluster.check(target),
    'cluster/defragment': ({ target, endpoint, confirm }) => cluster.defragment(target, endpoint, confirm),
    'cluster/compact': ({ target, revision, physical, confirm }) => cluster.compact(target, revision, physical ?? false, confirm),
    'cluster/disarmAlarm': ({ target, memberId, alarm, confirm }) => cluster.disarm(target, memberId, alarm, confirm),
    'cluster/moveLeader': async ({ target, toMemberId, confirm }) => {
      await cluster.moveLeader(target, toMemberId, confirm)
      return null
    },
  }
}

export function clusterStreamOpeners(cluster: ClusterService): Pick<StreamOpeners, keyof typeof clusterStreams> {
  return {
    'cluster/onStatus': ({ target, intervalMs }, sink) => pollStream(() => cluster.status(target), intervalMs, sink),
  }
}
