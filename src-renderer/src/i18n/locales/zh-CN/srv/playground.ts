// 服务端消息：playground。
import type { playgroundMessages } from '@shared/i18n/messages/playground'
import type { Shape } from '../../shape'

export default {} satisfies Shape<typeof playgroundMessages>
