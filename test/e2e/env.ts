import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

/** The browser-shell host the e2e run starts (playwright.config.ts webServer). */
export const E2E_PORT = Number(process.env.RAFTDECK_E2E_PORT ?? 5199)
export const E2E_TOKEN = 'e2e-token-not-secret-0123456789'
// A fresh data folder per run: the config and every worker read the same variable.
process.env.RAFTDECK_E2E_RUN ??= String(Date.now())
export const E2E_DATA_DIR = path.join(root, '.tmp', `e2e-data-${process.env.RAFTDECK_E2E_RUN}`)
export const SCREENSHOT_DIR = path.join(root, 'test-results', 'screenshots')
export const REPO_ROOT = root
