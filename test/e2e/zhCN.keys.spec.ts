// The Keys area in Simplified Chinese, on a real etcd marked as production (so every change goes through
// the write guard's question): the tree and its toolbar, a JSON value open in the editor, its history and
// the leases drawer, the new-key dialog and its confirmation, a rename the services refuse (their message in
// Chinese), an import's dry run, the folder-delete dialog and its confirmation, and a save that lost to a
// concurrent write (the conflict dialog). No part shows untranslated English;
// key names, values and etcd's own words (revision, TTL…) are not words to translate.
import { test, expect, resetRemembered, withCleanup } from './fixtures'
import { EtcdClient } from '../../src-main/services/etcd/client'
import { startEtcdCluster, type EtcdCluster } from '../support/etcd'
import { ConnectionsPage } from './pages/ConnectionsPage'
import { KeysPage } from './pages/KeysPage'
import { chooseLanguage, untranslated } from './zhText'

let etcd: EtcdCluster
let client: EtcdClient

// Values without Latin words, so what the check finds is ours, not the data's.
const v1 = '{"副本数": 3}'
const v2 = '{"副本数": 4}'

test.beforeAll(async () => {
  test.setTimeout(120_000)
  etcd = await startEtcdCluster({ size: 1 })
  client = new EtcdClient({ endpoints: etcd.endpoints })
  const put = (k: string, v: string, lease?: string) => client.put({ key: Buffer.from(k), value: Buffer.from(v), ...(lease ? { lease } : {}) })
  await put('/app/配置', v1)
  await put('/app/配置', v2)
  for (let i = 0; i < 3; i++) await put(`/app/临时/${i}`, '临时值')
  const lease = await client.leaseGrant(3600)
  await put('/app/会话', '令牌', lease.ID)
})

test.afterAll(async () => {
  client?.close()
  await etcd?.stop()
})

