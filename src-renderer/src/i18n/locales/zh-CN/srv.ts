// 服务端消息（错误、诊断结论、检查结果、恢复说明）的中文：与 @shared/i18n/serviceMessages 同键。
import type { serviceMessages } from '@shared/i18n/serviceMessages'
import type { Shape } from '../shape'

export default {
  common: {
    unexpected: '意外错误：{detail}',
    unexpectedHint: '这是 Raftdeck 的缺陷，详情见服务日志。',
  },
} satisfies Shape<typeof serviceMessages>
