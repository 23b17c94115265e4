// 服务端消息：restore。
import type { restoreMessages } from '@shared/i18n/messages/restore'
import type { Shape } from '../../shape'

export default {} satisfies Shape<typeof restoreMessages>
