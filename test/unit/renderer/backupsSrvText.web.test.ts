// The services' sentences about backups (why a run failed, why a member was picked, what a re-verification
// found) are shown in the UI's language from the key recorded beside the English; a record without a key
// (a manifest written before keys existed) or with a key this build does not know shows the English.
import { afterEach, describe, expect, it } from 'vitest'
import { formatMessage, msg } from '../../../src-main/shared/i18n/message'
import { i18n } from '../../../src-renderer/src/i18n'
import { pickReason, reverifiedText, runReason, runReasonAndHint } from '../../../src-renderer/src/features/backups/format'

const use = (l: 'en' | 'zh-CN') => {
  i18n.global.locale.value = l
}

const missing = msg('backup.dest.missing', { dir: '/mnt/nfs/etcd' })
const hint = msg('backup.dest.missingHint')
const failed = { reason: formatMessage(missing), reasonMsg: missing, hint: formatMessage(hint), hintMsg: hint }

describe('service sentences in the Backups area', () => {
  afterEach(() => use('en'))

  it('read in English exactly as the manifest records them', () => {
    use('en')
    expect(runReason(failed)).toBe('The destination folder /mnt/nfs/etcd does not exist.')
    expect(runReasonAndHint(failed)).toBe(`The destination folder /mnt/nfs/etcd does not exist. ${failed.hint}`)
  })

  it('read in Chinese from the key, with the hint joined without a space after 。', () => {
    use('zh-CN')
    expect(runReason(failed)).toBe('目标目录 /mnt/nfs/etcd 不存在。')
    expect(runReasonAndHint(failed)).toMatch(/^目标目录 \/mnt\/nfs\/etcd 不存在。请先创建它/)
  })

  it('fall back to the recorded English for an old manifest or an unknown key', () => {
    use('zh-CN')
    expect(runReason({ reason: 'The destination folder /x does not exist.' })).toBe('The destination folder /x does not exist.')
    expect(runReason({ reason: 'from a newer Raftdeck', reasonMsg: { key: 'backup.notYet' as never } })).toBe('from a newer Raftdeck')
    expect(runReason({ reason: 'nested unknown', reasonMsg: { key: 'backup.run.verifyFailed', params: { detail: { key: 'nope' as never } } } })).toBe('nested unknown')
    expect(runReason({ reason: null, reasonMsg: null })).toBe('')
  })

  it('say why a member was picked, skipped members joined in the reader’s punctuation', () => {
    const skipped = msg('backup.pick.join', {
      a: msg('backup.pick.skipped.noAnswer', { endpoint: 'http://127.0.0.1:2379', why: msg('backup.pick.cause.ECONNREFUSED') }),
      b: msg('backup.pick.skipped.alarm', { member: msg('backup.pick.label', { name: 'm3', endpoint: 'http://127.0.0.1:2381' }), alarm: 'NOSPACE' }),
    })
    const m = msg('backup.pick.withSkipped', { reason: msg('backup.pick.leader', { reason: msg('backup.pick.highest', { member: 'm2', index: '12345', healthy: 2 }) }), skipped })
    const r = { pickReason: formatMessage(m), pickReasonMsg: m }
    expect(r.pickReason).toBe(
      'm2 answers, sees a leader and has no alarm; its applied index 12345 is the highest of 2 healthy members; it is the leader. Skipped: http://127.0.0.1:2379: no answer (connection refused); m3 (http://127.0.0.1:2381): NOSPACE alarm',
    )
    use('zh-CN')
    expect(pickReason(r)).toBe(
      'm2 有响应、能看到 leader 且没有告警；它的 applied index 为 12345，是 2 个健康成员中最高的；它就是 leader。已跳过：http://127.0.0.1:2379：无响应（连接被拒绝）；m3（http://127.0.0.1:2381）：有 NOSPACE 告警',
    )
  })

  it('say what a re-verification found', () => {
    const m = msg('backup.verify.changedRevision', { actual: '12', expected: '10' })
    use('zh-CN')
    expect(reverifiedText({ at: 0, ok: false, message: formatMessage(m), messageMsg: m })).toBe('文件在写入后被改动过：revision 为 12，manifest 中记录的是 10。')
    expect(reverifiedText({ at: 0, ok: false, message: 'bbolt: page 3 is freed twice' })).toBe('bbolt: page 3 is freed twice')
  })
})