test('the Keys area, its dialogs and drawers, and the write guard in zh-CN', async ({ app }, info) => {
  test.setTimeout(150_000)
  const page = app.page
  const name = `zh-keys-${info.project.name}`
  const dialogs = page.locator('.n-dialog')
  /** The write guard's question: says production and the cluster, in Chinese; answered by its last button (go ahead). */
  const confirmGuard = async (shot: string) => {
    const d = dialogs.last()
    await expect(d).toContainText(`生产环境：${name}`)
    expect(await untranslated(d, [name]), shot).toEqual([])
    await app.screenshot(shot)
    await d.locator('.n-dialog__action .n-button').last().click()
    await expect(dialogs).toHaveCount(0)
  }
  await withCleanup(async () => {
    await chooseLanguage(page, '简体中文')
    await expect(page.getByTestId('area-cluster')).toHaveText('集群')
    const conns = new ConnectionsPage(page)
    await conns.openNew()
    await conns.fill({ name, endpoints: etcd.endpoints, production: true })
    await conns.save()
    await conns.item(name).click()
    await app.open('keys')
    const keys = new KeysPage(page)

    // The tree, its toolbar and summary.
    await expect(keys.summary).toContainText('个键 · revision')
    await keys.expand('/app/')
    await expect(keys.folder('/app/临时/').getByTestId('folder-count')).toHaveText('3')
    await expect(keys.summary).toContainText('● 实时')
    // 'app' is the name of a folder of keys, not a word.
    expect(await untranslated(keys.view.locator('.tree-pane'), ['app'])).toEqual([])

    // A JSON value open in the editor: the header, the actions, the metadata.
    await keys.openKey('/app/配置')
    await expect(keys.editor.getByTestId('value-format')).toHaveText('JSON')
    // The size is written by the shared fmtBytes: "17 B" (B as kB, MB…, which zhText keeps).
    expect(await untranslated(keys.editor.locator('header'), ['B'])).toEqual([])
    await app.screenshot('zh-CN-keys-value')

    // Its history: two versions, the compaction note, the diff's labels.
    await keys.editor.getByTestId('value-history').click()
    const history = page.getByTestId('history-drawer')
    await expect(history.getByTestId('history-row')).toHaveCount(2)
    await expect(history.getByTestId('history-horizon')).toContainText('从未执行过 compaction')
    await expect(history.getByTestId('history-diff')).toContainText('对比 A：版本 1')
    // compaction is etcd's word (kept as operators write it); A and B name the two sides compared; B is also bytes.
    expect(await untranslated(history.locator('.n-drawer-content'), ['compaction', 'A', 'B'])).toEqual([])
    await app.screenshot('zh-CN-keys-history')
    await page.keyboard.press('Escape')
    await expect(history).toBeHidden()

    // The leases drawer: the lease with its key and a TTL counting down.
    await page.getByTestId('open-leases').click()
    const leases = page.getByTestId('leases-drawer')
    await expect(leases.getByTestId('lease-row')).toHaveCount(1)
    await expect(leases.getByTestId('lease-ttl-left')).toContainText(/\d+分\d+秒/)
    expect(await untranslated(leases.locator('.n-drawer-content'), ['TTL'])).toEqual([])
    await app.screenshot('zh-CN-keys-leases')
    await page.keyboard.press('Escape')
    await expect(leases).toBeHidden()

    // The new-key dialog, then the write guard's question before it creates the key.
    await page.getByTestId('new-key').click()
    const newKey = page.getByTestId('new-key-dialog')
    await expect(newKey).toContainText('新建键')
    await newKey.getByTestId('new-key-name').locator('input').fill('/app/新键')
    await newKey.getByTestId('new-key-value').locator('textarea').fill('新值')
    await newKey.getByTestId('new-key-lease-new').click()
    // Long enough that the key outlives this test on a slow machine.
    await newKey.getByTestId('new-key-ttl').locator('input').fill('3600')
    expect(await untranslated(newKey, [])).toEqual([])
    await app.screenshot('zh-CN-keys-new-key')
    await newKey.getByTestId('new-key-create').click()
    await confirmGuard('zh-CN-keys-guard-create')
    await expect(newKey).toBeHidden()
    await expect(keys.editor.getByTestId('open-key')).toHaveText('/app/新键')
    expect((await client.range({ key: Buffer.from('/app/新键') })).kvs[0]?.value.toString()).toBe('新值')

    // A refusal from the services arrives as a message key and reads in Chinese: renaming onto a key that exists.
    await keys.editor.getByTestId('value-rename').click()
    const rename = page.getByTestId('rename-dialog')
    expect(await untranslated(rename, [])).toEqual([])
    await rename.getByTestId('rename-input').locator('input').fill('/app/会话')
    await rename.getByTestId('rename-confirm').click()
    await confirmGuard('zh-CN-keys-guard-rename')
    const refusal = page.locator('.n-message', { hasText: '同名的键已经存在' })
    await expect(refusal).toContainText('请换一个名称，或先删除那个键。')
    expect(await untranslated(refusal, [])).toEqual([])
    await app.screenshot('zh-CN-keys-refusal')
    await page.keyboard.press('Escape')
    await expect(rename).toBeHidden()

    // Importing a file: the dry run's counts and the actions per key.
    await page.getByTestId('open-import').click()
    const imp = page.getByTestId('import-dialog')
    await expect(imp.getByTestId('import-choose')).toHaveText('选择文件…')
    await imp.getByTestId('import-file').setInputFiles({
      name: 'keys.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify({ format: 'raftdeck-keys/1', prefix: '/app/', revision: '1', exportedAt: new Date().toISOString(), keys: [{ key: '/app/配置', value: v1 }, { key: '/app/导入', value: '导入值' }] })),
    })
    await expect(imp.getByTestId('import-counts')).toContainText('新增 1')
    await expect(imp.getByTestId('import-run')).toHaveText('导入 2 个键')
    // The whole dialog but the diff, whose texts are the values.
    for (const part of [imp.locator('.n-card-header'), imp.locator('p.muted'), imp.locator('.file'), imp.getByTestId('import-counts'), imp.locator('.items'), imp.getByTestId('import-run')])
      expect(await untranslated(part, ['keys.json'])).toEqual([])
    await app.screenshot('zh-CN-keys-import')
    await page.keyboard.press('Escape')
    await expect(imp).toBeHidden()

    // Deleting a folder: counted, typed, then the guard's question.
    const folder = keys.folder('/app/临时/')
    await folder.hover()
    await folder.getByTestId('folder-delete').click()
    const del = page.getByTestId('delete-prefix-dialog')
    await expect(del.getByTestId('delete-prefix-count')).toHaveText('3')
    await del.getByTestId('delete-prefix-input').locator('input').fill('/app/临时/')
    await expect(del.getByTestId('delete-prefix-confirm')).toHaveText('删除 3 个键')
    expect(await untranslated(del, [])).toEqual([])
    await app.screenshot('zh-CN-keys-delete-prefix')
    await del.getByTestId('delete-prefix-confirm').click()
    await confirmGuard('zh-CN-keys-guard-delete-prefix')
    await expect(del).toBeHidden()
    await expect(folder).toHaveCount(0)
    // The tree is read again after the delete, folders closed.
    await keys.expand('/app/')

    // A save that lost to someone else's write: the banner, then the side-by-side choice.
    await keys.openKey('/app/配置')
    await keys.setValue('{"副本数": 7}')
    await client.put({ key: Buffer.from('/app/配置'), value: Buffer.from('{"副本数": 5}') })
    await expect(keys.editor.getByTestId('remote-change')).toBeVisible()
    expect(await untranslated(keys.editor.getByTestId('remote-change'), [])).toEqual([])
    await keys.save()
    await confirmGuard('zh-CN-keys-guard-save')
    const conflict = page.getByTestId('conflict-dialog')
    await expect(conflict.getByTestId('conflict-diff')).toContainText('"副本数": 5')
    expect(await untranslated(conflict, [])).toEqual([])
    await app.screenshot('zh-CN-keys-conflict')
    await conflict.getByTestId('conflict-theirs').click()
    await expect(conflict).toBeHidden()
  }, async () => {
    await resetRemembered()
  })
})
