// Measures the UI under a live playground: the renderer's main-thread busy time (CDP TaskDuration)
// while showing a 5-member playground under write load, and the CPU of the services and members.
// Run: npm run measure:ui [-- --members 5 --rate 200 --seconds 20]
import { spawn, execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { chromium } from 'playwright-core'
import WebSocket from 'ws'
import { intOption, scriptArgs } from './args'

const USAGE = 'npm run measure:ui -- [--members 5] [--rate 200] [--seconds 20]'
const values = scriptArgs(USAGE, { members: { type: 'string', default: '5' }, rate: { type: 'string', default: '200' }, seconds: { type: 'string', default: '20' } })
const members = intOption(USAGE, 'members', values.members, 1)
const rate = intOption(USAGE, 'rate', values.rate, 1)
const seconds = intOption(USAGE, 'seconds', values.seconds, 1)
const token = 'measure-ui-token-0123456789'
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'raftdeck-measure-'))

function cpuSeconds(pids: number[]): number {
  // utime + stime from /proc (clock ticks), summed over the processes.
  let ticks = 0
  for (const pid of pids) {
    try {
      const stat = execFileSync('cat', [`/proc/${pid}/stat`], { encoding: 'utf8' })
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      ticks += Number(f[11]) + Number(f[12])
    } catch {
      // process gone
    }
  }
  return ticks / 100
}

async function main() {
  // Run the services from source directly (no wrapper process), so their CPU is this process's.
  const serve = spawn(process.execPath, ['--import', 'tsx', 'src-main/cli/main.ts', 'serve', '--port', '0', '--token', token, '--data-dir', dataDir, '--no-default-playground'], { stdio: ['ignore', 'pipe', 'inherit'] })
  const url = await new Promise<string>((resolve) => serve.stdout!.on('data', (d: Buffer) => { const m = String(d).match(/serving at (\S+)/); if (m) resolve(m[1]!) }))
  const origin = new URL(url).origin
  const ws = new WebSocket(`${origin.replace('http', 'ws')}/rpc?token=${token}`, { headers: { Origin: origin } })
  await new Promise((r) => ws.once('open', r))
  let next = 1
  const call = (method: string, params: unknown) =>
    new Promise<{ ok: boolean; value: { id: string; members: { pid: number }[] } }>((resolve) => {
      const id = next++
      const on = (d: WebSocket.RawData) => { const m = JSON.parse(String(d)); if (m.id === id) { ws.off('message', on); resolve(m.result) } }
      ws.on('message', on)
      ws.send(JSON.stringify({ t: 'call', id, method, params }))
    })
  const pg = await call('playground/create', { name: 'measure', members })
  if (!pg.ok) throw new Error(JSON.stringify(pg))
  await call('playground/setLoad', { id: pg.value.id, writesPerSecond: rate })

  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'] })
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } })
  await page.addInitScript((id) => localStorage.setItem('raftdeck.selectedTarget', JSON.stringify({ kind: 'playground', id })), pg.value.id)
  await page.goto(`${url}#/cluster`)
  await page.getByTestId('playground-view').waitFor()
  await page.getByTestId('pg-leader').getByText('Leader:').waitFor({ timeout: 30_000 })
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('Performance.enable')
  const metric = async () => Object.fromEntries(((await cdp.send('Performance.getMetrics')).metrics as { name: string; value: number }[]).map((m) => [m.name, m.value]))
  const state = await call('playground/list', {})
  const memberPids = (state.value as unknown as { members: { pid: number }[] }[])[0]!.members.map((m) => m.pid)
  const before = await metric()
  const cpu0 = { serve: cpuSeconds([serve.pid!]), members: cpuSeconds(memberPids) }
  const t0 = Date.now()
  await new Promise((r) => setTimeout(r, seconds * 1000))
  const after = await metric()
  const wall = (Date.now() - t0) / 1000
  const cpu1 = { serve: cpuSeconds([serve.pid!]), members: cpuSeconds(memberPids) }
  const busy = (after.TaskDuration! - before.TaskDuration!) / wall
  const script = (after.ScriptDuration! - before.ScriptDuration!) / wall
  const layout = (after.LayoutDuration! + after.RecalcStyleDuration! - before.LayoutDuration! - before.RecalcStyleDuration!) / wall
  const probe = Date.now()
  await page.getByTestId('pg-add-member').hover()
  const inputLatency = Date.now() - probe
  console.log(`playground: ${members} members, write load ${rate}/s, sampled ${wall.toFixed(1)} s`)
  console.log(`renderer main thread busy: ${(busy * 100).toFixed(1)}% (script ${(script * 100).toFixed(1)}%, style+layout ${(layout * 100).toFixed(1)}%)`)
  console.log(`renderer JS heap: ${(after.JSHeapUsedSize! / 1048576).toFixed(1)} MiB`)
  console.log(`services process CPU: ${(((cpu1.serve - cpu0.serve) / wall) * 100).toFixed(1)}% of one core`)
  console.log(`${members} members CPU: ${(((cpu1.members - cpu0.members) / wall) * 100).toFixed(1)}% of one core in total`)
  console.log(`hover round trip while loaded: ${inputLatency} ms`)
  await browser.close()
  ws.close()
  serve.kill('SIGTERM')
  await new Promise((r) => serve.once('exit', r))
  rmSync(dataDir, { recursive: true, force: true })
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
