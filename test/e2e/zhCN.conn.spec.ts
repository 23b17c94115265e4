// Connections in Simplified Chinese, against a real TLS etcd cluster started here: the connection dialog
// (TLS, SSH tunnel and kubeadm sections), the doctor's report for a wrong CA (a failing finding, said by
// the services as a message the UI translates) and for the right one, and the connection's Cluster view
// with its members, alarms, consistency check and maintenance cards; then, through a real sshd, the host
// key prompt and the doctor's SSH stage. None shows untranslated English.
// Allowed: etcd terms (zhText.ts), the user's names, and the data shown as it is (endpoints, paths,
// certificate names, member IDs, problem codes in <code>, OpenSSL's error codes).
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Locator } from '@playwright/test'
import { test, expect, resetRemembered, withCleanup } from './fixtures'
import { makePki, type Pki } from '../support/certs'
import { startEtcdCluster, type EtcdCluster } from '../support/etcd'
import { makeSshKey, startSshd, type Sshd, type SshKeyPair } from '../support/sshd'
import { ConnectionsPage } from './pages/ConnectionsPage'
import { chooseLanguage, latinWords as words, untranslated } from './zhText'

let tmp: string
let pki: Pki
let etcd: EtcdCluster
let sshd: Sshd
let key: SshKeyPair

test.beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'raftdeck-e2e-zhconn-'))
  pki = makePki(path.join(tmp, 'pki'))
  etcd = await startEtcdCluster({ pki })
  key = makeSshKey(path.join(tmp, 'keys'), 'id_ed25519')
  sshd = await startSshd(path.join(tmp, 'sshd'), { authorizedKeys: [key.publicLine] })
})

test.afterAll(async () => {
  await sshd?.stop()
  await etcd?.stop()
  rmSync(tmp, { recursive: true, force: true })
})

/**
 * Words written the same in Chinese: protocol and unit names, etcd's own terms that zhText.ts does not
 * list (watch, compaction, its Status call), and the example host of the bastion field.
 */
const TECH = ['SSH', 'CA', 'DNS', 'TCP', 'ms', 'agent', 'kubeadm', 'watch', 'compaction', 'Status', 'bastion.example.com']

/** The test PKI's CA names (makePki), which the doctor quotes as it found them. */
const CA_NAMES = ['raftdeck-test-ca', 'some-other-ca']

/**
 * The words of data shown as it is inside `el`: code spans, certificate subjects and sources, the
 * connection's colour (#2563eb), cut into words as untranslated() cuts them.
 */
async function dataWords(el: Locator): Promise<string[]> {
  const texts = await el.locator('code, .subject, .source, .ep, .problem, .n-color-picker, .fingerprint').allInnerTexts()
  return texts.flatMap(words)
}

/** Untranslated English in `el`, leaving out the data it shows and OpenSSL's codes (UNABLE_TO_GET_ISSUER_CERT…). */
async function english(el: Locator, names: string[]): Promise<string[]> {
  const words = await untranslated(el, [...names, ...TECH, ...(await dataWords(el))])
  return words.filter((w) => !/^[A-Z][A-Z0-9_]+$/.test(w))
}

