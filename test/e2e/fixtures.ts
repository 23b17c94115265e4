// One `app` fixture for both shells, as VS Code's smoke tests do it: the browser project opens the
// browser shell's URL in Chromium; the electron project launches the desktop app. Specs and page
// objects never know which one they drive.
import { test as base, _electron, type Page } from '@playwright/test'
import { existsSync, readFileSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import WebSocket from 'ws'
import { E2E_PORT, E2E_TOKEN, REPO_ROOT, SCREENSHOT_DIR } from './env'
import { AppShell } from './pages/AppShell'

/** Where the Electron binary is, or why it is not available here. */
export function electronBinary(): { path: string } | { reason: string } {
  if (process.env.ELECTRON_PATH) return existsSync(process.env.ELECTRON_PATH) ? { path: process.env.ELECTRON_PATH } : { reason: `ELECTRON_PATH=${process.env.ELECTRON_PATH} does not exist` }
  const pkg = path.join(REPO_ROOT, 'node_modules', 'electron')
  const pathTxt = path.join(pkg, 'path.txt')
  if (existsSync(pathTxt)) {
    const bin = path.join(process.env.ELECTRON_OVERRIDE_DIST_PATH ?? path.join(pkg, 'dist'), readFileSync(pathTxt, 'utf8').trim())
    if (existsSync(bin)) return { path: bin }
  }
  return {
    reason:
      'Electron binary not installed: node_modules/electron has no downloaded dist/ (this machine reaches only the npm registry). ' +
      'Run `npx install-electron` where the download works to run these specs in the desktop shell.',
  }
}

/**
 * The services remember the last cluster and area and the language (app/settings), and every spec shares
 * one e2e server: each test starts as a window opened with nothing remembered, in the system's language.
 */
export async function resetRemembered(port = E2E_PORT, token = E2E_TOKEN): Promise<void> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/rpc?token=${token}`)
  try {
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once('error', reject)
    })
    const answer = new Promise<{ ok: boolean }>((resolve, reject) => {
      ws.on('message', (data: Buffer) => {
        const m = JSON.parse(data.toString()) as { t: string; id: number; result: { ok: boolean } }
        if (m.t === 'result' && m.id === 1) resolve(m.result)
      })
      ws.once('close', () => reject(new Error('the e2e server closed the socket before answering')))
    })
    ws.send(JSON.stringify({ t: 'call', id: 1, method: 'app/updateSettings', params: { lastView: null, locale: null } }))
    const r = await answer
    if (!r.ok) throw new Error(`could not reset the remembered view: ${JSON.stringify(r)}`)
  } finally {
    ws.close()
  }
}

/**
 * Runs a spec's body, then its clean-up. When the body failed, a failing clean-up (the page already closed
 * by a timeout, a dialog that never opened) must not replace the body's error, which says where the test
 * stopped and why: its error is logged and the body's error is what the report shows.
 */
export async function withCleanup(body: () => Promise<void>, cleanup: () => Promise<void>): Promise<void> {
  try {
    await body()
  } catch (e) {
    await cleanup().catch((c: unknown) => console.error(`clean-up after the failure failed too: ${c instanceof Error ? c.message.split('\n')[0] : String(c)}`))
    throw e
  }
  await cleanup()
}

export const test = base.extend<{ app: AppShell }>({
  app: async ({ page, browserName: _b }, use, testInfo) => {
    mkdirSync(SCREENSHOT_DIR, { recursive: true })
    if (testInfo.project.name === 'electron') {
      const bin = electronBinary()
      if ('reason' in bin) {
        testInfo.skip(true, bin.reason)
        return
      }
      if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
        testInfo.skip(true, 'Electron needs a display: run under xvfb-run.')
        return
      }
      const electronApp = await _electron.launch({
        executablePath: bin.path,
        args: [path.join(REPO_ROOT, 'out/main/index.js'), ...(process.getuid?.() === 0 ? ['--no-sandbox'] : [])],
      })
      const win: Page = await electronApp.firstWindow()
      await use(new AppShell(win, SCREENSHOT_DIR, 'electron'))
      await electronApp.close()
      return
    }
    await resetRemembered()
    await page.goto(`/?token=${E2E_TOKEN}`)
    await use(new AppShell(page, SCREENSHOT_DIR, 'browser'))
  },
})

export { expect } from '@playwright/test'
