// Composition root: builds every application service once and exposes them as the contract's
// handlers and streams. Electron-free, so the browser shell, the Electron shell and the tests all run
// exactly this code. Each area contributes its handlers from <area>/handlers.ts.

import { mkdirSync } from 'node:fs'
import type { ShellKind } from '../shared'
import { findEtcdBinary, findEtcdctlBinary } from './app/etcdBinary'
import { appHandlers, appStreamOpeners } from './app/handlers'
import { SettingsStore } from './app/settings'
import { ClusterService } from './cluster/service'
import { clusterHandlers, clusterStreamOpeners } from './cluster/handlers'
import { connectionHandlers } from './connections/handlers'
import { ConnectionService } from './connections/service'
import { ConnectionStore } from './connections/store'
import { keysArea } from './keys/handlers'
import { LogBus } from './log'
import { fileKeySecretBox, type SecretBox } from './secretBox'
import { TargetResolver } from './targets'
import { createLauncher, packageMemberCommand, type RaftdeckCommand } from './playground/launcher'
import { PlaygroundService } from './playground/service'
import { playgroundHandlers, playgroundStreamOpeners } from './playground/handlers'
import { BackupService } from './backup/service'
import { backupHandlers, backupScheduleHandlers, backupScheduleStreamOpeners } from './backup/handlers'
import { BackupSchedules } from './backup/schedules'
import type { Clock } from './backup/scheduler'
import { RestoreService } from './restore/service'
import { restoreHandlers } from './restore/handlers'
import type { Handlers, Services, StreamOpeners } from './types'

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
  /** How to run `raftdeck member` for playground members (default: this package's command, run by Node). */
  memberCommand?: RaftdeckCommand
  /** Create and start a 3-member playground when none exists (the app's first start). */
  defaultPlayground?: boolean
  /** Run the backup schedules (the app and `raftdeck serve`; off for one-shot commands and most tests). */
  runSchedules?: boolean
  /** The clock backup schedules run on (tests move it). */
  clock?: Clock
}

export function createServices(config: ServiceConfig): Services {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 })
  const log = config.log ?? new LogBus()
  const etcdBinary = findEtcdBinary()
  const secrets = config.secretBox ?? fileKeySecretBox(config.dataDir)
  log.scoped('app').info(`services started (shell ${config.shell}, data ${config.dataDir})`)

  const connections = new ConnectionService(new ConnectionStore(config.dataDir, secrets), log.scoped('connections'), secrets, config.dataDir)
  const targets = new TargetResolver()
  targets.register('connection', {
    client: (id) => connections.client(id),
    policy: async (id) => {
      const c = await connections.get(id)
      return { name: c.name, endpoints: c.endpoints, readOnly: c.readOnly, production: c.production }
    },
  })
  const etcdctlBinary = findEtcdctlBinary(etcdBinary)
  const playgrounds = new PlaygroundService({ dataDir: config.dataDir, launcher: createLauncher(config.memberCommand ?? packageMemberCommand(), etcdBinary), log, etcdctlBinary })
  targets.register('playground', { client: (id) => playgrounds.client(id), policy: (id) => playgrounds.policy(id) })
  const cluster = new ClusterService(targets, log.scoped('cluster'))
  if (config.defaultPlayground) {
    void playgrounds.list().then(async (list) => {
      if (list.length === 0) await playgrounds.create('local', 3)
    }).catch((err: Error) => log.scoped('playground').error(`could not start the default playground: ${err.message}`))
  }
  const keys = keysArea(targets, log.scoped('keys'))
  const backups = new BackupService(config.dataDir, targets, log.scoped('backups'))
  const restore = new RestoreService({ dataDir: config.dataDir, targets, playgrounds, etcdctl: etcdctlBinary, log: log.scoped('restore') })
  targets.register('snapshot', restore.targetProvider())
  const schedules = new BackupSchedules({
    dataDir: config.dataDir,
    targets,
    log: log.scoped('backups'),
    version: config.version,
    etcdBinary,
    raftdeck: config.memberCommand ?? packageMemberCommand(),
    ...(config.clock ? { clock: config.clock } : {}),
  })
  if (config.runSchedules) {
    // Playgrounds first: a catch-up run of a playground schedule needs its members started.
    void playgrounds
      .whenReady()
      .then(() => schedules.startScheduler())
      .catch((err: Error) => log.scoped('backups').error(`the backup scheduler did not start: ${err.message}`))
  }

  const info = () => ({
    name: 'Raftdeck',
    version: config.version,
    shell: config.shell,
    platform: `${process.platform}-${process.arch}`,
    dataDir: config.dataDir,
    etcdBinary,
    secretStorage: secrets.kind === 'os-keychain' ? ('os-keychain' as const) : ('key-file' as const),
  })

  const handlers: Handlers = {
    ...appHandlers(info, log, new SettingsStore(config.dataDir)),
    ...connectionHandlers(connections),
    ...clusterHandlers(cluster),
    ...keys.handlers,
    ...playgroundHandlers(playgrounds),
    ...backupHandlers(backups),
    ...backupScheduleHandlers(schedules),
    ...restoreHandlers(restore),
  }

  const streams: StreamOpeners = {
    ...appStreamOpeners(log),
    ...clusterStreamOpeners(cluster),
    ...keys.streams,
    ...playgroundStreamOpeners(playgrounds),
    ...backupScheduleStreamOpeners(schedules),
  }

  let disposed: Promise<void> | null = null
  return {
    handlers,
    streams,
    dispose: () => {
      disposed ??= (async () => {
        schedules.dispose()
        connections.dispose()
        restore.dispose()
        await playgrounds.dispose()
        log.scoped('app').info('services stopped')
      })()
      return disposed
    },
  }
}
