import { defineConfig } from '@playwright/test'
import { E2E_PORT, E2E_TOKEN, E2E_DATA_DIR } from './test/e2e/env'

const chromium = {
  browserName: 'chromium' as const,
  viewport: { width: 1400, height: 860 },
  launchOptions: {
    // Debian's Chromium: never `npx playwright install` (these machines cannot download browsers).
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  },
}

// Two projects over the same specs and page objects: the browser shell in Debian's Chromium (always),
// and the Electron shell (only where the Electron binary exists; skipped with the reason elsewhere).
export default defineConfig({
  testDir: 'test/e2e',
  testMatch: /.*\.spec\.ts/,
  outputDir: 'test-results/e2e',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: process.env.CI ? [['list'], ['json', { outputFile: 'test-results/playwright.json' }]] : [['list']],
  use: {
    baseURL: `http://127.0.0.1:${E2E_PORT}`,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  webServer: {
    command: `node bin/raftdeck.mjs serve --port ${E2E_PORT} --token ${E2E_TOKEN} --data-dir ${E2E_DATA_DIR} --no-default-playground`,
    url: `http://127.0.0.1:${E2E_PORT}/healthz`,
    reuseExistingServer: false,
    stdout: 'pipe',
    stderr: 'pipe',
    timeout: 60_000,
    // SIGTERM lets the host stop the playground members it started and clean up.
    gracefulShutdown: { signal: 'SIGTERM', timeout: 15_000 },
  },
  projects: [
    { name: 'browser', use: chromium },
    // The app fixture launches Electron itself; Debian's Chromium is configured here only because
    // Playwright's built-in page fixture is created before a spec can decide to skip.
    { name: 'electron', use: chromium },
  ],
})
