import type { appMethods, appStreams } from '../../shared/api/app'
import type { AppInfo } from '../../shared'
import { levelAtLeast, type LogBus } from '../log'
import type { Handlers, StreamOpeners } from '../types'
import type { SettingsStore } from './settings'

export function appHandlers(info: () => AppInfo, log: LogBus, settings: SettingsStore): Pick<Handlers, keyof typeof appMethods> {
  return {
    'app/settings': () => settings.get(),
    'app/updateSettings': (change) => settings.update(change),
    'app/info': async () => info(),
    'app/recentLogs': async ({ limit, minLevel }) => log.recent(limit ?? 500, minLevel ?? 'debug'),
  }
}

export function appStreamOpeners(log: LogBus): Pick<StreamOpeners, keyof typeof appStreams> {
  return {
    'app/onLog': ({ minLevel }, sink) =>
      log.subscribe((e) => {
        if (!minLevel || levelAtLeast(e.level, minLevel)) sink.emit(e)
      }),
  }
}
