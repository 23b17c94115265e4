// A user cancels a long operation: a snapshot being saved from a cluster that has stopped answering shows
// that it is under way and a Cancel button; Cancel stops it, says no file was written, and leaves none
// (not even the .part). The spec starts its own etcd and freezes it (SIGSTOP) during the save, so the
// save cannot finish before the click however slow the machine is: the snapshot stream has no deadline.
// (Cancelling an import, an export and a save at a known point is checked against a real etcd in
// test/integration/rpc/cancel.test.ts.)
import { existsSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { test, expect } from './fixtures'
import { E2E_DATA_DIR } from './env'
import { EtcdClient } from '../../src-main/services/etcd/client'
import { startEtcdCluster, type EtcdCluster } from '../support/etcd'
import { ConnectionsPage } from './pages/ConnectionsPage'

let etcd: EtcdCluster
let frozen = false

const freeze = (on: boolean) => {
  process.kill(etcd.members[0]!.process.pid!, on ? 'SIGSTOP' : 'SIGCONT')
  frozen = on
}

test.beforeAll(async () => {
  etcd = await startEtcdCluster({ size: 1 })
  const client = new EtcdClient({ endpoints: etcd.endpoints })
  for (let i = 0; i < 50; i++) await client.put({ key: Buffer.from(`/app/k${i}`), value: Buffer.alloc(1024, 120) })
  client.close()
})

test.afterAll(async () => {
  // A stopped process cannot stop: let it run again first.
  if (frozen) freeze(false)
  await etcd?.stop()
})

test('cancel a snapshot save while the cluster does not answer: no file is left', async ({ app }) => {
  test.setTimeout(120_000)
  const name = `cancel-${test.info().project.name}`
  const conns = new ConnectionsPage(app.page)
  await conns.openNew()
  await conns.fill({ name, endpoints: etcd.endpoints })
  await conns.save()
  await conns.item(name).click()
  await app.open('backups')
  const files = () => {
    const dir = path.join(E2E_DATA_DIR, 'backups', name)
    return existsSync(dir) ? readdirSync(dir) : []
  }

  freeze(true)
  await app.page.getByTestId('backup-now').click()
  const progress = app.page.getByTestId('backup-progress')
  await expect(progress).toBeVisible()
  await expect(app.page.getByTestId('backup-now')).toBeDisabled()
  // Past the leader search (its status request times out): the stream itself is waiting.
  await expect(progress).toContainText('Streaming the snapshot from')
  await app.screenshot('cancel-backup-progress')
  await progress.getByTestId('call-cancel').click()
  await expect(app.page.locator('.n-message').filter({ hasText: 'Cancelled. No file was written.' })).toBeVisible()
  await expect(progress).toBeHidden()
  expect(files()).toEqual([])
  freeze(false)

  // The cluster answers again: the same button saves a verified snapshot.
  await app.page.getByTestId('backup-now').click()
  const row = app.page.getByTestId('backup-list').locator('tr', { hasText: name })
  await expect(row.getByText('verified')).toBeVisible({ timeout: 30_000 })
  expect(files()).toHaveLength(1)
  expect(files()[0]).toMatch(/\.db$/)
})
