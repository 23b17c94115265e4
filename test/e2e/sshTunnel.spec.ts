// A user reaches a TLS etcd 3.4 that sits behind an SSH bastion (Debian's sshd, started here): adds
// the connection with a passphrase-protected key, confirms the bastion's host key when the doctor
// shows it, saves, and browses keys through the tunnel. A wrong passphrase is one clear message.
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test, expect } from './fixtures'
import { makePki, type Pki } from '../support/certs'
import { startEtcdCluster, type EtcdCluster } from '../support/etcd'
import { makeSshKey, startSshd, type Sshd, type SshKeyPair } from '../support/sshd'
import { ConnectionsPage } from './pages/ConnectionsPage'
import { KeysPage } from './pages/KeysPage'

let tmp: string
let pki: Pki
let etcd: EtcdCluster
let sshd: Sshd
let key: SshKeyPair
const PASSPHRASE = 'bastion passphrase'

test.beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'raftdeck-e2e-ssh-'))
  pki = makePki(path.join(tmp, 'pki'))
  etcd = await startEtcdCluster({ pki, size: 1 })
  await etcd.etcdctl(['put', '/behind-bastion/db-password-ref', 'vault:kv/db'])
  key = makeSshKey(path.join(tmp, 'keys'), 'id_ed25519', { passphrase: PASSPHRASE })
  sshd = await startSshd(path.join(tmp, 'sshd'), { authorizedKeys: [key.publicLine] })
})

test.afterAll(async () => {
  await sshd?.stop()
  await etcd?.stop()
  rmSync(tmp, { recursive: true, force: true })
})

test('add a connection through an SSH tunnel, confirm the host key, test it, and browse keys', async ({ app }) => {
  const name = `bastion-${test.info().project.name}-${Date.now()}`
  const conns = new ConnectionsPage(app.page)
  await conns.openNew()
  await conns.fill({ name, endpoints: etcd.endpoints, caFile: pki.ca, certFile: pki.clientCert, keyFile: pki.clientKey })
  await conns.fillSshHop(0, { user: sshd.user, host: sshd.host, port: sshd.port, keyFile: key.privateKey, passphrase: PASSPHRASE })
  await expect(conns.dialog.getByTestId('ssh-hop-0-hostkey-none')).toBeVisible()
  await app.screenshot('ssh-tunnel-section')

  // First use: the doctor stops at the host key and asks, showing the server's real fingerprint.
  await conns.dialog.getByTestId('conn-test').click()
  await expect(conns.hostKeyPrompt).toBeVisible()
  await expect(conns.hostKeyPrompt.getByTestId('hostkey-fingerprint')).toHaveText(sshd.hostKey.fingerprint)
  await app.screenshot('ssh-hostkey-prompt')
  await conns.hostKeyPrompt.getByTestId('hostkey-trust').click()

  const report = conns.dialog.getByTestId('doctor-report')
  await expect(report.getByTestId('tunnel-verdict')).toContainText('SSH tunnel up')
  await expect(report.getByTestId('verdict-ok')).toHaveCount(1)
  await expect(conns.dialog.getByTestId('ssh-hop-0-hostkey')).toContainText(sshd.hostKey.fingerprint)
  await expect(conns.dialog.getByTestId('cert-server-status')).toContainText('d left')
  await app.screenshot('ssh-doctor-ok')
  await conns.save()
  await expect(conns.item(name)).toContainText(`via ${sshd.host}`)

  await app.open('keys')
  const keys = new KeysPage(app.page)
  await keys.expand('/behind-bastion/')
  await keys.openKey('/behind-bastion/db-password-ref')
  await expect(keys.editor).toContainText('vault:kv/db')
  await app.screenshot('ssh-keys')
})

test('a wrong passphrase is one clear message in the dialog, and no endpoint is tried', async ({ app }) => {
  const conns = new ConnectionsPage(app.page)
  await conns.openNew()
  await conns.fill({ name: `wrong-pass-${Date.now()}`, endpoints: etcd.endpoints, caFile: pki.ca, certFile: pki.clientCert, keyFile: pki.clientKey })
  await conns.fillSshHop(0, { user: sshd.user, host: sshd.host, port: sshd.port, keyFile: key.privateKey, passphrase: 'not it' })
  const report = await conns.test()
  await expect(report.getByTestId('tunnel-problem')).toHaveText('ssh-key-passphrase-wrong')
  await expect(report.getByTestId('tunnel-message')).toHaveText(`The passphrase does not open the SSH key ${key.privateKey}.`)
  await expect(report.locator('[data-testid^="verdict-"]')).toHaveCount(0)
  await app.screenshot('ssh-wrong-passphrase')
})
