import type { backupMethods } from '../../shared/api/backups'
import type { Handlers } from '../types'
import type { BackupService } from './service'

export function backupHandlers(backups: BackupService): Pick<Handlers, keyof typeof backupMethods> {
  return {
    'backups/list': () => backups.list(),
    'backups/saveNow': ({ target }) => backups.saveNow(target),
    'backups/delete': async ({ path }) => {
      await backups.remove(path)
      return null
    },
  }
}
