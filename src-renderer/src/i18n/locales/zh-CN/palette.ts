import type palette from '../en/palette'
import type { Shape } from '../shape'

export default {
  label: '命令面板',
  placeholder: '切换功能区或集群，或输入 key 前缀直接跳转…',
  goArea: '前往“{name}”',
  jumpKey: '跳转到第一个以 {prefix} 开头的 key',
  open: { playground: '打开 playground {name}', connection: '打开连接 {name}' },
  kind: { area: '功能区', playground: '本地 playground', connection: '连接', key: 'key' },
  nothing: '没有匹配项。',
  foot: '↑ ↓ 选择 · Enter 确认 · Esc 关闭',
  sheet: {
    title: '键盘快捷键',
    palette: '命令面板：切换集群或功能区、跳转到 key',
    sheet: '显示本快捷键列表',
    save: '保存当前打开的 key（键值页）',
    refresh: '刷新 key 树或集群状态',
    backup: '立即为当前集群做一次快照',
    areas: '依次前往 集群、键值、备份、恢复、活动',
    close: '关闭对话框、命令面板或导览',
  },
} satisfies Shape<typeof palette>
