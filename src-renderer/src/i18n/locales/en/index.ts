// English UI messages, one file per area; the service messages come from the shared catalog.
import { serviceMessages } from '@shared/i18n/serviceMessages'
import type { Shape } from '../shape'
import activity from './activity'
import backups from './backups'
import common from './common'
import health from './health'
import palette from './palette'
import pg from './playground'
import shell from './shell'

const en = {
  activity,
  backups,
  common,
  health,
  palette,
  pg,
  shell,
  srv: serviceMessages,
}

export default en
export type LocaleShape = Shape<typeof en>
