// npm run bench:keys — the key editor on a 100,000-key Kubernetes-shaped etcd 3.4:
//   - time to the first visible tree level (click on "Keys" → first folder row drawn), in Chromium
//     against the browser shell, and the service call alone;
//   - time to open a folder of 10,000 keys (first page drawn) and to page through all 10,000 keys;
//   - the renderer's JS heap after that folder is open (CDP Performance metrics, after a GC);
//   - live updates into that open folder: 1,000 keys created, then deleted, by other clients (UI, from
//     the first write to the folder's count drawn), and the tree index alone applying 3,000 watch events
//     to a 10,000-key folder in process.
// Medians of several runs; one etcd member, loopback. Needs `npx electron-vite build` first (the shell
// serves out/renderer) and /usr/bin/etcd + /usr/bin/chromium.

import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { chromium, type Page } from 'playwright-core'
import { createServices } from '../src-main/services'
import { EtcdClient } from '../src-main/services/etcd/client'
import { startEtcdCluster, type EtcdCluster } from '../test/support/etcd'
import { freePorts } from '../test/support/ports'
import { BIG_FOLDER, loadFixture } from '../test/integration/keys/fixture'
import { KeyTreeIndex } from '../src-renderer/src/stores/keyTree.shared'
import { keyNameOf } from '../src-renderer/src/stores/keys.shared'
import type { KeyEvent, TreeEntry } from '../src-main/shared/api/keys'

const RUNS = Number(process.env.BENCH_KEYS_RUNS ?? 5)
const TOKEN = 'bench-keys-token-0123456789abcdef'
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..')

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const ms = (x: number) => `${x.toFixed(0)} ms`

async function waitHealthy(url: string, proc: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`raftdeck serve exited with ${proc.exitCode}`)
    try {
      if ((await fetch(`${url}/healthz`)).ok) return
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error('raftdeck serve did not become healthy within 30 s')
}

/** Every 10th key of the big folder gets a new neighbour: inserts and deletes land all over it, not at one end. */
const liveKeys = Array.from({ length: 1000 }, (_, i) => `${BIG_FOLDER}cm-${String(i * 10).padStart(5, '0')}-live`)

/**
 * The renderer's tree index alone: a fully loaded 10,000-key folder receives 1,000 updates, 1,000 creates
 * and 1,000 deletes in watch batches of 100, and the visible rows are rebuilt after each batch (what the
 * view does on every batch). Pure code, in process.
 */
function treeIndexEvents(): { applyMs: number; rowsMs: number } {
  const enc = new TextEncoder()
  const name = (s: string) => keyNameOf(enc.encode(s))
  const idx = new KeyTreeIndex(name(''))
  const folder = name(BIG_FOLDER)
  const keys = Array.from({ length: 10_000 }, (_, i) => `${BIG_FOLDER}cm-${String(i).padStart(5, '0')}`)
  const entries: TreeEntry[] = keys.map((k) => ({ key: name(k), label: k.slice(BIG_FOLDER.length), folder: false, count: 1, modRevision: '5', lease: '0' }))
  idx.setPage({ prefix: name(''), separator: '/', revision: '10', entries: [{ key: folder, label: BIG_FOLDER.slice(0, -1), folder: true, count: 10_000 }], cursor: null, totalKeys: 10_000, pageKeys: 10_000 }, false)
  idx.setPage({ prefix: folder, separator: '/', revision: '10', entries, cursor: null, totalKeys: 10_000, pageKeys: 10_000 }, false)
  idx.expanded.add(folder.b64)
  const ev = (type: 'put' | 'delete', k: string, version: string): KeyEvent => ({ type, key: name(k), modRevision: '11', version, lease: '0', size: 10 })
  const events = [
    ...keys.filter((_, i) => i % 10 === 5).map((k) => ev('put', k, '2')),
    ...liveKeys.map((k) => ev('put', k, '1')),
    ...liveKeys.map((k) => ev('delete', k, '0')),
  ]
  let applyMs = 0
  let rowsMs = 0
  for (let i = 0; i < events.length; i += 100) {
    let t = performance.now()
    idx.applyEvents(folder.b64, events.slice(i, i + 100), '/')
    applyMs += performance.now() - t
    t = performance.now()
    idx.rows()
    rowsMs += performance.now() - t
  }
  if (idx.folders.get(folder.b64)!.entries.length !== 10_000) throw new Error('the index lost or kept keys it should not have')
  return { applyMs, rowsMs }
}

