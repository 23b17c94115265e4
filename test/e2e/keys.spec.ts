// A user browses a 100,000-key Kubernetes-shaped etcd 3.4 in the key editor: the tree loads one folder
// at a time with "N of M loaded", values open by format (Kubernetes objects decoded), edits are saved
// safely (a concurrent write becomes a side-by-side choice), history restores, changes appear live,
// folders are deleted only after counting and typing the prefix, leases tick down, and import shows a
// dry run first. The spec starts its own etcd and adds the connection through the UI.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test, expect } from './fixtures'
import { EtcdClient } from '../../src-main/services/etcd/client'
import { startEtcdCluster, type EtcdCluster } from '../support/etcd'
import { loadFixture } from '../integration/keys/fixture'
import { ConnectionsPage } from './pages/ConnectionsPage'
import { KeysPage } from './pages/KeysPage'

let etcd: EtcdCluster
let client: EtcdClient
let tmp: string

test.describe.configure({ mode: 'serial' })

test.beforeAll(async () => {
  test.setTimeout(180_000)
  tmp = mkdtempSync(path.join(os.tmpdir(), 'raftdeck-e2e-keys-'))
  etcd = await startEtcdCluster({ size: 1 })
  client = new EtcdClient({ endpoints: etcd.endpoints, requestTimeoutMs: 60_000 })
  await loadFixture(client)
})

test.afterAll(async () => {
  client?.close()
  await etcd?.stop()
  if (tmp) rmSync(tmp, { recursive: true, force: true })
})

const put = (k: string, v: string) => client.put({ key: Buffer.from(k), value: Buffer.from(v) })
const getValue = async (k: string) => (await client.range({ key: Buffer.from(k) })).kvs[0]?.value.toString() ?? null

async function connect(app: { page: import('@playwright/test').Page; open(a: 'keys'): Promise<void> }, name: string) {
  const conns = new ConnectionsPage(app.page)
  await conns.loaded()
  if (!(await conns.item(name).isVisible())) {
    await conns.openNew()
    await conns.fill({ name, endpoints: etcd.endpoints })
    await conns.save()
  } else await conns.item(name).click()
  await expect(conns.item(name)).toHaveClass(/selected/)
  await app.open('keys')
  const keys = new KeysPage(app.page)
  await expect(keys.summary).toContainText(/\d{3},\d{3} keys/)
  return keys
}

const connName = () => `k8s-${test.info().project.name}`

test('browse a 100k-key /registry one level at a time, with counts and load more', async ({ app }) => {
  const keys = await connect(app, connName())
  // The single "/" folder opens by itself; /registry/ lists resource types with their key counts.
  await keys.expand('/registry/')
  await expect(keys.folder('/registry/pods/').getByTestId('folder-count')).toHaveText('36,000')
  await keys.expand('/registry/configmaps/', '/registry/configmaps/big/')
  await expect(keys.folder('/registry/configmaps/big/').getByTestId('folder-count')).toHaveText('500 of 10,000')
  const more = keys.tree.getByTestId('tree-more').filter({ hasText: 'of 10,000 keys loaded' })
  await keys.scrollTreeTo(more)
  await expect(more).toContainText('500 of 10,000 keys loaded')
  await app.screenshot('keys-tree-big-folder')
  await more.getByTestId('load-more').click()
  await keys.scrollTreeTo(more)
  await expect(more).toContainText('1,000 of 10,000 keys loaded')
  await app.screenshot('keys-tree-load-more')
  // Virtual scrolling: a thousand loaded rows, only a window of them in the DOM.
  expect(await keys.tree.locator('.row').count()).toBeLessThan(120)
})

test('the key tree works from the keyboard: arrows, Enter and type-ahead, as an ARIA tree', async ({ app }) => {
  const keys = await connect(app, connName())
  await expect(keys.tree).toHaveAttribute('role', 'tree')
  await expect(keys.folder('/')).toHaveAttribute('aria-expanded', 'true')
  await keys.tree.focus()
  await keys.press('Home')
  await expect.poll(() => keys.activeRow()).toBe('/')
  await keys.press('ArrowDown')
  await expect.poll(() => keys.activeRow()).toBe('/app/')
  // Type-ahead: "reg" lands on the registry folder; Right opens it, Right again steps into it.
  await keys.tree.pressSequentially('reg')
  await expect.poll(() => keys.activeRow()).toBe('/registry/')
  await keys.press('ArrowRight')
  await expect(keys.folder('/registry/')).toHaveAttribute('aria-expanded', 'true')
  await expect(keys.folder('/registry/configmaps/')).toBeVisible()
  await keys.press('ArrowRight')
  await expect.poll(() => keys.activeRow()).toBe('/registry/configmaps/')
  await expect(keys.folder('/registry/configmaps/')).toHaveAttribute('aria-level', '3')
  await keys.tree.pressSequentially('pods')
  await expect.poll(() => keys.activeRow()).toBe('/registry/pods/')
  await keys.press('Enter')
  await expect(keys.folder('/registry/pods/default/')).toBeVisible()
  await keys.press('ArrowRight', 'ArrowRight')
  await expect(keys.folder('/registry/pods/default/')).toHaveAttribute('aria-expanded', 'true')
  await expect(keys.key('/registry/pods/default/web-0')).toBeVisible()
  await keys.press('ArrowRight', 'ArrowDown')
  await expect.poll(() => keys.activeRow()).toBe('/registry/pods/default/web-1')
  // Enter opens the key; the keyboard stays in the tree.
  await keys.press('Enter')
  await expect(keys.editor.getByTestId('open-key')).toHaveText('/registry/pods/default/web-1')
  await expect(keys.key('/registry/pods/default/web-1')).toHaveAttribute('aria-selected', 'true')
  await expect(keys.tree).toBeFocused()
  await app.screenshot('keys-tree-keyboard')
  // Left goes up to the folder, then closes it.
  await keys.press('ArrowLeft')
  await expect.poll(() => keys.activeRow()).toBe('/registry/pods/default/')
  await keys.press('ArrowLeft')
  await expect(keys.folder('/registry/pods/default/')).toHaveAttribute('aria-expanded', 'false')
  await expect(keys.key('/registry/pods/default/web-1')).toBeHidden()
})

