// The one API contract between the renderer and the services. Each area declares its methods
// ('area/verb') and streams ('area/onXxx') in api/<area>.ts; they are merged here. The dispatcher checks
// parameters against the schemas at run time; results and events are typed on both sides.

import { appMethods, appStreams } from './api/app'
import { clusterMethods, clusterStreams } from './api/cluster'
import { connectionMethods } from './api/connections'
import { playgroundMethods, playgroundStreams } from './api/playground'
import { backupMethods } from './api/backups'
import { backupScheduleMethods, backupScheduleStreams } from './api/backupSchedules'
import { keyMethods, keyStreams } from './api/keys'
import { restoreMethods } from './api/restore'
import type { MethodSpec, StreamSpec } from './api/spec'

export type { MethodSpec, StreamSpec } from './api/spec'

export const methods = {
  ...appMethods,
  ...connectionMethods,
  ...clusterMethods,
  ...keyMethods,
  ...playgroundMethods,
  ...backupMethods,
  ...backupScheduleMethods,
  ...restoreMethods,
} as const

export const streams = {
  ...appStreams,
  ...clusterStreams,
  ...keyStreams,
  ...playgroundStreams,
  ...backupScheduleStreams,
} as const

export type Methods = typeof methods
export type Streams = typeof streams
export type MethodName = keyof Methods
export type StreamName = keyof Streams

export type ParamsOf<M extends MethodName> = Methods[M] extends MethodSpec<infer P, unknown> ? P : never
export type ResultOf<M extends MethodName> = Methods[M] extends MethodSpec<unknown, infer R> ? R : never
export type StreamParamsOf<S extends StreamName> = Streams[S] extends StreamSpec<infer P, unknown> ? P : never
export type EventOf<S extends StreamName> = Streams[S] extends StreamSpec<unknown, infer E> ? E : never

export const isMethodName = (name: string): name is MethodName => Object.prototype.hasOwnProperty.call(methods, name)
export const isStreamName = (name: string): name is StreamName => Object.prototype.hasOwnProperty.call(streams, name)
