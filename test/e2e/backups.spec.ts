// A user snapshots a playground from the Backups area and restores it, through the guided restore,
// into a new playground that serves the same data as one cluster.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { test, expect } from './fixtures'
import { PlaygroundPage } from './pages/PlaygroundPage'
import { RestorePage } from './pages/RestorePage'

const run = promisify(execFile)

test('save a snapshot of a playground and restore it into a new playground', async ({ app }, info) => {
  test.setTimeout(180_000)
  const pg = new PlaygroundPage(app.page)
  await pg.create(`bk-${info.project.name}`, 3)
  await pg.leader()
  const endpoints = await app.page.getByTestId('pg-endpoints').locator('input').inputValue()
  for (let i = 0; i < 20; i++) await run('etcdctl', [`--endpoints=${endpoints}`, 'put', `/orders/${i}`, `order ${i}`])

  await app.open('backups')
  await app.page.getByTestId('backup-now').click()
  // This playground's row: the list holds every one-off snapshot, other specs' too.
  const list = app.page.getByTestId('backup-list').locator('tr', { hasText: `bk-${info.project.name}` })
  await expect(list.getByText('verified')).toHaveCount(1, { timeout: 30_000 })
  await app.screenshot('backups-saved')
  await list.getByRole('button', { name: 'Restore…' }).click()

  await expect(app.page).toHaveURL(/#\/restore\?snapshot=/)
  // The guided restore of a cluster opens with the snapshot verified; this user wants a new playground.
  await expect(app.page.getByTestId('restore-status')).toContainText('Revision')
  await new RestorePage(app.page).tab('Into a new playground')
  const pgRestore = app.page.getByTestId('pg-restore-view')
  await expect(pgRestore.getByTestId('pg-restore-file').locator('input')).toHaveValue(new RegExp(`bk-${info.project.name}`))
  await expect(pgRestore.getByTestId('restore-status')).toContainText('Revision')
  await app.page.getByTestId('restore-name').locator('input').fill(`copy-${info.project.name}`)
  await app.screenshot('restore-ready')
  await app.page.getByTestId('restore-go').click()
  await expect(app.page.getByTestId('restore-done')).toBeVisible({ timeout: 60_000 })
  await app.screenshot('restore-done')

  await app.open('cluster')
  await expect(app.page.getByTestId('playground-view').locator('h1')).toHaveText(`copy-${info.project.name}`)
  await pg.leader()
  const restored = await app.page.getByTestId('pg-endpoints').locator('input').inputValue()
  expect(restored).not.toBe(endpoints)
  const got = await run('etcdctl', [`--endpoints=${restored}`, 'get', '/orders/', '--prefix', '--print-value-only'])
  expect(got.stdout.trim().split('\n')).toHaveLength(20)
  const members = await run('etcdctl', [`--endpoints=${restored}`, 'member', 'list'])
  expect(members.stdout.trim().split('\n')).toHaveLength(3)
})