test('open a Kubernetes Pod decoded from protobuf, an encrypted Secret, and a >1 MiB value', async ({ app }) => {
  const keys = await connect(app, connName())
  await keys.expand('/registry/', '/registry/pods/', '/registry/pods/default/')
  await keys.openKey('/registry/pods/default/web-7')
  await expect(keys.editor.getByTestId('k8s-header')).toContainText('Pod')
  await expect(keys.editor.getByTestId('k8s-header')).toContainText('decoded by schema')
  await expect(keys.editor.getByTestId('k8s-view')).toContainText('image: registry.example/app:1.2.3')
  await expect(keys.editor.getByTestId('k8s-view')).toContainText('namespace: default')
  await app.screenshot('keys-k8s-pod')
  await app.toggleTheme()
  await app.screenshot('keys-k8s-pod-dark')
  await app.toggleTheme()

  const results = await keys.search('/registry/secrets/default/token-10')
  await results.getByTestId('search-result').first().click()
  await expect(keys.editor.getByTestId('k8s-encrypted')).toContainText('aescbc')

  await keys.search('/registry/configmaps/kube-system/huge-0')
  await app.page.getByTestId('search-result').first().click()
  await expect(keys.editor.getByTestId('value-truncated')).toBeVisible()
  await app.screenshot('keys-large-value-truncated')
  await keys.editor.getByTestId('value-load-all').click()
  await expect(keys.editor.getByTestId('k8s-header')).toContainText('ConfigMap')
  await expect(keys.editor.getByTestId('value-truncated')).toBeHidden()
})

test('a key that is not UTF-8 is found by its escaped name, opened and edited', async ({ app }) => {
  const keys = await connect(app, connName())
  const results = await keys.search('/raw/\\xff')
  await expect(results.getByTestId('search-result')).toHaveCount(1)
  await results.getByTestId('search-result').click()
  await expect(keys.editor.getByTestId('open-key')).toHaveText('/raw/\\xff\\xfe\\x01')
  await keys.setValue('edited through the UI')
  await keys.save()
  await expect(keys.editor.getByTestId('value-dirty')).toBeHidden()
  const raw = await client.range({ key: Buffer.from([0x2f, 0x72, 0x61, 0x77, 0x2f, 0xff, 0xfe, 0x01]) })
  expect(raw.kvs[0]!.value.toString()).toBe('edited through the UI')
  await app.screenshot('keys-non-utf8')
})

test('a concurrent write between load and save is flagged live and resolved side by side', async ({ app }) => {
  const keys = await connect(app, connName())
  await keys.expand('/app/')
  await keys.openKey('/app/config.json')
  await expect(keys.editor.getByTestId('value-format')).toHaveText('json')
  await keys.setValue('{\n  "replicas": 5\n}')
  await expect(keys.editor.getByTestId('value-dirty')).toBeVisible()
  await put('/app/config.json', '{\n  "replicas": 7\n}')
  await expect(keys.editor.getByTestId('remote-change')).toBeVisible()
  await keys.save()
  const dialog = app.page.getByTestId('conflict-dialog')
  await expect(dialog).toBeVisible()
  await expect(dialog.getByTestId('conflict-diff')).toContainText('"replicas": 7')
  await expect(dialog.getByTestId('conflict-diff')).toContainText('"replicas": 5')
  await app.screenshot('keys-conflict')
  expect(await getValue('/app/config.json')).toContain('7')
  await dialog.getByTestId('conflict-mine').click()
  await expect(dialog).toBeHidden()
  await expect.poll(() => getValue('/app/config.json')).toContain('"replicas": 5')
})

