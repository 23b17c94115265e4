// The Restore area in Simplified Chinese, on real data: a playground is snapshotted from the Backups area
// and saved as a connection, then the guided restore reads its members, checks the snapshot, compares it
// with the live playground, makes the plan (its steps, notes and service-definition notes come from the
// services as message keys), rehearses it on Raftdeck members and verifies the playground against the
// plan (which fails: the playground is not the restored cluster, so the failed checks show their cause
// and fix). The procedure linter reads the kubeasz-style playbook, the playground restore restores the
// snapshot into a new playground, and the snapshot opened in the key editor shows in the sidebar. Every
// part shows no untranslated English; screenshots of each.
//
// Words allowed as they are: etcd's terms (zhText.ts KEPT), names, numbers, paths, the flags and
// commands an operator types (--initial-cluster-token, systemctl…) and the words Chinese etcd operators
// write in English (URL, ID, token, Kubernetes, systemd, kubeadm, WAL…).
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import type { Locator, Page } from '@playwright/test'
import { test, expect, resetRemembered, withCleanup } from './fixtures'
import { REPO_ROOT } from './env'
import { ConnectionsPage } from './pages/ConnectionsPage'
import { PlaygroundPage } from './pages/PlaygroundPage'
import { RestorePage } from './pages/RestorePage'
import { chooseLanguage, latinWords as words, untranslated } from './zhText'

const run = promisify(execFile)

/** Terms Chinese etcd operators write in English, and the words of the commands and files they type (systemctl start, mv … .pre-restore-<日期>). */
const TERMS = `URL URLs ID IDs token Kubernetes systemd kubeadm Pod WAL API server watch informer list shell Ansible playbook etcdutl
  EnvironmentFile ETCD_WAL_DIR systemctl Type notify no-block kube-controller-manager kube-scheduler kubelet kube-apiserver hostPath
  peer bucket mod sha256 restore-NAME.sh sudo sh tar compact defrag NOSPACE CORRUPT inventory_hostname
  start save restore mv pre-restore etcd-restore member data-dir exists name etcd-server etcd-client Debian localhost etcd.service run
  default etcd-cluster`.split(/\s+/)

/** The Latin words of an element that are neither etcd terms, operators' words, flags, names nor numbers. */
async function english(el: Locator, names: string[] = []): Promise<string[]> {
  const text = await el.innerText()
  const flags = [...text.matchAll(/--([a-z][a-z-]*)/g)].map((m) => m[1]!)
  return untranslated(el, [...TERMS, ...flags, ...names])
}

/** Opens a tab of the Restore area by its (Chinese) label. */
const tab = (page: Page, label: string) => page.locator('.n-tabs-tab', { hasText: label }).click()

/** The procedure linter's rule names, shown as codes. */
const RULES = 'restore-copied missing-flag duplicate-name same-identity reused-token token-mismatch target-not-empty deletes-old-data no-bump bump-flags skip-hash-check removed-command advertise-not-in-cluster no-restore'.split(' ')

