// Temporary folders for one test file or describe block, removed after each test.
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach } from 'vitest'

/** Returns a maker of fresh folders named `prefix…`; every folder it made goes after each test. */
export function tempDirs(prefix: string): () => string {
  const dirs: string[] = []
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
  })
  return () => {
    const d = mkdtempSync(path.join(os.tmpdir(), prefix))
    dirs.push(d)
    return d
  }
}
