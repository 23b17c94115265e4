import { test, expect } from './fixtures'
import { E2E_TOKEN } from './env'
import { ConnectionsPage } from './pages/ConnectionsPage'

test.describe('app frame', () => {
  test('connects to the services and shows where it runs', async ({ app }) => {
    await expect(app.linkState).toHaveText('Connected')
    await expect(app.page.getByTestId('status-bar')).toContainText(app.shell === 'electron' ? 'Desktop' : 'Browser shell')
    await expect(app.sidebar.getByTestId('sidebar-playgrounds')).toBeVisible()
    await expect(app.sidebar.getByTestId('sidebar-connections')).toBeVisible()
  })

  test('every area is reachable and says what to do next', async ({ app }) => {
    const areas = [
      ['cluster', 'cluster-empty', /Choose a local playground or a saved connection/],
      ['keys', 'keys-empty', /one folder at a time/],
      ['backups', 'backups-view', /Select a playground or a connection in the sidebar to take a single snapshot/],
      ['restore', 'restore-view', /The cluster to restore/],
    ] as const
    for (const [area, testid, text] of areas) {
      await app.open(area)
      await expect(app.page.getByTestId(testid)).toContainText(text)
      await app.screenshot(`area-${area}`)
    }
  })

  test('the activity area shows this installation and the live service log', async ({ app }, info) => {
    await app.open('activity')
    await expect(app.page.getByTestId('app-info')).toContainText(app.shell === 'electron' ? 'Desktop (Electron)' : 'Browser shell (raftdeck serve)')
    // Something logged while the view is open appears at the top of the log, live.
    const name = `log-probe-${info.project.name}-${Date.now()}`
    const conns = new ConnectionsPage(app.page)
    await conns.openNew()
    await conns.fill({ name, endpoints: ['http://127.0.0.1:1'] })
    await conns.save()
    await expect(app.page.getByTestId('service-log').locator('tbody tr').first()).toContainText(`connection "${name}" saved`)
    await app.screenshot('area-activity')
  })

  test('the theme toggles between light and dark and is remembered', async ({ app }) => {
    const startDark = await app.isDark()
    await app.toggleTheme()
    expect(await app.isDark()).toBe(!startDark)
    await app.screenshot(startDark ? 'theme-light' : 'theme-dark')
    await app.page.reload()
    await expect(app.linkState).toHaveText('Connected')
    expect(await app.isDark()).toBe(!startDark)
    await app.toggleTheme()
    expect(await app.isDark()).toBe(startDark)
  })
})

test.describe('browser shell access control', () => {
  test.beforeEach(({}, info) => info.skip(info.project.name !== 'browser', 'only the browser shell has an HTTP listener'))

  test('refuses requests without the token and from another origin', async ({ request, baseURL }) => {
    expect((await request.get('/')).status()).toBe(403)
    expect((await request.get(`/?token=wrong-${E2E_TOKEN}`)).status()).toBe(403)
    expect((await request.get(`/?token=${E2E_TOKEN}`, { headers: { Origin: 'http://evil.example' } })).status()).toBe(403)
    expect((await request.get(`/?token=${E2E_TOKEN}`)).status()).toBe(200)
    expect(baseURL).toMatch(/^http:\/\/127\.0\.0\.1:/)
  })

  test('a page opened without the token cannot reach the API', async ({ browser, baseURL }) => {
    const ctx = await browser.newContext()
    const page = await ctx.newPage()
    const res = await page.goto(baseURL!)
    expect(res?.status()).toBe(403)
    await expect(page.locator('body')).toContainText('carries the access token')
    await ctx.close()
  })
})
