import { defineConfig } from 'vitest/config'
import { fileURLToPath } from 'node:url'

const shared = fileURLToPath(new URL('./src-main/shared', import.meta.url))

// Three node-side suites. e2e lives in Playwright (playwright.config.ts).
export default defineConfig({
  // The renderer's pure modules (API client, store helpers) are unit-tested under Node too.
  resolve: { alias: { '@shared': shared } },
  test: {
    projects: [
      {
        // Inherits the @shared alias: the renderer's modules under test import the contract's constants.
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], environment: 'node', testTimeout: 20_000 },
      },
      {
        test: { name: 'sim', include: ['test/sim/**/*.test.ts'], environment: 'node', testTimeout: 300_000 },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Real processes on 2 cores: one file at a time keeps timing-sensitive Raft clusters honest.
          fileParallelism: false,
        },
      },
    ],
  },
})
