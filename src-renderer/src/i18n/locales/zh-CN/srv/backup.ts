// 服务端消息：backup。
import type { backupMessages } from '@shared/i18n/messages/backup'
import type { Shape } from '../../shape'

export default {} satisfies Shape<typeof backupMessages>
