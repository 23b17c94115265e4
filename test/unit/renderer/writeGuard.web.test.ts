// The one write guard's rules: a read-only target is refused before any question (even a production
// one, even a destructive change); production asks; a destructive change asks everywhere; everything
// else goes. And how long calls' progress reads. Both in English and in 简体中文.
// It imports the renderer's i18n module (DOM types), so the web tsconfig checks it (the *.web.test.ts pattern).
import { afterEach, describe, expect, it } from 'vitest'
import { msg } from '../../../src-main/shared/i18n/message'
import { i18n } from '../../../src-renderer/src/i18n'
import { writeDecision } from '../../../src-renderer/src/composables/writeGuard'
import { progressPercent, progressText } from '../../../src-renderer/src/composables/progress'

const policy = (readOnly: boolean, production: boolean) => ({ name: 'prod-eu', readOnly, production })
const use = (l: 'en' | 'zh-CN') => {
  i18n.global.locale.value = l
}

describe('write guard', () => {
  afterEach(() => use('en'))

  it('refuses a read-only target before asking, whatever else is true', () => {
    for (const production of [false, true])
      for (const destructive of [false, true]) {
        const d = writeDecision(policy(true, production), 'Compact the history', { destructive })
        expect(d.kind).toBe('refuse')
        expect(d.kind === 'refuse' && d.message).toContain('"prod-eu" is a read-only connection: nothing was changed.')
      }
  })

  it('asks on production, naming the cluster and the action', () => {
    const d = writeDecision(policy(false, true), 'Delete this key', { detail: '/app/x' })
    expect(d).toEqual({ kind: 'ask', production: true, title: 'Production: prod-eu', content: 'Delete this key on "prod-eu", which is marked as production. /app/x Continue?', positiveText: 'Yes, make the change' })
    expect(writeDecision(policy(false, true), 'Save this key')).toMatchObject({ content: 'Save this key on "prod-eu", which is marked as production. Continue?' })
  })

  it('asks for a destructive change anywhere, also when there is no cluster (a local file)', () => {
    expect(writeDecision(policy(false, false), 'Compact the history', { destructive: true })).toMatchObject({ kind: 'ask', production: false, title: 'Compact the history?', content: 'This cannot be undone.' })
    expect(writeDecision(null, 'Delete this snapshot', { destructive: true, detail: '/data/a.db' })).toMatchObject({ kind: 'ask', content: 'This cannot be undone. /data/a.db' })
  })

  it('lets an ordinary write on a writable, non-production target go without a question', () => {
    expect(writeDecision(policy(false, false), 'Save this key')).toEqual({ kind: 'go' })
    expect(writeDecision(null, 'Save')).toEqual({ kind: 'go' })
  })

  it('asks and refuses in Chinese, around the action the caller translated', () => {
    use('zh-CN')
    expect(writeDecision(policy(false, true), '删除此键', { detail: '/app/x' })).toEqual({
      kind: 'ask',
      production: true,
      title: '生产环境：prod-eu',
      content: '即将在标记为生产环境的“prod-eu”上执行：删除此键。/app/x 是否继续？',
      positiveText: '确定，执行更改',
    })
    expect(writeDecision(null, '删除此快照', { destructive: true })).toMatchObject({ title: '删除此快照？', content: '此操作无法撤销。', positiveText: '确定，继续' })
    const refused = writeDecision(policy(true, true), '删除此键')
    expect(refused.kind === 'refuse' && refused.message).toBe('“prod-eu”是只读连接：未做任何更改。如需修改，请编辑该连接并关闭只读。')
    // A read-only reason the caller gives (a snapshot file) is the whole message.
    expect(writeDecision({ ...policy(true, false), readOnlyReason: '快照文件只读' }, '保存')).toEqual({ kind: 'refuse', message: '快照文件只读' })
  })
})

describe('progress text', () => {
  afterEach(() => use('en'))

  it('reads in the unit of the work, with the phase first', () => {
    expect(progressText({ phase: 'Writing keys', done: 1200, total: 10_000, unit: 'keys' })).toBe('Writing keys: 1,200 of 10,000 keys')
    expect(progressText({ done: 1, total: null, unit: 'keys' })).toBe('1 key')
    expect(progressText({ done: 1, total: 1, unit: 'keys' })).toBe('1 of 1 key')
    expect(progressText({ phase: 'Streaming the snapshot', done: 12_600_000, total: 101_200_000, unit: 'bytes' })).toBe('Streaming the snapshot: 12.6 MB of 101 MB')
    expect(progressText({ phase: 'Defragmenting n2', done: 1, total: 3, unit: 'members' })).toBe('Defragmenting n2: 1 of 3 members')
    expect(progressText({ done: 7, total: null, unit: 'items' })).toBe('7')
  })

  it('says the services’ phase in the UI’s language when they send its key', () => {
    const p = { phase: 'Writing keys', phaseMsg: msg('keys.phase.writing'), done: 1200, total: 10_000, unit: 'keys' as const }
    expect(progressText(p)).toBe('Writing keys: 1,200 of 10,000 keys')
    use('zh-CN')
    expect(progressText(p)).toBe('正在写入键：1,200 / 10,000 个键')
    expect(progressText({ done: 2, total: 3, unit: 'members' })).toBe('2 / 3 个成员')
    // A phase without a key (an older peer) is shown as it came.
    expect(progressText({ phase: 'Writing keys', done: 1, total: null, unit: 'keys' })).toBe('Writing keys：1 个键')
  })

  it('gives a percentage only when the total is known', () => {
    expect(progressPercent({ done: 1, total: 3, unit: 'members' })).toBe(33)
    expect(progressPercent({ done: 5, total: null, unit: 'keys' })).toBeNull()
    expect(progressPercent({ done: 0, total: 0, unit: 'keys' })).toBe(100)
  })
})
