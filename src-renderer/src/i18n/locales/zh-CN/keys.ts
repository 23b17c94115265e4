// 简体中文：keys 区域。
import type en from '../en/keys'
import type { Shape } from '../shape'

export default {} satisfies Shape<typeof en>