async function main() {
  if (!existsSync(path.join(root, 'out/renderer/index.html'))) throw new Error('Build first: npx electron-vite build')
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'raftdeck-bench-keys-'))
  let etcd: EtcdCluster | undefined
  let serve: ChildProcess | undefined
  let browser: Awaited<ReturnType<typeof chromium.launch>> | undefined
  try {
    etcd = await startEtcdCluster({ size: 1 })
    const client = new EtcdClient({ endpoints: etcd.endpoints, requestTimeoutMs: 60_000 })
    const tLoad = performance.now()
    const written = await loadFixture(client)
    console.log(`fixture: ${written.toLocaleString('en-US')} keys loaded in ${ms(performance.now() - tLoad)}`)

    // The connection is saved by the services themselves, in the data dir the shell will use.
    const dataDir = path.join(tmp, 'data')
    const services = createServices({ dataDir, shell: 'browser', version: 'bench' })
    const saved = await services.handlers['connections/save']({ input: { name: 'bench-k8s', endpoints: etcd.endpoints } })
    const target = { kind: 'connection' as const, id: saved.id }

    // The tree index alone, in process (after a warm-up run).
    treeIndexEvents()
    const idxApply: number[] = []
    const idxRows: number[] = []
    for (let i = 0; i < RUNS; i++) {
      const r = treeIndexEvents()
      idxApply.push(r.applyMs)
      idxRows.push(r.rowsMs)
    }

    // Service-side numbers, in process.
    const svcRoot: number[] = []
    const svcFolderFirst: number[] = []
    const svcFolderAll: number[] = []
    const b64 = (s: string) => Buffer.from(s).toString('base64')
    for (let i = 0; i < RUNS; i++) {
      let t = performance.now()
      await services.handlers['keys/browse']({ target, prefix: '' })
      await services.handlers['keys/browse']({ target, prefix: b64('/') })
      svcRoot.push(performance.now() - t)
      t = performance.now()
      let page = await services.handlers['keys/browse']({ target, prefix: b64(BIG_FOLDER), pageSize: 500 })
      svcFolderFirst.push(performance.now() - t)
      let n = page.entries.length
      while (page.cursor) {
        page = await services.handlers['keys/browse']({ target, prefix: b64(BIG_FOLDER), pageSize: 500, cursor: page.cursor, revision: page.revision })
        n += page.entries.length
      }
      svcFolderAll.push(performance.now() - t)
      if (n !== 10_000) throw new Error(`paged ${n} keys, expected 10,000`)
    }
    await services.dispose()

    const [port] = await freePorts(1)
    serve = spawn(process.execPath, [path.join(root, 'bin/raftdeck.mjs'), 'serve', '--port', String(port), '--token', TOKEN, '--data-dir', dataDir], { stdio: 'ignore' })
    const url = `http://127.0.0.1:${port}`
    await waitHealthy(url, serve)

    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    })
    const uiFirst: number[] = []
    const uiFolder: number[] = []
    const uiFolderAll: number[] = []
    const heapMb: number[] = []
    const uiLiveCreate: number[] = []
    const uiLiveDelete: number[] = []
    const writeOnly: number[] = []
    let lastPage: Page | null = null
    try {
    for (let i = 0; i < RUNS; i++) {
      const ctx = await browser.newContext({ viewport: { width: 1400, height: 860 } })
      await ctx.addInitScript((t) => localStorage.setItem('raftdeck.selectedTarget', JSON.stringify(t)), target)
      const page: Page = await ctx.newPage()
      page.on('pageerror', (e) => console.error(`renderer error: ${e.message}`))
      lastPage = page
      await page.goto(`${url}/?token=${TOKEN}#/cluster`)
      await page.getByTestId('area-keys').waitFor()
      // Time to first tree level: from the click on "Keys" until folder rows are drawn.
      let t = performance.now()
      await page.getByTestId('area-keys').click()
      await page.locator('[data-testid="tree-folder"][data-key="/registry/"]').waitFor()
      uiFirst.push(performance.now() - t)
      for (const f of ['/registry/', '/registry/configmaps/']) {
        await page.locator(`[data-testid="tree-folder"][data-key="${f}"]`).click()
        await page.locator(`[data-testid="tree-folder"][data-key="${f}"] .chev`).filter({ hasText: '▾' }).waitFor()
      }
      // Opening the 10,000-key folder: from the click on its row (once the row is drawn) to its first page of keys drawn.
      const bigRow = page.locator(`[data-testid="tree-folder"][data-key="${BIG_FOLDER}"]`)
      await bigRow.waitFor()
      t = performance.now()
      await bigRow.click()
      await page.locator(`[data-testid="tree-key"][data-key="${BIG_FOLDER}cm-00000"]`).waitFor()
      uiFolder.push(performance.now() - t)
      // Every key of it loaded: "load more" until the folder's badge shows no partial count.
      t = performance.now()
      const badge = page.locator(`[data-testid="tree-folder"][data-key="${BIG_FOLDER}"] [data-testid="folder-count"]`)
      for (let p = 0; p < 40 && (await badge.textContent())?.includes(' of '); p++) {
        const more = page.getByTestId('tree-more').filter({ hasText: 'of 10,000 keys loaded' })
        // The "load more" row sits after the loaded keys: scroll the virtual list to it, click, then back.
        await page.getByTestId('key-tree').evaluate((el, rows) => (el.scrollTop = rows * 28), 5 + (p + 1) * 500)
        await more.getByTestId('load-more').click()
        await page.getByTestId('key-tree').evaluate((el) => (el.scrollTop = 0))
        await badge.filter({ hasNotText: `${((p + 1) * 500).toLocaleString('en-US')} of` }).waitFor()
      }
      uiFolderAll.push(performance.now() - t)
      const cdp = await ctx.newCDPSession(page)
      await cdp.send('HeapProfiler.collectGarbage')
      await cdp.send('Performance.enable')
      const metrics = (await cdp.send('Performance.getMetrics')).metrics
      heapMb.push((metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? 0) / 1024 / 1024)
      // Live updates into the open, fully loaded folder: 1,000 creates (10 transactions), then the deletes.
      // Done when the virtual list's height says every row was added (or removed again).
      const listHeight = () => page.getByTestId('key-tree').evaluate((el) => Number.parseFloat((el.firstElementChild as HTMLElement).style.height))
      const heightBefore = await listHeight()
      const rowsHeight = (h: number) => page.waitForFunction((want) => Number.parseFloat((document.querySelector('[data-testid="key-tree"]')!.firstElementChild as HTMLElement).style.height) === want, h, { polling: 'raf' })
      const writeAll = async (op: 'put' | 'delete') => {
        const t0 = performance.now()
        for (let k = 0; k < liveKeys.length; k += 100) {
          const batch = liveKeys.slice(k, k + 100).map((key) => Buffer.from(key))
          await client.txn({ compare: [], success: batch.map((key) => (op === 'put' ? { request_put: { key, value: Buffer.from('live') } } : { request_delete_range: { key } })), failure: [] })
        }
        writeOnly.push(performance.now() - t0)
      }
      t = performance.now()
      await writeAll('put')
      await rowsHeight(heightBefore + liveKeys.length * 28)
      uiLiveCreate.push(performance.now() - t)
      t = performance.now()
      await writeAll('delete')
      await rowsHeight(heightBefore)
      uiLiveDelete.push(performance.now() - t)
      await ctx.close()
    }
    } catch (err) {
      // Leave a picture of what the page showed, for whoever reads the failure.
      await lastPage?.screenshot({ path: path.join(root, 'test-results/screenshots/bench-keys-failure.png') }).catch(() => undefined)
      throw err
    }

    console.log(`\nkey editor on ${written.toLocaleString('en-US')} keys (median of ${RUNS} runs)`)
    console.log(`  first tree level, UI (click → rows drawn):        ${ms(median(uiFirst))}   [${uiFirst.map((x) => x.toFixed(0)).join(', ')}]`)
    console.log(`  first tree level, service (root + "/" browse):    ${ms(median(svcRoot))}`)
    console.log(`  open a 10,000-key folder, UI (first 500 drawn):   ${ms(median(uiFolder))}   [${uiFolder.map((x) => x.toFixed(0)).join(', ')}]`)
    console.log(`  all 10,000 keys of it loaded, UI (20 pages):      ${ms(median(uiFolderAll))}`)
    console.log(`  same folder, service: first page / all 20 pages:  ${ms(median(svcFolderFirst))} / ${ms(median(svcFolderAll))}`)
    console.log(`  renderer JS heap with that folder open (after GC): ${median(heapMb).toFixed(1)} MiB`)
    console.log(`  1,000 keys created live in that folder, UI (first write → rows added): ${ms(median(uiLiveCreate))}   [${uiLiveCreate.map((x) => x.toFixed(0)).join(', ')}]`)
    console.log(`  the same 1,000 keys deleted live, UI:              ${ms(median(uiLiveDelete))}   [${uiLiveDelete.map((x) => x.toFixed(0)).join(', ')}]`)
    console.log(`  of which the 10 write transactions alone:          ${ms(median(writeOnly))}`)
    console.log(`  tree index, 3,000 watch events on a 10,000-key folder (batches of 100), in process:`)
    console.log(`    applying the events: ${median(idxApply).toFixed(1)} ms   [${idxApply.map((x) => x.toFixed(1)).join(', ')}]`)
    console.log(`    rebuilding the rows after each batch (30×): ${median(idxRows).toFixed(1)} ms`)
  } finally {
    await browser?.close()
    if (serve && serve.exitCode === null) {
      const exited = new Promise((r) => serve!.once('exit', r))
      serve.kill('SIGTERM')
      await exited
    }
    await etcd?.stop()
    rmSync(tmp, { recursive: true, force: true })
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err)
  process.exitCode = 1
})
