// 简体中文界面文案。术语保持运维人员的习惯：leader、follower、learner、revision、compaction 等 etcd 术语不译。
import type { LocaleShape } from '../en'
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
import srv from '@shared/i18n/zh-CN'

const zhCN: LocaleShape = {
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
  srv,
}

export default zhCN
