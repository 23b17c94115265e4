// A read-only connection that is also marked production: every view that could write disables its
// write controls (or leaves them out), so no write is offered and no confirmation is ever asked, in the
// key editor (new key, import, folder delete, save, rename, delete, lease, history restore) and in the
// cluster view (defragment, compact, make leader, disarm). The spec starts a 3-member etcd with a small
// quota and fills it up, so a NOSPACE alarm (with its Disarm button) is there to be refused too.
import { test, expect } from './fixtures'
import { EtcdClient } from '../../src-main/services/etcd/client'
import { startEtcdCluster, type EtcdCluster } from '../support/etcd'
import { ConnectionsPage } from './pages/ConnectionsPage'
import { KeysPage } from './pages/KeysPage'

let etcd: EtcdCluster
let client: EtcdClient

test.beforeAll(async () => {
  test.setTimeout(120_000)
  etcd = await startEtcdCluster({ size: 3, flags: ['--quota-backend-bytes=1048576'] })
  client = new EtcdClient({ endpoints: etcd.endpoints })
  const put = (k: string, v: string, lease?: string) => client.put({ key: Buffer.from(k), value: Buffer.from(v), ...(lease ? { lease } : {}) })
  await put('/app/config.json', '{"replicas": 3}')
  await put('/app/config.json', '{"replicas": 4}')
  await put('/app/tmp/a', 'x')
  const lease = await client.leaseGrant(3600)
  await put('/app/session', 'token', lease.ID)
  // Fill the 1 MiB quota: etcd raises NOSPACE on every member.
  const blob = 'x'.repeat(16_000)
  for (let i = 0; i < 200; i++) {
    try {
      await put(`/fill/${i}`, blob)
    } catch (err) {
      // etcd's "database space exceeded", in the client's words.
      if (/NOSPACE|space exceeded/.test(String(err))) break
      throw err
    }
  }
  expect((await client.alarmList()).alarms.length).toBeGreaterThan(0)
})

test.afterAll(async () => {
  client?.close()
  await etcd?.stop()
})

test('a read-only production connection offers no write anywhere and never asks to confirm one', async ({ app }) => {
  const name = `guarded-${test.info().project.name}`
  const conns = new ConnectionsPage(app.page)
  await conns.openNew()
  await conns.fill({ name, endpoints: etcd.endpoints, readOnly: true, production: true })
  await conns.save()
  await conns.item(name).click()
  const dialogs = app.page.locator('.n-dialog')

  // Cluster view: maintenance, leadership and alarms.
  await app.open('cluster')
  const health = app.page.getByTestId('cluster-health')
  await expect(health.getByTestId('make-leader')).toHaveCount(2)
  for (const b of await health.getByTestId('make-leader').all()) await expect(b).toBeDisabled()
  await expect(health.getByTestId('defragment')).toBeDisabled()
  await expect(health.getByTestId('compact')).toBeDisabled()
  await expect(health.getByTestId('alarm-disarm').first()).toBeVisible()
  for (const b of await health.getByTestId('alarm-disarm').all()) await expect(b).toBeDisabled()
  await expect(health.getByTestId('maintenance-read-only')).toBeVisible()
  await app.screenshot('read-only-cluster')

  // Key editor: the tree, the open key and its drawers.
  await app.open('keys')
  const keys = new KeysPage(app.page)
  await expect(app.page.getByTestId('new-key')).toBeDisabled()
  await expect(app.page.getByTestId('open-import')).toBeDisabled()
  await expect(app.page.getByTestId('keys-read-only')).toBeVisible()
  await keys.expand('/app/')
  const folder = keys.folder('/app/tmp/')
  await folder.hover()
  await expect(folder.getByTestId('folder-export')).toBeVisible()
  await expect(folder.getByTestId('folder-delete')).toHaveCount(0)
  await expect(folder.getByTestId('folder-new')).toHaveCount(0)
  await keys.openKey('/app/config.json')
  for (const id of ['value-save', 'value-rename', 'value-delete', 'value-lease-button']) await expect(keys.editor.getByTestId(id)).toBeDisabled()
  await expect(keys.editor.getByTestId('value-code').locator('.cm-content')).toHaveAttribute('contenteditable', 'false')
  await keys.editor.getByTestId('value-history').click()
  const history = app.page.getByTestId('history-drawer')
  await expect(history.getByTestId('history-row')).toHaveCount(2)
  for (const b of await history.getByTestId('history-restore').all()) await expect(b).toBeDisabled()
  await app.page.keyboard.press('Escape')
  await expect(history).toBeHidden()
  await app.page.getByTestId('open-leases').click()
  const leases = app.page.getByTestId('leases-drawer')
  await expect(leases.getByTestId('lease-row')).toHaveCount(1)
  await expect(leases.getByTestId('lease-grant')).toBeDisabled()
  await expect(leases.getByTestId('lease-revoke')).toBeDisabled()
  await expect(leases.getByTestId('lease-attach')).toBeDisabled()
  await app.screenshot('read-only-keys-leases')

  // Nothing asked, nothing changed.
  await expect(dialogs).toHaveCount(0)
  expect((await client.range({ key: Buffer.from('/app/config.json') })).kvs[0]!.value.toString()).toBe('{"replicas": 4}')
  expect(Number((await client.range({ key: Buffer.from('/app/'), range_end: Buffer.from('/app0'), count_only: true })).count)).toBe(3)
})
