import type activity from '../en/activity'
import type { Shape } from '../shape'

export default {
  info: {
    title: '本机安装',
    shell: '运行方式',
    electron: '桌面版（Electron）',
    browser: '浏览器版（raftdeck serve）',
    version: '版本',
    dataDir: '数据目录',
    platform: '平台',
    etcdBinary: 'etcd 可执行文件',
    etcdMissing: '未找到：请安装 etcd-server，或设置 RAFTDECK_ETCD_BINARY，playground 才能使用真实的 etcd',
    secrets: '密码',
    keychain: '密码由操作系统钥匙串加密',
    fileKey: '密码由 {path} 中的密钥加密（权限 0600）：浏览器版无法使用系统钥匙串，能读取你文件的人也能读取这些密码',
  },
  log: {
    title: '服务日志',
    col: { time: '时间', level: '级别', source: '来源', message: '消息' },
    level: { debug: '调试', info: '信息', warn: '警告', error: '错误' },
    show: { debug: '调试（含成员日志）', info: '信息及以上', warn: '警告和错误', error: '仅错误' },
  },
} satisfies Shape<typeof activity>
