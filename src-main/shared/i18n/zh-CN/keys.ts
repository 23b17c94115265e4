// 服务端消息：keys。
import type { keysMessages } from '../messages/keys'
import type { Shape } from '../message'

export default {
  emptyKey: '键为空。',
  emptyKeyHint: 'etcd 的键至少要有一个字节。',
  textAndB64: '值只能以文本或 base64 之一发送，不能两者都给。',
  deleteNeedsRevision: '删除时必须带上你所查看的键的修改 revision。',
  renameSame: '新名称与原名称相同。',
  renameTaken: '同名的键已经存在（修改于 revision {modRevision}）。',
  renameTakenHint: '请换一个名称，或先删除那个键。',
  deleteEverything: '不允许在键编辑器里删除集群中的全部键。',
  deleteEverythingHint: '请选择一个目录（非空前缀）。',
  typedMismatch: '输入的前缀与该目录不符。',
  typedMismatchHint: '请准确输入 {prefix} 以确认。',
  prefixChanged: '计数之后该前缀下的键发生了变化（现在有 {now} 个键），未删除任何键。',
  prefixChangedHint: '请重新计数，并确认新的数量。',
  deletedTooMany: '删除了 {deleted} 个键，多于计数时的 {expected} 个。',
  transfer: {
    tooBig: '该前缀下的数据超过 {mib} MiB。',
    tooBigHint: '请导出范围更小的前缀。',
    notJson: '文件不是 JSON：{detail}。',
    notExport: '文件不是 Raftdeck 的键导出文件（格式 raftdeck-keys/1）。',
    pickExport: '请选择由“导出”生成的文件。',
    entryNoKey: '第 {index} 项没有键。',
    entryEmptyKey: '第 {index} 项的键为空。',
    duplicate: '键 {key} 在文件中出现了两次。',
  },
  stopped: {
    cancelled: '已取消。',
    withWork: '{reason}{soFar}',
    noneWritten: '没有写入任何键。',
    someWritten: '停止前已写入 {written} / {total} 个键，这些键保持已写入状态。重新预演一次即可看到剩余部分。',
  },
  phase: {
    reading: '正在读取键',
    comparing: '正在与 etcd 中的键比对',
    readingCurrent: '正在读取当前值',
    writing: '正在写入键',
  },
  k8s: {
    envelope: 'Kubernetes 封装已损坏：{detail}。',
    undecodable: '{kind} 的字节无法解码（{detail}），改为显示原始字段树。',
    object: '对象',
  },
} satisfies Shape<typeof keysMessages>
