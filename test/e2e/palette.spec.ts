// Everything from the keyboard: the command palette (Ctrl+K) switches cluster and area and jumps to a key
// by prefix, Ctrl+S saves the open key, digits switch areas, and `?` shows the shortcut sheet.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { test, expect } from './fixtures'
import { ConnectionsPage } from './pages/ConnectionsPage'
import { KeysPage } from './pages/KeysPage'
import { PlaygroundPage } from './pages/PlaygroundPage'

const run = promisify(execFile)

test('the palette drives navigation; shortcuts save a key and show the sheet', async ({ app }, info) => {
  test.setTimeout(150_000)
  const page = app.page
  const pgName = `pal-${info.project.name}`
  const connName = `pal-conn-${info.project.name}`
  const pg = new PlaygroundPage(page)
  await pg.create(pgName, 1)
  await pg.leader()
  const endpoints = await page.getByTestId('pg-endpoints').locator('input').inputValue()
  await run('etcdctl', [`--endpoints=${endpoints}`, 'put', '/palette/alpha', 'one'])
  await run('etcdctl', [`--endpoints=${endpoints}`, 'put', '/palette/beta', 'two'])
  // A second cluster to switch to: the same members as a saved connection.
  const conns = new ConnectionsPage(page)
  await conns.openNew()
  await conns.fill({ name: connName, endpoints: endpoints.split(',').map((e) => `http://${e}`) })
  await conns.save()
  await expect(conns.item(connName)).toHaveClass(/selected/)

  const palette = page.getByTestId('palette')
  const choose = async (query: string, kind: string) => {
    await page.keyboard.press('Control+k')
    await expect(palette).toBeVisible()
    await expect(page.getByTestId('palette-input').locator('input')).toBeFocused()
    await page.keyboard.type(query)
    await expect(palette.getByTestId('palette-item').first()).toHaveAttribute('data-kind', kind)
    await page.keyboard.press('Enter')
    await expect(palette).toBeHidden()
  }

  // Switch cluster.
  await choose(pgName, 'playground')
  await expect(page.getByTestId(`pg-item-${pgName}`)).toHaveClass(/selected/)
  await expect(page.getByTestId('playground-view')).toBeVisible()

  // Switch area.
  await page.keyboard.press('Control+k')
  await page.keyboard.type('activity')
  await page.keyboard.press('ArrowDown')
  await page.keyboard.press('ArrowUp')
  await page.keyboard.press('Enter')
  await expect(page).toHaveURL(/#\/activity$/)

  // Jump to a key by prefix, from another area.
  await choose('/palette/b', 'key')
  await expect(page).toHaveURL(/#\/keys$/)
  const keys = new KeysPage(page)
  await expect(keys.editor).toContainText('/palette/beta')
  await app.screenshot('palette-jumped-to-key')

  // Ctrl+S saves the edited value.
  await keys.setValue('three')
  await expect(keys.editor.getByTestId('value-dirty')).toBeVisible()
  await page.keyboard.press('Control+s')
  await expect
    .poll(async () => (await run('etcdctl', [`--endpoints=${endpoints}`, 'get', '/palette/beta', '--print-value-only'])).stdout.trim())
    .toBe('three')

  // Digits switch areas; `?` opens the sheet, Escape closes it.
  await page.locator('body').click({ position: { x: 5, y: 5 } })
  await page.keyboard.press('1')
  await expect(page).toHaveURL(/#\/cluster$/)
  await page.keyboard.press('Shift+?')
  await expect(page.getByTestId('shortcut-sheet')).toBeVisible()
  await app.screenshot('shortcut-sheet')
  await page.keyboard.press('Escape')
  await expect(page.getByTestId('shortcut-sheet')).toBeHidden()
})
