// 简体中文界面文案。术语保持运维人员的习惯：leader、follower、learner、revision、compaction 等 etcd 术语不译。
import type { LocaleShape } from '../en'
import activity from './activity'
import backups from './backups'
import common from './common'
import health from './health'
import palette from './palette'
import pg from './playground'
import shell from './shell'
import srv from './srv'

const zhCN: LocaleShape = {
  activity,
  backups,
  common,
  health,
  palette,
  pg,
  shell,
  srv,
}

export default zhCN