test('history lists versions with a diff, and restores one as a safe write', async ({ app }) => {
  const keys = await connect(app, connName())
  await put('/app/history', 'first')
  await put('/app/history', 'second')
  await put('/app/history', 'third')
  await keys.expand('/app/')
  await keys.openKey('/app/history')
  await keys.editor.getByTestId('value-history').click()
  const drawer = app.page.getByTestId('history-drawer')
  await expect(drawer.getByTestId('history-row')).toHaveCount(3)
  await expect(drawer.getByTestId('history-horizon')).toContainText('never compacted')
  await expect(drawer.getByTestId('history-diff')).toContainText('second')
  await app.screenshot('keys-history')
  await drawer.getByTestId('history-restore').last().click()
  await expect.poll(() => getValue('/app/history')).toBe('first')
  await expect(drawer.getByTestId('history-row')).toHaveCount(4)
})

test('changes under the open folder appear live in the tree', async ({ app }) => {
  const keys = await connect(app, connName())
  await keys.expand('/app/')
  await expect(keys.key('/app/readme')).toBeVisible()
  await put('/app/appeared-live', 'hello')
  await expect(keys.key('/app/appeared-live')).toBeVisible()
  await client.deleteRange({ key: Buffer.from('/app/appeared-live') })
  await expect(keys.key('/app/appeared-live')).toBeHidden()
})

test('delete a folder: the count first, then the typed prefix; exactly those keys go', async ({ app }) => {
  for (let i = 0; i < 30; i++) await put(`/app/tmp/k${i}`, 'x')
  const keys = await connect(app, connName())
  await keys.expand('/app/')
  const folder = keys.folder('/app/tmp/')
  await folder.hover()
  await folder.getByTestId('folder-delete').click()
  const dialog = app.page.getByTestId('delete-prefix-dialog')
  await expect(dialog.getByTestId('delete-prefix-count')).toHaveText('30')
  await expect(dialog.getByTestId('delete-prefix-confirm')).toBeDisabled()
  await dialog.getByTestId('delete-prefix-input').locator('input').fill('/app/tmp/')
  await app.screenshot('keys-delete-prefix')
  await dialog.getByTestId('delete-prefix-confirm').click()
  await expect(dialog).toBeHidden()
  expect(Number((await client.range({ key: Buffer.from('/app/tmp/'), range_end: Buffer.from('/app/tmp0'), count_only: true })).count)).toBe(0)
  expect(await getValue('/app/readme')).toBe('plain text value')
})

test('create a key with a lease, see the lease tick down with its key, and revoke it', async ({ app }) => {
  const keys = await connect(app, connName())
  await app.page.getByTestId('new-key').click()
  const dialog = app.page.getByTestId('new-key-dialog')
  await dialog.getByTestId('new-key-name').locator('input').fill('/app/session')
  await dialog.getByTestId('new-key-value').locator('textarea').fill('token-123')
  await dialog.getByTestId('new-key-lease-new').click()
  await dialog.getByTestId('new-key-ttl').locator('input').fill('120')
  await dialog.getByTestId('new-key-create').click()
  await expect(dialog).toBeHidden()
  await expect(keys.editor.getByTestId('open-key')).toHaveText('/app/session')
  await expect(keys.editor.getByTestId('value-lease')).toBeVisible()
  await app.page.getByTestId('open-leases').click()
  const drawer = app.page.getByTestId('leases-drawer')
  const row = drawer.getByTestId('lease-row').filter({ hasText: '/app/session' })
  await expect(row).toBeVisible()
  const first = await row.getByTestId('lease-ttl-left').textContent()
  await expect(row.getByTestId('lease-ttl-left')).not.toHaveText(first!)
  await app.screenshot('keys-leases')
  await row.getByTestId('lease-revoke').click()
  await expect(row).toBeHidden()
  expect(await getValue('/app/session')).toBeNull()
})

test('import a JSON file: a dry run with a diff first, then the import', async ({ app }) => {
  const keys = await connect(app, connName())
  const file = path.join(tmp, 'import.json')
  writeFileSync(file, JSON.stringify({ format: 'raftdeck-keys/1', prefix: '/app/', revision: '1', exportedAt: new Date().toISOString(), keys: [{ key: '/app/readme', value: 'imported text' }, { key: '/app/imported', value: 'new' }] }))
  await app.page.getByTestId('open-import').click()
  const dialog = app.page.getByTestId('import-dialog')
  await dialog.getByTestId('import-file').setInputFiles(file)
  await expect(dialog.getByTestId('import-counts')).toContainText('1 new')
  await expect(dialog.getByTestId('import-counts')).toContainText('1 changed')
  await app.screenshot('keys-import-plan')
  expect(await getValue('/app/imported')).toBeNull()
  await dialog.getByTestId('import-run').click()
  await expect(dialog).toBeHidden()
  await expect.poll(() => getValue('/app/imported')).toBe('new')
  expect(await getValue('/app/readme')).toBe('imported text')
  await expect(keys.summary).toBeVisible()
})
