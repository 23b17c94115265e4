// The status a user reads is the truth, and the same everywhere: a 3-member playground is healthy, degraded
// when one member is killed, down when a second one is (no quorum), and stopped when it is stopped — in the
// sidebar, in the playground's header and in the status bar alike.
import type { Locator } from '@playwright/test'
import { test, expect } from './fixtures'
import { PlaygroundPage } from './pages/PlaygroundPage'

test('status follows the members as they are killed, identically in sidebar, header and status bar', async ({ app }, info) => {
  test.setTimeout(150_000)
  const pg = new PlaygroundPage(app.page)
  const name = `health-${info.project.name}`
  await pg.create(name, 3)
  const leader = await pg.leader()
  const [follower] = (await pg.followers()).filter((f) => f !== leader)

  const surfaces: Locator[] = [app.page.getByTestId(`pg-health-${name}`), app.page.getByTestId('pg-health'), app.page.getByTestId('status-health')]
  const allSay = async (health: string) => {
    for (const s of surfaces) await expect(s).toHaveAttribute('data-health', health, { timeout: 30_000 })
  }

  await allSay('healthy')
  await expect(app.page.getByTestId('status-health')).toHaveText('healthy')
  await expect(app.page.getByTestId(`pg-state-${name}`)).toHaveText('healthy')

  // One of three killed: the quorum of two holds.
  await app.page.getByTestId(`kill-${follower}`).click()
  await expect(pg.member(follower!).getByTestId('member-process')).toContainText('killed')
  await allSay('degraded')
  await expect(app.page.getByTestId('pg-health')).toHaveText('degraded')
  await app.screenshot('health-degraded')

  // Two of three killed: no quorum, whatever the last leader still believes.
  await app.page.getByTestId(`kill-${leader}`).click()
  await expect(pg.member(leader).getByTestId('member-process')).toContainText('killed')
  await allSay('down')
  await expect(app.page.getByTestId(`pg-state-${name}`)).toHaveText('down')
  await app.screenshot('health-down')

  // Bring one back: the quorum returns and a leader is elected.
  await app.page.getByTestId(`start-${follower}`).click()
  await allSay('degraded')

  await app.page.getByTestId('pg-stop').click()
  await allSay('stopped')
  await expect(app.page.getByTestId(`pg-state-${name}`)).toHaveText('stopped')
})