test('the Restore area in zh-CN: wizard on a real playground, linter, playground restore, snapshot files', async ({ app }, info) => {
  test.skip(info.project.name !== 'browser', 'one run is enough: the desktop shell shows the same renderer')
  test.setTimeout(300_000)
  const page = app.page
  const name = `zhr-${info.project.name}`
  const conn = `zhr-conn-${info.project.name}`
  const copy = `zhr-copy-${info.project.name}`
  const r = new RestorePage(page)
  // Playgrounds this test makes, for the clean-up (a rehearsal's name is known only once it runs).
  const made = [copy, name]
  const pg = new PlaygroundPage(page)
  await withCleanup(async () => {
    await chooseLanguage(page, '简体中文')
    await expect(page.getByTestId('area-cluster')).toHaveText('集群')

    // A playground with some data, snapshotted from the Backups area.
    await pg.create(name, 3)
    await pg.leader()
    const endpoints = await page.getByTestId('pg-endpoints').locator('input').inputValue()
    for (let i = 0; i < 12; i++) await run('etcdctl', [`--endpoints=${endpoints}`, 'put', `/orders/${i}`, `order ${i}`])
    await app.open('backups')
    // This playground's rows: the list also holds other specs' one-off snapshots, and those of an
    // earlier run of this spec on the same server (--repeat-each), which outlive its playground.
    const list = page.getByTestId('backup-list').locator('tr', { hasText: name })
    const before = await list.getByText('已校验').count()
    await page.getByTestId('backup-now').click()
    await expect(list.getByText('已校验')).toHaveCount(before + 1, { timeout: 30_000 })
    // Writes after the snapshot: what the impact preview will show.
    for (let i = 12; i < 15; i++) await run('etcdctl', [`--endpoints=${endpoints}`, 'put', `/orders/${i}`, 'later'])
    await run('etcdctl', [`--endpoints=${endpoints}`, 'del', '/orders/0'])
    // The newest row (the list is newest first): this run's snapshot.
    await list.first().getByRole('button', { name: '恢复…' }).click()
    await expect(page).toHaveURL(/#\/restore\?snapshot=/)

    // ---- the tabs, the steps and the snapshot step with the verified file ----
    const wizard = r.wizard
    await expect(page.getByTestId('restore-verified')).toContainText('已校验')
    await expect(page.locator('.n-tabs-tab', { hasText: '恢复集群' })).toBeVisible()
    const snapshotFile = await page.getByTestId('restore-file').locator('input').inputValue()
    const fileWords = [path.basename(snapshotFile), ...words(path.basename(snapshotFile))]
    for (const part of [page.locator('.n-tabs-nav'), wizard.locator('.n-steps'), r.step('snapshot').locator('.n-card-header'), page.getByTestId('restore-status'), page.getByTestId('restore-verified')]) {
      expect(await english(part), await part.innerText()).toEqual([])
    }
    // The catalogue's headings (its rows carry other specs' cluster names and files).
    expect(await english(page.getByTestId('restore-catalogue').locator('thead'))).toEqual([])
    expect(await english(page.getByTestId('restore-snapshot').locator('h3'))).toEqual([])
    // The next step waits for a complete target, and says so.
    await expect(page.getByTestId('wizard-blocked')).toContainText('请先填写目标')
    await app.screenshot('zh-CN-restore-snapshot')

    // ---- the target, read from a saved connection to the playground; a bad field in Chinese ----
    const conns = new ConnectionsPage(page)
    await conns.openNew()
    await conns.fill({ name: conn, endpoints: endpoints.split(',') })
    await conns.save()
    await app.open('restore')
    await page.getByTestId('wizard-step-target').click()
    await page.getByTestId('target-from-connection').click()
    await r.chooseConnection(conn)
    await expect(page.getByTestId('target-found')).toContainText('3 个成员')
    await r.setField(0, 'member-datadir', 'data')
    await expect(r.row(0)).toContainText('数据目录必须是绝对路径')
    const target = page.getByTestId('restore-target')
    expect(await english(target, [conn])).toEqual([])
    expect(await english(wizard.locator('.n-card-header'))).toEqual([])
    await app.screenshot('zh-CN-restore-target')
    await r.setField(0, 'member-datadir', '/var/lib/etcd')
    await expect(r.row(0).locator('.field-error')).toHaveCount(0)

    // ---- what the restore undoes on the live playground ----
    await r.next('snapshot')
    await r.next('impact')
    await expect(page.getByTestId('impact-added')).toHaveText('3')
    await expect(page.getByTestId('impact-deleted')).toHaveText('1')
    expect(await english(page.getByTestId('restore-impact'))).toEqual([])
    await app.screenshot('zh-CN-restore-impact')

    // ---- the plan: options, identity, notes, each member's steps and service notes ----
    await r.next('plan')
    await page.getByTestId('plan-make').click()
    await expect(page.getByTestId('plan-ids')).toBeVisible({ timeout: 30_000 })
    const planView = page.getByTestId('restore-plan')
    // Every member's URLs are on loopback: the plan says so, in Chinese.
    await expect(page.getByTestId('plan-note').filter({ hasText: '所有 peer URL 都在回环地址上' })).toHaveCount(1)
    const memberNames = await page.getByTestId('plan-ids').locator('tbody tr td:first-child').allInnerTexts()
    // What the plan shows as <code> is data: IDs, the token, paths, file names.
    const planData = (await planView.locator('code').allInnerTexts()).flatMap(words)
    for (const part of [planView.locator('.n-card').first(), page.getByTestId('plan-ids'), planView.locator('.step-head'), planView.locator('.why'), planView.locator('[data-testid^="plan-service-"]'), planView.locator('h4'), page.getByTestId('plan-files').locator('.n-card-header__main'), page.getByTestId('plan-files').locator('p.muted')]) {
      for (const el of await part.all()) expect(await english(el, [...memberNames, ...fileWords, ...planData]), await el.innerText()).toEqual([])
    }
    await app.screenshot('zh-CN-restore-plan')

    // ---- the rehearsal on Raftdeck members: the checks of the plan pass, in Chinese ----
    await r.next('rehearse')
    await page.getByTestId('rehearse-engine-raftdeck').click()
    await page.getByTestId('rehearse-plan').click()
    await expect(page.getByTestId('rehearsal-plan-checks-verdict')).toHaveText('所有检查均已通过', { timeout: 120_000 })
    const rehearsal = page.getByTestId('rehearsal-plan')
    await rehearsal.locator('.n-collapse-item__header').click()
    await expect(rehearsal.locator('.run').first()).toBeVisible()
    const rehearsalItems = await page.locator('[data-testid^="pg-item-rehearsal"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')!.replace(/^pg-item-/, '')))
    made.push(...rehearsalItems)
    const rehearsalNames = (await page.locator('[data-testid^="pg-item-rehearsal"]').allInnerTexts()).flatMap((n) => n.split(/\s+/))
    for (const part of [page.getByTestId('restore-rehearse').locator(':scope > .n-space'), page.getByTestId('restore-rehearse').locator(':scope > p'), rehearsal.locator('.n-card-header'), page.getByTestId('rehearsal-plan-checks'), rehearsal.locator('.run > div'), rehearsal.locator('.n-collapse p')]) {
      for (const el of await part.all()) expect(await english(el, [...memberNames, ...rehearsalNames]), await el.innerText()).toEqual([])
    }
    await app.screenshot('zh-CN-restore-rehearse')
    await rehearsal.getByRole('button', { name: '删除' }).click()
    await expect(rehearsal).toHaveCount(0)

    // ---- verify the playground against the plan: it is not the restored cluster, so checks fail with cause and fix ----
    await r.next('verify')
    await page.getByTestId('verify-run').click()
    await expect(page.getByTestId('verify-checks-verdict')).toContainText('项检查未通过', { timeout: 60_000 })
    await expect(page.getByTestId('verify-checks-cluster-id')).toContainText('计划预期的是')
    const verify = page.getByTestId('restore-verify')
    for (const part of [verify.locator(':scope > p'), verify.locator('.n-alert'), verify.locator('.check .body'), page.getByTestId('verify-checks-verdict')]) {
      for (const el of await part.all()) expect(await english(el, memberNames), await el.innerText()).toEqual([])
    }
    await app.screenshot('zh-CN-restore-verify')

    // ---- the procedure linter on a kubeasz-style playbook ----
    await tab(page, '检查恢复流程')
    const playbook = readFileSync(path.join(REPO_ROOT, 'test/fixtures/restore/kubeasz-style-restore.yml'), 'utf8')
    // The playbook's own words come back quoted in the findings: the user's text, not ours.
    const playbookWords = words(playbook)
    await page.getByTestId('lint-text').locator('textarea').fill(playbook)
    await page.getByTestId('lint-run').click()
    await expect(page.getByTestId('lint-restore-copied')).toContainText('被复制到了其他成员')
    await expect(page.getByTestId('lint-findings')).toContainText('个错误')
    const lint = page.getByTestId('restore-lint')
    // The findings' own words (not the excerpts of the playbook, which are the user's YAML).
    for (const part of [lint.locator(':scope > p'), lint.locator(':scope > .n-space'), lint.locator('.summary'), lint.locator('.finding .head'), lint.locator('.finding .msg'), lint.locator('.finding .fix')]) {
      for (const el of await part.all()) expect(await english(el, [...RULES, ...playbookWords]), await el.innerText()).toEqual([])
    }
    await app.screenshot('zh-CN-restore-lint')

    // ---- the playground restore: the snapshot checked, restored into a new playground ----
    await tab(page, '恢复到新 playground')
    const pgRestore = page.getByTestId('pg-restore-view')
    await pgRestore.getByTestId('pg-restore-file').locator('input').fill(snapshotFile)
    await pgRestore.getByTestId('pg-restore-inspect').click()
    await expect(pgRestore.getByTestId('restore-status')).toBeVisible()
    await page.getByTestId('restore-name').locator('input').fill(copy)
    expect(await english(pgRestore, [...fileWords, copy])).toEqual([])
    await app.screenshot('zh-CN-restore-playground')
    await page.getByTestId('restore-go').click()
    await expect(page.getByTestId('restore-done')).toContainText('已用快照启动', { timeout: 60_000 })
    expect(await english(page.getByTestId('restore-done'), [copy])).toEqual([])
    await app.screenshot('zh-CN-restore-playground-done')

    // ---- the snapshot opened read-only in the key editor: the sidebar's snapshot files ----
    await tab(page, '恢复集群')
    await page.getByTestId('wizard-step-snapshot').click()
    await page.getByTestId('restore-open-keys').click()
    await expect(page).toHaveURL(/#\/keys$/)
    const snapshots = page.getByTestId('sidebar-snapshots')
    await expect(snapshots).toContainText('只读')
    // Other specs' open snapshot files are listed too: their file names are data, not words.
    const openFiles = (await snapshots.innerText()).match(/[\w.-]+\.db\b/g) ?? []
    expect(await english(snapshots, [...fileWords, ...openFiles, ...openFiles.flatMap(words)])).toEqual([])
    await app.screenshot('zh-CN-restore-snapshot-files')
    await snapshots.getByRole('button', { name: '关闭此快照' }).first().click()
  }, async () => {
    // Back to English, then remove what this test made.
    await chooseLanguage(page, 'English').catch(() => undefined)
    await resetRemembered()
    for (const n of made) {
      if ((await page.getByTestId(`pg-item-${n}`).count()) === 0) continue
      await r.deletePlayground(n).catch(() => undefined)
    }
    if ((await page.getByTestId(`conn-item-${conn}`).count()) > 0) {
      await page.getByTestId(`conn-actions-${conn}`).click()
      await page.getByText('Delete…', { exact: true }).click()
      await page.locator('.n-dialog').getByRole('button', { name: 'Delete' }).click()
    }
  })
})
