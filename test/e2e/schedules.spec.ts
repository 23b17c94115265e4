// A user schedules backups of a playground: creates a schedule with a preset, runs it now, sees the
// run in the history and the file in the catalogue (verified, restored on trial), previews a retention
// policy before saving it, and sees the freshness badge in the cluster header.
import { test, expect } from './fixtures'
import { BackupsPage } from './pages/BackupsPage'
import { PlaygroundPage } from './pages/PlaygroundPage'

test('create a schedule, run it now, see it in the history, preview retention', async ({ app }, info) => {
  test.setTimeout(180_000)
  const pg = new PlaygroundPage(app.page)
  const cluster = `sched-${info.project.name}`
  await pg.create(cluster, 3)
  await pg.leader()
  await expect(app.page.getByTestId('backup-badge')).toHaveText('No backup schedule')

  await app.open('backups')
  const b = new BackupsPage(app.page)
  const name = `six-hourly-${info.project.name}`
  await b.createSchedule(name, `${cluster} (playground)`, 'Every 6 hours')
  await expect(b.dialog.getByTestId('cron-preview')).toContainText('every 6 hours')
  await expect(b.dialog.getByTestId('cron-preview')).toContainText('Next runs')
  await app.screenshot('schedule-dialog')
  await b.dialog.getByTestId('schedule-save').click()
  await expect(b.dialog).toBeHidden()
  await expect(b.schedule(name)).toContainText('never run')

  await b.runNow(name)
  await expect(b.history.filter({ hasText: name })).toHaveCount(1, { timeout: 60_000 })
  await expect(b.history.first()).toContainText('ok')
  await expect(b.history.first()).toContainText('manual')
  await expect(b.files).toHaveCount(1)
  await expect(b.files.first()).toContainText('restorable')
  await expect(b.schedule(name).getByTestId('schedule-freshness')).toContainText('last good backup')
  await b.runNow(name)
  await expect(b.history.filter({ hasText: name })).toHaveCount(2, { timeout: 60_000 })
  await expect(b.files).toHaveCount(2)

  // Retention: the preview says which file goes before anything is saved.
  await b.schedule(name).getByRole('button', { name: 'Edit' }).click()
  await b.dialog.getByTestId('keep-last').locator('input').fill('1')
  await b.dialog.getByTestId('preview-retention').click()
  const preview = b.dialog.getByTestId('retention-preview')
  await expect(preview).toContainText('1 of 2 backups would be deleted')
  await expect(preview.getByTestId('retention-keep')).toHaveCount(1)
  await expect(preview.getByTestId('retention-delete')).toHaveCount(1)
  await app.screenshot('retention-preview')
  await b.dialog.getByTestId('schedule-save').click()
  await expect(b.dialog).toBeHidden()
  // Saving deletes nothing: retention runs after the next verified run.
  await expect(b.files).toHaveCount(2)
  await b.runNow(name)
  await expect(b.history.filter({ hasText: name })).toHaveCount(3, { timeout: 60_000 })
  await expect(b.files).toHaveCount(1)
  await expect(b.history.first()).toContainText('retention deleted 2')
  await app.screenshot('backups-area')

  // Deleting a backup by hand asks first (it cannot be undone); declining keeps it.
  await b.files.first().getByTestId('file-delete').click()
  const confirm = app.page.getByRole('dialog').filter({ hasText: 'Delete this backup?' })
  await expect(confirm).toContainText('cannot be undone')
  await confirm.getByRole('button', { name: 'Cancel' }).click()
  await expect(b.files).toHaveCount(1)
  await b.files.first().getByTestId('file-delete').click()
  await confirm.getByRole('button', { name: 'Yes, go ahead' }).click()
  await expect(b.files).toHaveCount(0)
  await expect(b.history.first()).toContainText('ok')

  await app.open('cluster')
  await expect(app.page.getByTestId('backup-badge')).toHaveText('Backed up')
  await expect(app.page.getByTestId('backup-badge')).toHaveAttribute('data-state', 'fresh')
  await app.screenshot('cluster-badge')
})
