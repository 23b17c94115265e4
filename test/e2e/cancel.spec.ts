// A user cancels a long operation: an import whose cluster has stopped answering shows its progress
// and a Cancel button; Cancel stops it at once, the dialog says nothing was written, and a new dry run
// is offered. The spec starts its own etcd and freezes it (SIGSTOP) while the import waits on it, so
// the import cannot finish before the click, whatever the machine's speed.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test, expect } from './fixtures'
import { EtcdClient } from '../../src-main/services/etcd/client'
import { startEtcdCluster, type EtcdCluster } from '../support/etcd'
import { ConnectionsPage } from './pages/ConnectionsPage'
import { KeysPage } from './pages/KeysPage'

let etcd: EtcdCluster
let client: EtcdClient
let tmp: string
let frozen = false

const freeze = (on: boolean) => {
  process.kill(etcd.members[0]!.process.pid!, on ? 'SIGSTOP' : 'SIGCONT')
  frozen = on
}

test.beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'raftdeck-e2e-cancel-'))
  etcd = await startEtcdCluster({ size: 1 })
  client = new EtcdClient({ endpoints: etcd.endpoints })
  await client.put({ key: Buffer.from('/app/readme'), value: Buffer.from('hello') })
})

test.afterAll(async () => {
  // A stopped process cannot stop: let it run again first.
  if (frozen) freeze(false)
  client?.close()
  await etcd?.stop()
  if (tmp) rmSync(tmp, { recursive: true, force: true })
})

const imported = async () => Number((await client.range({ key: Buffer.from('/imp/'), range_end: Buffer.from('/imp0'), count_only: true })).count)

test('cancel an import while the cluster does not answer: progress, Cancel, nothing written', async ({ app }) => {
  const name = `cancel-${test.info().project.name}`
  const conns = new ConnectionsPage(app.page)
  await conns.openNew()
  await conns.fill({ name, endpoints: etcd.endpoints })
  await conns.save()
  await app.open('keys')
  const keys = new KeysPage(app.page)
  await expect(keys.summary).toContainText('1 keys')

  const file = path.join(tmp, 'import.json')
  const entries = Array.from({ length: 2000 }, (_, i) => ({ key: `/imp/k-${String(i).padStart(4, '0')}`, value: `value ${i}` }))
  writeFileSync(file, JSON.stringify({ format: 'raftdeck-keys/1', prefix: '/imp/', revision: '1', exportedAt: new Date().toISOString(), keys: entries }))
  await app.page.getByTestId('open-import').click()
  const dialog = app.page.getByTestId('import-dialog')
  await dialog.getByTestId('import-file').setInputFiles(file)
  await expect(dialog.getByTestId('import-counts')).toContainText('2000 new')

  freeze(true)
  await dialog.getByTestId('import-run').click()
  const progress = dialog.getByTestId('call-progress')
  await expect(progress.getByTestId('call-progress-text')).toContainText('Reading the current values: 0 of 2,000 keys')
  await app.screenshot('cancel-import-progress')
  await progress.getByTestId('call-cancel').click()
  await expect(app.page.locator('.n-message').filter({ hasText: 'Cancelled. No key was written.' })).toBeVisible()
  await expect(progress).toBeHidden()
  await expect(dialog.getByTestId('import-stale')).toBeVisible()
  await app.screenshot('cancel-import-cancelled')
  freeze(false)
  expect(await imported()).toBe(0)

  // The cluster is back: a new dry run shows the same plan, and the import goes through.
  await dialog.getByTestId('import-replan').click()
  await expect(dialog.getByTestId('import-counts')).toContainText('2000 new')
  await dialog.getByTestId('import-run').click()
  await expect(dialog).toBeHidden()
  expect(await imported()).toBe(2000)
})
