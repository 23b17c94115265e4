// The services' own sentences in Simplified Chinese: a playground error (a name that exists), a backup
// schedule whose destination check fails (the run's failure reason and what to do, in the history, the
// schedule's last result and the failed-backup alert), and why a run took its snapshot from a member
// (with a killed member skipped). The services record them in English (manifest, CLI) and send the key
// beside it; the UI shows them in its language.
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test, expect, resetRemembered, withCleanup } from './fixtures'
import { BackupsPage } from './pages/BackupsPage'
import { PlaygroundPage } from './pages/PlaygroundPage'
import { chooseLanguage, untranslated } from './zhText'

test('service messages in zh-CN: a playground error, a failed destination check, why this member', async ({ app }, info) => {
  // About a minute on a quiet machine; the shared 2-core machine can be many times slower.
  test.setTimeout(300_000)
  const page = app.page
  const name = `zhsvc-${info.project.name}`
  const bad = `zhsvc-nfs-${info.project.name}`
  const good = `zhsvc-ok-${info.project.name}`
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'raftdeck-zhsvc-'))
  const missing = path.join(tmp, 'unmounted-nfs')
  await withCleanup(async () => {
    await chooseLanguage(page, '简体中文')
    await expect(page.getByTestId('area-cluster')).toHaveText('集群')
    const pg = new PlaygroundPage(page)
    await pg.create(name, 3)
    const leader = await pg.leader()

    // A second playground with the same name: the services' Conflict error, and its hint, in Chinese.
    await page.getByTestId('pg-new').click()
    const dialog = page.getByTestId('playground-dialog')
    await dialog.getByTestId('pg-name').locator('input').fill(name)
    await dialog.getByTestId('pg-create').click()
    const pgError = dialog.getByTestId('pg-error')
    await expect(pgError).toHaveText(`已有名为“${name}”的 playground。请换一个名称。`)
    expect(await untranslated(pgError, [name])).toEqual([])
    await app.screenshot('zh-CN-svc-playground-error')
    await page.keyboard.press('Escape')
    await expect(dialog).toBeHidden()

    // A follower killed: the run skips it, and says so in why it picked the member it did.
    const [follower] = (await pg.followers()).filter((f) => f !== leader)
    await page.getByTestId(`kill-${follower}`).click()
    await expect(pg.member(follower!).getByTestId('member-process')).toHaveText('已杀掉')

    await app.open('backups')
    const b = new BackupsPage(page)

    // A schedule whose destination is a folder that does not exist (an NFS share not mounted).
    await b.createSchedule(bad, `${name}（本地 playground）`, '每 6 小时')
    await b.dialog.getByTestId('schedule-destination').locator('input').fill(missing)
    await b.dialog.getByTestId('schedule-save').click()
    await expect(b.dialog).toBeHidden({ timeout: 30_000 })
    await b.runNow(bad)
    const failedRow = b.history.filter({ hasText: bad })
    await expect(failedRow).toHaveCount(1, { timeout: 60_000 })
    await expect(failedRow).toContainText('失败')
    await expect(failedRow).toContainText(`目标目录 ${missing} 不存在。`)
    expect(await untranslated(failedRow, [bad]), 'failed run row').toEqual([])
    // The failed-backup alert carries the reason and what to do.
    const alert = page.getByTestId('backup-alerts').locator('.n-alert', { hasText: bad })
    await expect(alert).toContainText(`目标目录 ${missing} 不存在。`)
    await expect(alert).toContainText('请先创建它（或挂载它所在的共享存储）再重新运行')
    expect(await untranslated(alert, [bad]), 'alert').toEqual([])
    // The schedule's last result, on hover.
    await b.schedule(bad).locator('.n-tag').first().hover()
    const lastTip = page.locator('.n-tooltip', { hasText: '不存在' })
    await expect(lastTip).toContainText('Raftdeck 不会自动创建自定义的目标目录')
    expect(await untranslated(lastTip, []), 'last result tooltip').toEqual([])
    await app.screenshot('zh-CN-svc-destination')
    await page.mouse.move(0, 0)
    await expect(lastTip).toBeHidden()

    // A schedule that succeeds: why this member, with the killed one skipped.
    await b.createSchedule(good, `${name}（本地 playground）`, '每 6 小时')
    // No trial restore: this spec is about the words, and each trial starts a member.
    await b.dialog.getByTestId('schedule-trial').click()
    await b.dialog.getByTestId('schedule-save').click()
    await expect(b.dialog).toBeHidden({ timeout: 30_000 })
    await b.runNow(good)
    const okRow = b.history.filter({ hasText: good })
    await expect(okRow).toHaveCount(1, { timeout: 60_000 })
    await expect(okRow).toContainText('成功')
    const picked = (await okRow.locator('td').nth(4).innerText()).trim()
    expect(picked).not.toBe(follower)
    await okRow.locator('td').nth(4).locator('span').first().hover()
    const why = page.locator('.n-tooltip', { hasText: '有响应、能看到 leader 且没有告警' })
    await expect(why).toContainText(`${picked} 有响应、能看到 leader 且没有告警；它的 applied index 为`)
    await expect(why).toContainText('已跳过：')
    await expect(why).toContainText('无响应（')
    expect(await untranslated(why, []), 'why this member').toEqual([])
    await app.screenshot('zh-CN-svc-why-member')
    await page.mouse.move(0, 0)

    // A second backup, then retention's preview: which rule keeps a file and why the other goes.
    await b.runNow(good)
    await expect(okRow).toHaveCount(2, { timeout: 60_000 })
    await b.schedule(good).getByRole('button', { name: '编辑' }).click()
    await b.dialog.getByTestId('keep-last').locator('input').fill('1')
    await b.dialog.getByTestId('preview-retention').click()
    const preview = b.dialog.getByTestId('retention-preview')
    await expect(preview.getByTestId('retention-keep')).toContainText('最近 1 个（第 1 个）')
    await expect(preview.getByTestId('retention-delete')).toContainText('没有任何规则保留它')
    for (const reasons of await preview.locator('.ret-row .muted').all()) expect(await untranslated(reasons, []), 'retention reasons').toEqual([])
    await app.screenshot('zh-CN-svc-retention')
    await page.keyboard.press('Escape')
    await expect(b.dialog).toBeHidden()

    // Remove both schedules again (their backups stay in the data folder, as a user's would).
    for (const s of [bad, good]) {
      await b.schedule(s).getByRole('button', { name: '删除' }).click()
      await page.locator('.n-dialog', { hasText: s }).locator('.n-dialog__action .n-button').last().click()
      await expect(b.schedule(s)).toHaveCount(0)
    }
  }, async () => {
    await resetRemembered()
    rmSync(tmp, { recursive: true, force: true })
  })
})
