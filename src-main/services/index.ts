// Composition root: builds every application service once and exposes them as the contract's
// handlers and streams. Electron-free, so the browser shell, the Electron shell and the tests all run
// exactly this code.

import { mkdirSync } from 'node:fs'
import { findEtcdBinary } from './app/etcdBinary'
import { LogBus, levelAtLeast } from './log'
import type { ShellKind } from '../shared'
import type { Handlers, Services, StreamOpeners } from './types'
import { fileKeySecretBox, type SecretBox } from './secretBox'
import { ConnectionStore } from './connections/store'
import { ConnectionService } from './connections/service'
import { TargetResolver } from './targets'
import { ClusterService } from './cluster/service'
import { pollStream } from './poll'

export type { Handlers, Services, StreamOpeners, StreamSink } from './types'
export { LogBus } from './log'
export type { SecretBox } from './secretBox'

export interface ServiceConfig {
  dataDir: string
  shell: ShellKind
  version: string
  /** Seals secrets at rest: the OS keychain in the desktop shell; a key file elsewhere. */
  secretBox?: SecretBox
  log?: LogBus
}

export function createServices(config: ServiceConfig): Services {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 })
  const log = config.log ?? new LogBus()
  const etcdBinary = findEtcdBinary()
  const secrets = config.secretBox ?? fileKeySecretBox(config.dataDir)
  log.scoped('app').info(`services started (shell ${config.shell}, data ${config.dataDir})`)

  const connections = new ConnectionService(new ConnectionStore(config.dataDir, secrets), log.scoped('connections'))
  const targets = new TargetResolver()
  targets.register('connection', {
    client: (id) => connections.client(id),
    policy: async (id) => {
      const c = await connections.get(id)
      return { name: c.name, endpoints: c.endpoints, readOnly: c.readOnly, production: c.production }
    },
  })
  const cluster = new ClusterService(targets, log.scoped('cluster'))

  const handlers: Handlers = {
    'app/info': async () => ({
      name: 'Raftdeck',
      version: config.version,
      shell: config.shell,
      platform: `${process.platform}-${process.arch}`,
      dataDir: config.dataDir,
      etcdBinary,
      secretStorage: secrets.kind === 'os-keychain' ? 'os-keychain' : 'file-0600',
    }),
    'app/recentLogs': async ({ limit }) => log.recent(limit ?? 500),

    'connections/list': () => connections.list(),
    'connections/save': ({ input }) => connections.save(input),
    'connections/delete': async ({ id }) => {
      await connections.remove(id)
      return null
    },
    'connections/test': (p) => connections.test(p),

    'cluster/status': ({ target }) => cluster.status(target),
    'cluster/hashKV': ({ target }) => cluster.hashKV(target),
    'cluster/defragment': ({ target, endpoint, confirm }) => cluster.defragment(target, endpoint, confirm),
    'cluster/compact': ({ target, revision, physical, confirm }) => cluster.compact(target, revision, physical ?? false, confirm),
    'cluster/disarmAlarm': ({ target, memberId, alarm, confirm }) => cluster.disarm(target, memberId, alarm, confirm),
    'cluster/moveLeader': async ({ target, toMemberId, confirm }) => {
      await cluster.moveLeader(target, toMemberId, confirm)
      return null
    },
  }

  const streams: StreamOpeners = {
    'app/onLog': ({ minLevel }, sink) =>
      log.subscribe((e) => {
        if (!minLevel || levelAtLeast(e.level, minLevel)) sink.emit(e)
      }),
    'cluster/onStatus': ({ target, intervalMs }, sink) => pollStream(() => cluster.status(target), intervalMs, sink),
  }

  let disposed: Promise<void> | null = null
  return {
    handlers,
    streams,
    dispose: () => {
      disposed ??= (async () => {
        connections.dispose()
        log.scoped('app').info('services stopped')
      })()
      return disposed
    },
  }
}
