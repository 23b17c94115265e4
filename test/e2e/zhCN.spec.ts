// The UI in Simplified Chinese: the language is switched from the sidebar, kept across reloads, and the
// translated parts of the window (the frame — sidebar, area tabs, status bar — and a playground's whole
// Cluster view, with its dialog, member cards, diagrams and event log; the Backups and Activity areas) show no
// untranslated English.
// Words an etcd operator writes as they are (leader, term, revision…) and names and numbers are allowed.
import { test, expect, resetRemembered, withCleanup } from './fixtures'
import { BackupsPage } from './pages/BackupsPage'
import { PlaygroundPage } from './pages/PlaygroundPage'
import { chooseLanguage, untranslated } from './zhText'

test('the frame, the playground, Backups and Activity areas in zh-CN, kept across reloads', async ({ app }, info) => {
  test.setTimeout(150_000)
  const page = app.page
  const name = `zh-${info.project.name}`
  await withCleanup(async () => {
    await chooseLanguage(page, '简体中文')
    await expect(page.getByTestId('area-cluster')).toHaveText('集群')
    await expect(app.linkState).toHaveText('已连接')
    await expect(page.getByTestId('language-menu')).toContainText('简体中文')

    // The new-playground dialog, in Chinese.
    await page.getByTestId('pg-new').click()
    const dialog = page.getByTestId('playground-dialog')
    await expect(dialog).toContainText('新建本地 playground')
    expect(await untranslated(dialog, [])).toEqual([])
    await page.screenshot({ path: `test-results/screenshots/${info.project.name}-zh-CN-new-playground.png` })
    await page.keyboard.press('Escape')
    await expect(dialog).toBeHidden()

    const pg = new PlaygroundPage(page)
    await pg.create(name, 3)
    const leader = await pg.leader()
    // Something in the event log, the diagrams and a killed member's card.
    const [follower] = (await pg.followers()).filter((f) => f !== leader)
    await page.getByTestId(`kill-${follower}`).click()
    await expect(pg.member(follower!).getByTestId('member-process')).toHaveText('已杀掉')
    await expect(page.getByTestId('pg-health')).toHaveText('降级')
    await expect(page.getByTestId('event-log')).toContainText(`${follower} 已杀掉`)

    // The sidebar's playground list and footer (the connection and snapshot-file lists carry hosts, users and
    // file names other specs left there; zhCN.conn and zhCN.restore check their own words).
    for (const part of ['sidebar-playgrounds', 'theme-toggle', 'language-menu', 'area-tabs', 'status-bar', 'playground-view']) {
      expect(await untranslated(page.getByTestId(part), [name]), part).toEqual([])
    }
    await app.screenshot('zh-CN-playground')

    // The Backups area: a schedule of this playground (the dialog, with its cron description, retention
    // preview and checks, then its row), the cards' and tables' headings and the one-off snapshot card.
    // Other specs' rows carry their names, files and the services' failure reasons: not checked here.
    await app.open('backups')
    const b = new BackupsPage(page)
    const sched = `zh-sched-${info.project.name}`
    await page.getByTestId('schedule-new').click()
    await expect(b.dialog).toContainText('新建定时备份')
    await b.dialog.getByTestId('schedule-name').locator('input').fill(sched)
    await b.dialog.getByTestId('schedule-target').click()
    await page.locator('.n-base-select-option', { hasText: `${name}（本地 playground）` }).click()
    await b.dialog.getByRole('button', { name: '每 6 小时' }).click()
    await expect(b.dialog.getByTestId('cron-preview')).toContainText('每隔 6 小时')
    await b.dialog.getByTestId('preview-retention').click()
    await expect(b.dialog.getByTestId('retention-preview')).toContainText('没有要删除的')
    expect(await untranslated(b.dialog, [sched, name])).toEqual([])
    await app.screenshot('zh-CN-schedule-dialog')
    await b.dialog.getByTestId('schedule-save').click()
    await expect(b.dialog).toBeHidden()
    const row = b.schedule(sched)
    await expect(row).toContainText('从未运行')
    await expect(row.getByTestId('schedule-freshness')).toContainText('尚无成功的备份')
    expect(await untranslated(row, [sched, name]), 'schedule row').toEqual([])
    const view = page.getByTestId('backups-view')
    for (const part of [view.locator('.n-card-header'), view.locator('thead'), view.locator('.n-card', { has: page.getByTestId('backup-now') }).locator('p')]) {
      for (const el of await part.all()) expect(await untranslated(el, [name]), await el.innerText()).toEqual([])
    }
    await expect(page.getByTestId('backup-now')).toHaveText(`立即为 ${name} 保存快照`)
    await app.screenshot('zh-CN-backups')
    // Remove the schedule again through the write guard's question (its last button goes ahead).
    await row.getByRole('button', { name: '删除' }).click()
    await page.locator('.n-dialog', { hasText: sched }).locator('.n-dialog__action .n-button').last().click()
    await expect(row).toHaveCount(0)

    // The Activity area: this installation (its paths, version and OS name are facts, not words) and the
    // service log's headings and level filter (the log lines are the services' own, in English).
    await app.open('activity')
    await expect(page.getByTestId('app-info')).toContainText('本机安装')
    expect(await untranslated(page.getByTestId('app-info'), ['serve', process.platform, `${process.platform}-${process.arch}`]), 'app-info').toEqual([])
    const log = page.getByTestId('service-log')
    for (const part of [log.locator('.n-card-header'), log.locator('thead')]) expect(await untranslated(part, [])).toEqual([])
    await expect(page.getByTestId('log-level')).toContainText(/信息及以上|调试|警告和错误|仅错误/)
    await app.screenshot('zh-CN-activity')

    // The choice is kept by the services: a reload comes back in Chinese.
    await page.reload()
    await expect(page.getByTestId('area-cluster')).toHaveText('集群')
    await expect(page.getByTestId('status-bar')).toContainText('浏览器版')
  }, async () => {
    await resetRemembered()
  })
})
