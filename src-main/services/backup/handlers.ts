import type { backupMethods } from '../../shared/api/backups'
import type { backupScheduleMethods, backupScheduleStreams } from '../../shared/api/backupSchedules'
import type { Handlers, StreamOpeners } from '../types'
import type { BackupSchedules } from './schedules'
import type { BackupService } from './service'

export function backupHandlers(backups: BackupService): Pick<Handlers, keyof typeof backupMethods> {
  return {
    'backups/list': () => backups.list(),
    'backups/saveNow': ({ target }, ctx) => backups.saveNow(target, ctx),
    'backups/delete': async ({ path }) => {
      await backups.remove(path)
      return null
    },
  }
}

export function backupScheduleHandlers(schedules: BackupSchedules): Pick<Handlers, keyof typeof backupScheduleMethods> {
  return {
    'backupSchedules/list': () => schedules.list(),
    'backupSchedules/save': async ({ input }) => schedules.view(await schedules.save(input)),
    'backupSchedules/delete': async ({ id }) => {
      await schedules.remove(id)
      return null
    },
    'backupSchedules/setEnabled': async ({ id, enabled }) => schedules.view(await schedules.setEnabled(id, enabled)),
    'backupSchedules/runNow': ({ id }) => schedules.runNow(id, 'manual'),
    'backupSchedules/previewCron': async ({ cron, timezone }) => schedules.previewCron(cron, timezone ?? ''),
    'backupSchedules/previewRetention': (p) => schedules.previewRetention(p),
    'backupSchedules/history': ({ id, limit }) => schedules.history(id, limit),
    'backupSchedules/catalog': ({ id }) => schedules.catalog(id),
    'backupSchedules/verifyFile': ({ path }) => schedules.verifyFile(path),
    'backupSchedules/deleteFile': async ({ path }) => {
      await schedules.deleteFile(path)
      return null
    },
    'backupSchedules/freshness': ({ target }) => schedules.freshness(target),
  }
}

export function backupScheduleStreamOpeners(schedules: BackupSchedules): Pick<StreamOpeners, keyof typeof backupScheduleStreams> {
  return {
    'backupSchedules/onEvent': (_params, sink) => schedules.onEvent((e) => sink.emit(e)),
  }
}
