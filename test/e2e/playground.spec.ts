// A user creates a local playground, sees one leader, kills it, watches the election, cuts a follower
// off and heals it, and uses the copied endpoints with etcdctl.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { test, expect } from './fixtures'
import { PlaygroundPage } from './pages/PlaygroundPage'

const run = promisify(execFile)

test('create a playground, kill the leader, isolate and heal a follower, use the endpoints', async ({ app, context }, info) => {
  test.setTimeout(180_000)
  const pg = new PlaygroundPage(app.page)
  const name = `pg-${info.project.name}`
  await pg.create(name, 3)
  const first = await pg.leader()
  await expect(app.page.getByTestId('pg-leader')).toContainText(`Leader: ${first}`)
  await expect(app.page.getByTestId(`token-${first}`)).toBeVisible()
  await app.screenshot('playground-one-leader')

  // Kill the leader: a new one is elected at a higher term, and the log says who.
  const termBefore = Number(await pg.member(first).getByTestId('member-term').textContent())
  const killedAt = Date.now()
  await app.page.getByTestId(`kill-${first}`).click()
  await expect(pg.member(first).getByTestId('member-process')).toContainText('killed')
  await expect(app.page.getByTestId('pg-leader')).not.toContainText(`Leader: ${first}`, { timeout: 30_000 })
  const second = await pg.leader()
  info.annotations.push({ type: 'measure', description: `kill → new leader shown in the UI: ${Date.now() - killedAt} ms` })
  expect(second).not.toBe(first)
  expect(Number(await pg.member(second).getByTestId('member-term').textContent())).toBeGreaterThan(termBefore)
  const log = app.page.getByTestId('event-log')
  await expect(log).toContainText(`${second} won the election`)
  await expect(log).toContainText(`${first} is killed`)
  await app.screenshot('playground-after-kill')

  // Bring the old leader back; it rejoins as a follower.
  await app.page.getByTestId(`start-${first}`).click()
  await expect(pg.member(first).getByTestId('member-role')).toHaveText('follower', { timeout: 30_000 })

  // Cut a follower off: it pre-campaigns but cannot raise the term (PreVote); the leader stays.
  const [follower] = (await pg.followers()).filter((f) => f !== second)
  const term = await pg.member(second).getByTestId('member-term').textContent()
  await pg.cutLinks(follower!, 'Cut from all peers (both ways)')
  await expect(pg.member(follower!).getByTestId('member-cut')).toBeVisible()
  await expect(pg.member(follower!).getByTestId('member-role')).toHaveText('pre-candidate', { timeout: 30_000 })
  await app.screenshot('playground-isolated')
  await expect(pg.member(follower!).getByTestId('member-term')).toHaveText(term!)
  await expect(app.page.getByTestId('pg-leader')).toContainText(`Leader: ${second} · term ${term}`)

  await app.page.getByTestId(`heal-${follower}`).click()
  await expect(pg.member(follower!).getByTestId('member-cut')).toBeHidden()
  await expect(pg.member(follower!).getByTestId('member-role')).toHaveText('follower', { timeout: 30_000 })
  await expect(pg.member(follower!).getByTestId('member-commit')).toHaveText((await pg.member(second).getByTestId('member-commit').textContent())!, { timeout: 30_000 })

  // Copy the endpoints and use them with etcdctl, as a user would in a terminal.
  let endpoints: string
  if (info.project.name === 'browser') {
    await context.grantPermissions(['clipboard-read', 'clipboard-write'])
    await app.page.getByTestId('copy-endpoints').click()
    endpoints = await app.page.evaluate(() => navigator.clipboard.readText())
  } else endpoints = await app.page.getByTestId('pg-endpoints').locator('input').inputValue()
  expect(endpoints).toMatch(/^127\.0\.0\.1:\d+(,127\.0\.0\.1:\d+){2}$/)
  await run('etcdctl', [`--endpoints=${endpoints}`, 'put', '/e2e/greeting', 'hello from etcdctl'])
  const got = await run('etcdctl', [`--endpoints=${endpoints}`, 'get', '/e2e/greeting', '--print-value-only'])
  expect(got.stdout.trim()).toBe('hello from etcdctl')
  const status = await run('etcdctl', [`--endpoints=${endpoints}`, 'endpoint', 'status', '-w', 'json'])
  expect((JSON.parse(status.stdout) as unknown[]).length).toBe(3)
  await app.screenshot('playground-healed')
})
