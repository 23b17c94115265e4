// 服务端消息：keys。
import type { keysMessages } from '@shared/i18n/messages/keys'
import type { Shape } from '../../shape'

export default {} satisfies Shape<typeof keysMessages>
