// 服务端消息（错误、诊断结论、检查结果、恢复说明）的中文：与 @shared/i18n/serviceMessages 同键，每个服务区域一个文件。
import type { serviceMessages } from '../serviceMessages'
import type { Shape } from '../message'
import backup from './backup'
import conn from './conn'
import keys from './keys'
import pg from './playground'
import restore from './restore'

export default {
  common: {
    unexpected: '意外错误：{detail}',
    unexpectedHint: '这是 Raftdeck 的缺陷，详情见服务日志。',
  },
  backup,
  conn,
  keys,
  pg,
  restore,
} satisfies Shape<typeof serviceMessages>
