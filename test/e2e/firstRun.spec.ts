// The very first start, as a new user sees it: the window opens on the "local" playground's Cluster view
// with a short tour, and later runs reopen where the user left off. The shared e2e server runs with
// --no-default-playground, so this spec starts its own `raftdeck serve` on a fresh data folder.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { test, expect } from '@playwright/test'
import { REPO_ROOT, SCREENSHOT_DIR } from './env'

async function serve(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/raftdeck.mjs'), 'serve', '--port', '0', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] })
  let err = ''
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()))
  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString()
      const m = /serving at (\S+)/.exec(out)
      if (m) resolve(m[1]!)
    })
    child.once('exit', (code) => reject(new Error(`raftdeck serve exited with ${code}: ${err}`)))
  })
  return { child, url }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return
  const exited = new Promise((r) => child.once('exit', r))
  child.kill('SIGTERM')
  await exited
}

test('first run opens the local playground with a tour; the next run reopens the last cluster and area', async ({ page }, info) => {
  test.skip(info.project.name === 'electron', 'Starts its own browser-shell server on a fresh data folder.')
  test.setTimeout(120_000)
  const dataDir = mkdtempSync(path.join(REPO_ROOT, '.tmp', 'first-run-'))
  const { child, url } = await serve(dataDir)
  try {
    await page.goto(url)
    // Lands on the new playground's Cluster view, without a click.
    await expect(page.getByTestId('pg-item-local')).toHaveClass(/selected/, { timeout: 60_000 })
    await expect(page.getByTestId('area-cluster')).toHaveClass(/active/)
    await expect(page.getByTestId('playground-view')).toBeVisible()
    await expect(page.getByTestId('pg-health')).toHaveAttribute('data-health', 'healthy', { timeout: 30_000 })

    // The tour: election diagram, chaos controls, the etcdctl line; each one outlined in turn.
    const tour = page.getByTestId('tour')
    await expect(tour).toHaveAttribute('data-step', 'election')
    await expect(page.getByTestId('pg-election')).toHaveClass(/tour-target/)
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'browser-first-run-tour.png') })
    await page.getByTestId('tour-next').click()
    await expect(tour).toHaveAttribute('data-step', 'chaos')
    await expect(page.getByTestId('pg-members')).toHaveClass(/tour-target/)
    await page.getByTestId('tour-next').click()
    await expect(tour).toHaveAttribute('data-step', 'etcdctl')
    await expect(page.getByTestId('pg-etcdctl-line')).toHaveClass(/tour-target/)
    await page.keyboard.press('Escape')
    await expect(tour).toBeHidden()
    await expect(page.locator('.tour-target')).toHaveCount(0)

    // Move to the Keys area; the choice is kept by the services, not by this browser.
    await page.getByTestId('area-keys').click()
    await expect(page).toHaveURL(/#\/keys$/)
    const settings = () => JSON.parse(readFileSync(path.join(dataDir, 'settings.json'), 'utf8')) as { lastView: { area: string } | null; tourDone: boolean }
    await expect.poll(() => settings().lastView?.area).toBe('keys')
    expect(settings().tourDone).toBe(true)

    // A fresh tab (no URL state) reopens on the same cluster and area, with no tour.
    const again = await page.context().newPage()
    await again.goto(url.replace(/#.*$/, ''))
    await expect(again.getByTestId('area-keys')).toHaveClass(/active/, { timeout: 30_000 })
    await expect(again.getByTestId('pg-item-local')).toHaveClass(/selected/)
    await again.getByTestId('area-cluster').click()
    await expect(again.getByTestId('playground-view')).toBeVisible()
    await expect(again.getByTestId('tour')).toHaveCount(0)
  } finally {
    await stop(child)
    rmSync(dataDir, { recursive: true, force: true })
  }
})
