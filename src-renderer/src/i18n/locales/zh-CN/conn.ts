// 简体中文：conn 区域。
import type en from '../en/conn'
import type { Shape } from '../shape'

export default {} satisfies Shape<typeof en>
