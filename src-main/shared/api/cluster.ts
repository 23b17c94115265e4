import { s } from '../schema'
import type { AlarmInfo, ClusterStatus, EndpointStatus, HashKvResult } from '../dto'
import type { VerifyReport } from './restore'
import { confirm, decimal, endpoint, method, stream, target } from './spec'

export const clusterMethods = {
  'cluster/status': method<ClusterStatus>()(s.object({ target })),
  'cluster/hashKV': method<HashKvResult>()(s.object({ target })),
  /** The checks of a healthy cluster (one leader, one cluster ID, distinct members, one member list, HashKV, alarms), each failure with cause and fix. */
  'cluster/check': method<VerifyReport>()(s.object({ target })),
  'cluster/defragment': method<EndpointStatus>()(s.object({ target, endpoint, confirm })),
  'cluster/compact': method<{ revision: string }>()(s.object({ target, revision: s.optional(decimal), physical: s.optional(s.boolean()), confirm })),
  'cluster/disarmAlarm': method<AlarmInfo[]>()(s.object({ target, memberId: decimal, alarm: s.enum(['NOSPACE', 'CORRUPT'] as const), confirm })),
  'cluster/moveLeader': method<null>()(s.object({ target, toMemberId: decimal, confirm })),
} as const

export const clusterStreams = {
  /** Cluster status polled at an interval (the health view's auto-refresh). */
  'cluster/onStatus': stream<ClusterStatus>()(s.object({ target, intervalMs: s.number({ int: true, min: 500, max: 600_000 }) })),
} as const
