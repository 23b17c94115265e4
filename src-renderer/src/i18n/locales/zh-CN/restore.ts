// 简体中文：restore 区域。
import type en from '../en/restore'
import type { Shape } from '../shape'

export default {} satisfies Shape<typeof en>
