// 服务端消息：conn。
import type { connMessages } from '@shared/i18n/messages/conn'
import type { Shape } from '../../shape'

export default {} satisfies Shape<typeof connMessages>
