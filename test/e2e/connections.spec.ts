// A user connects to a production-like etcd (3 members, TLS with client certificates, etcd auth),
// tests the connection, sees the health view, and breaks the CA path to see the doctor's explanation.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test, expect } from './fixtures'
import { makePki, type Pki } from '../support/certs'
import { enableAuth, startEtcdCluster, type EtcdCluster } from '../support/etcd'
import { ConnectionsPage } from './pages/ConnectionsPage'
import { E2E_DATA_DIR } from './env'

let tmp: string
let pki: Pki
let etcd: EtcdCluster

test.beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'raftdeck-e2e-conn-'))
  pki = makePki(path.join(tmp, 'pki'))
  etcd = await startEtcdCluster({ pki })
  await enableAuth(etcd)
})

test.afterAll(async () => {
  await etcd?.stop()
  rmSync(tmp, { recursive: true, force: true })
})

test('connect to TLS etcd with certificates, test it, and watch its health', async ({ app }) => {
  const name = `tls-${test.info().project.name}-${Date.now()}`
  const conns = new ConnectionsPage(app.page)
  await conns.openNew()
  await conns.fill({ name, endpoints: etcd.endpoints, caFile: pki.ca, certFile: pki.clientCert, keyFile: pki.clientKey, username: 'root', password: 'rootpw' })
  const report = await conns.test()
  await expect(report.getByTestId('verdict-ok')).toHaveCount(3)
  await app.screenshot('connection-test-ok')
  await conns.save()

  await expect(conns.item(name)).toHaveClass(/selected/)
  await app.open('cluster')
  const health = app.page.getByTestId('cluster-health')
  await expect(health.getByTestId('leader-line')).toContainText('Leader: m')
  const table = health.getByTestId('members-table')
  await expect(table.getByText('leader', { exact: true })).toHaveCount(1)
  await expect(table.getByText('follower', { exact: true })).toHaveCount(2)
  await expect(table).toContainText('3.4.23')

  await health.getByTestId('check-consistency').click()
  await expect(health.getByTestId('hashkv-result')).toContainText('All members agree')
  await app.screenshot('cluster-health')
})

test('a wrong CA path and a wrong CA are explained by the doctor', async ({ app }) => {
  const name = `broken-${test.info().project.name}-${Date.now()}`
  const conns = new ConnectionsPage(app.page)
  await conns.openNew()
  await conns.fill({ name, endpoints: [etcd.endpoints[0]!], caFile: path.join(tmp, 'pki', 'no-such-ca.pem'), certFile: pki.clientCert, keyFile: pki.clientKey, username: 'root', password: 'rootpw' })
  let report = await conns.test()
  await expect(report.getByTestId('verdict-problem')).toHaveText('file-unreadable')
  await expect(report.getByTestId('verdict-message')).toContainText('no such file')

  await conns.fill({ caFile: pki.otherCa })
  report = await conns.test()
  await expect(report.getByTestId('verdict-problem')).toHaveText('unknown-authority')
  await expect(report.getByTestId('verdict-message')).toContainText('issued by raftdeck-test-ca')
  await app.screenshot('connection-test-unknown-ca')
})

test('certificate files can be imported instead of referenced, and the imported key is stored sealed', async ({ app }) => {
  const name = `imported-${test.info().project.name}-${Date.now()}`
  const conns = new ConnectionsPage(app.page)
  await conns.openNew()
  await conns.fill({ name, endpoints: [etcd.endpoints[1]!], username: 'root', password: 'rootpw' })
  for (const [field, file] of [['conn-ca', pki.ca], ['conn-cert', pki.clientCert], ['conn-key', pki.clientKeyPkcs1]] as const) {
    await conns.dialog.getByTestId(`${field}-file`).setInputFiles(file)
    await expect(conns.dialog.getByTestId(field).locator('input')).toHaveValue(new RegExp(`${path.sep}imported${path.sep}`))
  }
  const report = await conns.test()
  await expect(report.getByTestId('verdict-ok')).toHaveCount(1)
  await conns.save()

  const imported = path.join(E2E_DATA_DIR, 'imported')
  const keyFile = readdirSync(imported).find((f) => f.endsWith('-key.pem.sealed'))!
  const sealed = readFileSync(path.join(imported, keyFile), 'utf8')
  expect(sealed).not.toContain('PRIVATE KEY')
  expect(sealed).not.toContain(readFileSync(pki.clientKeyPkcs1, 'utf8').split('\n')[1])
})
