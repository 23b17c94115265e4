// English UI messages, one file per area; the service messages come from the shared catalog.
import { serviceMessages } from '@shared/i18n/serviceMessages'
import type { Shape } from '../shape'
import activity from './activity'
import backups from './backups'
import common from './common'
import conn from './conn'
import health from './health'
import keys from './keys'
import palette from './palette'
import pg from './playground'
import restore from './restore'
import shell from './shell'

const en = {
  activity,
  backups,
  common,
  conn,
  health,
  keys,
  palette,
  pg,
  restore,
  shell,
  srv: serviceMessages,
}

export default en
export type LocaleShape = Shape<typeof en>
