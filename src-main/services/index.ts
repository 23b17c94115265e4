// Composition root: builds every application service once and exposes them as the contract's
// handlers and streams. Electron-free, so the browser shell, the Electron shell and the tests all run
// exactly this code.

import { mkdirSync } from 'node:fs'
import { findEtcdBinary } from './app/etcdBinary'
import { LogBus, levelAtLeast } from './log'
import type { ShellKind } from '../shared'
import type { Handlers, Services, StreamOpeners } from './types'

export type { Handlers, Services, StreamOpeners, StreamSink } from './types'
export { LogBus } from './log'

export interface ServiceConfig {
  dataDir: string
  shell: ShellKind
  version: string
  /** Whether the OS keychain (Electron safeStorage) protects secrets in this shell. */
  osKeychain: boolean
  log?: LogBus
}

export function createServices(config: ServiceConfig): Services {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 })
  const log = config.log ?? new LogBus()
  const etcdBinary = findEtcdBinary()
  log.scoped('app').info(`services started (shell ${config.shell}, data ${config.dataDir})`)

  const handlers: Handlers = {
    'app/info': async () => ({
      name: 'Raftdeck',
      version: config.version,
      shell: config.shell,
      platform: `${process.platform}-${process.arch}`,
      dataDir: config.dataDir,
      etcdBinary,
      secretStorage: config.osKeychain ? 'os-keychain' : 'file-0600',
    }),
    'app/recentLogs': async ({ limit }) => log.recent(limit ?? 500),
  }

  const streams: StreamOpeners = {
    'app/onLog': ({ minLevel }, sink) =>
      log.subscribe((e) => {
        if (!minLevel || levelAtLeast(e.level, minLevel)) sink.emit(e)
      }),
  }

  let disposed: Promise<void> | null = null
  return {
    handlers,
    streams,
    dispose: () => {
      disposed ??= (async () => {
        log.scoped('app').info('services stopped')
      })()
      return disposed
    },
  }
}