test('the connection dialog, the doctor and a connection’s Cluster view in zh-CN', async ({ app }, info) => {
  test.setTimeout(150_000)
  const page = app.page
  const name = `zh-conn-${info.project.name}-${Date.now()}`
  const conns = new ConnectionsPage(page)
  await withCleanup(async () => {
    await chooseLanguage(page, '简体中文')
    await expect(page.getByTestId('area-cluster')).toHaveText('集群')

    // The dialog with its TLS, authentication, SSH tunnel and kubeadm sections open.
    await conns.openNew()
    const d = conns.dialog
    await expect(d).toContainText('新建连接')
    await conns.fill({ name, endpoints: [etcd.endpoints[0]!], caFile: pki.otherCa, certFile: pki.clientCert, keyFile: pki.clientKey })
    await d.getByTestId('ssh-section').locator('.n-collapse-item__header').click()
    await expect(d.getByTestId('ssh-add-hop')).toHaveText('通过 SSH 跳板机连接')
    await d.getByTestId('ssh-add-hop').click()
    await expect(d.getByTestId('ssh-hop-0')).toContainText('跳板机')
    await d.getByTestId('kubeadm-section').locator('.n-collapse-item__header').click()
    await expect(d.getByTestId('kubeadm-from-folder')).toContainText('本机上的目录')
    expect(await english(d, [name])).toEqual([])
    await app.screenshot('zh-CN-connection-dialog')
    // No tunnel for this connection: the doctor talks to etcd directly.
    await d.getByTestId('ssh-hop-0-remove').click()
    await expect(d.getByTestId('ssh-hop-0')).toHaveCount(0)

    // A wrong CA: the doctor's failing finding, its fix and its steps in Chinese.
    let report = await conns.test()
    await expect(report.getByTestId('verdict-fail')).toHaveCount(1)
    await expect(report.getByTestId('verdict-problem')).toHaveText('unknown-authority')
    await expect(report.getByTestId('verdict-message')).toContainText('服务器证书由 raftdeck-test-ca 签发，不在你提供的 CA 之中')
    await expect(report).toContainText('处理：')
    expect(await english(report, CA_NAMES)).toEqual([])
    await app.screenshot('zh-CN-doctor-unknown-ca')

    // The right CA and every member: each stage passes, and the certificates the doctor saw are listed
    // with their expiry.
    await conns.fill({ caFile: pki.ca, endpoints: etcd.endpoints })
    report = await conns.test()
    await expect(report.getByTestId('verdict-ok')).toHaveCount(etcd.endpoints.length)
    await expect(report.getByTestId('verdict-message').first()).toContainText(/etcd 3\.4\.\d+ 在 \d+ ms 内响应/)
    await expect(d.getByTestId('cert-server-status')).toHaveCount(etcd.endpoints.length)
    await expect(d.getByTestId('cert-server-status').first()).toContainText(/剩余 \d+ 天/)
    expect(await english(report, CA_NAMES)).toEqual([])
    expect(await english(d.getByTestId('certs-section'), CA_NAMES)).toEqual([])
    await app.screenshot('zh-CN-doctor-ok')
    await conns.save()

    // The connection's Cluster view: members, leader, alarms, consistency, maintenance, charts.
    await app.open('cluster')
    const health = page.getByTestId('cluster-health')
    await expect(health.getByTestId('leader-line')).toContainText('Leader：m')
    await expect(health.getByTestId('members-table').getByText('leader', { exact: true })).toHaveCount(1)
    await expect(health.getByTestId('members-table').getByText('follower', { exact: true })).toHaveCount(2)
    await expect(health.getByTestId('cluster-health-state')).toHaveText('健康')
    await health.getByTestId('check-consistency').click()
    await expect(health.getByTestId('hashkv-result')).toContainText('所有成员在 revision')
    await expect(health.getByTestId('alarms')).toContainText('没有告警。')
    const members = etcd.members.map((m) => m.name)
    expect(await english(health, [name, ...members])).toEqual([])
    await app.screenshot('zh-CN-cluster-health')

    // The refresh interval's options, in Chinese too.
    await health.getByTestId('refresh-interval').click()
    await expect(page.locator('.n-base-select-option', { hasText: '每 5 秒' })).toBeVisible()
    await page.keyboard.press('Escape')
  }, async () => {
    await resetRemembered()
  })
})

test('the SSH host key prompt and the doctor’s SSH stage in zh-CN', async ({ app }, info) => {
  const page = app.page
  const name = `zh-ssh-${info.project.name}-${Date.now()}`
  const conns = new ConnectionsPage(page)
  await withCleanup(async () => {
    await chooseLanguage(page, '简体中文')
    await expect(page.getByTestId('area-cluster')).toHaveText('集群')
    await conns.openNew()
    await conns.fill({ name, endpoints: [etcd.endpoints[0]!], caFile: pki.ca, certFile: pki.clientCert, keyFile: pki.clientKey })
    await conns.fillSshHop(0, { user: sshd.user, host: sshd.host, port: sshd.port, keyFile: key.privateKey })

    // First use of the bastion: the doctor stops at its host key and asks, in Chinese.
    await conns.dialog.getByTestId('conn-test').click()
    const prompt = conns.hostKeyPrompt
    await expect(prompt.getByTestId('hostkey-fingerprint')).toHaveText(sshd.hostKey.fingerprint)
    await expect(prompt).toContainText('确认 SSH 主机密钥')
    expect(await english(prompt, [sshd.host])).toEqual([])
    await app.screenshot('zh-CN-ssh-hostkey-prompt')
    await prompt.getByTestId('hostkey-trust').click()

    // The SSH stage, then the endpoint through the tunnel, each step's note in Chinese.
    const report = conns.dialog.getByTestId('doctor-report')
    await expect(report.getByTestId('tunnel-verdict')).toContainText('SSH 隧道已建立')
    await expect(report.getByTestId('verdict-ok')).toHaveCount(1)
    await expect(conns.dialog.getByTestId('ssh-hop-0-hostkey')).toContainText('已确认')
    // The step notes quote the keys as ssh shows them (algorithm and SHA256 fingerprint): data, not words.
    const keys = [sshd.hostKey, key].flatMap((k) => ['ssh-ed25519', ...words(k.fingerprint)])
    expect(await english(report, [...CA_NAMES, sshd.user, ...keys])).toEqual([])
    await app.screenshot('zh-CN-ssh-doctor')
    await page.keyboard.press('Escape')
  }, async () => {
    await resetRemembered()
  })
})
