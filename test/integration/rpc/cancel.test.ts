// Cancelling and timing out the long calls for real: the dispatcher, the services and a real etcd 3.4.
// The test sends 'cancel' from inside the progress message it is waiting for (progress is not
// rate-limited here), so the call is stopped at a known point: an import after its first write
// transaction, an export after its first page, a snapshot after its first chunk. What the error says was
// done is then checked against etcd and the disk.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDispatcher, type DispatcherOptions } from '../../../src-main/rpc/dispatch'
import { createServices, type Services } from '../../../src-main/services'
import { EtcdClient } from '../../../src-main/services/etcd/client'
import type { HostMessage, Progress, Result, Target } from '../../../src-main/shared'
import { startEtcdCluster, type EtcdCluster } from '../../support/etcd'

let tmp: string
let etcd: EtcdCluster
let client: EtcdClient
let services: Services
let target: Target

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'raftdeck-cancel-'))
  etcd = await startEtcdCluster({ size: 1 })
  client = new EtcdClient({ endpoints: etcd.endpoints })
  services = createServices({ dataDir: path.join(tmp, 'data'), shell: 'browser', version: 'test' })
  const saved = await services.handlers['connections/save']({ input: { name: 'cancel-target', endpoints: etcd.endpoints } })
  target = { kind: 'connection', id: saved.id }
  // 2,000 keys of 2 KiB to export, and a database big enough for a snapshot of many chunks.
  for (let i = 0; i < 20; i++)
    await client.txn({ compare: [], success: Array.from({ length: 100 }, (_, j) => ({ request_put: { key: Buffer.from(`/data/k-${String(i * 100 + j).padStart(5, '0')}`), value: Buffer.alloc(2048, 97) } })), failure: [] })
})

afterAll(async () => {
  await services?.dispose()
  client?.close()
  await etcd?.stop()
  if (tmp) rmSync(tmp, { recursive: true, force: true })
})

/**
 * Runs one call over a dispatcher connection; `stopWhen` sees every progress report and returns true to
 * send 'cancel' right then. Resolves with the call's result and the progress seen.
 */
async function callAndStop(method: string, params: unknown, stopWhen: (p: Progress) => boolean, opts: DispatcherOptions = {}) {
  const seen: Progress[] = []
  let result: Result<unknown> | null = null
  const after: HostMessage[] = []
  const conn = createDispatcher(services, { progressIntervalMs: 0, ...opts }).connect((m) => {
    if (result) after.push(m)
    if (m.t === 'progress') {
      seen.push(m.progress)
      if (stopWhen(m.progress)) void conn.handle({ t: 'cancel', id: 1 })
    }
    if (m.t === 'result') result = m.result
  })
  await conn.handle({ t: 'call', id: 1, method, params })
  expect(after).toEqual([])
  conn.close()
  return { result: result as unknown as Result<unknown>, seen }
}

const count = async (prefix: string) => Number((await client.range({ key: Buffer.from(prefix), range_end: Buffer.from(prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1)), count_only: true })).count)

const importFile = (prefix: string, n: number) =>
  JSON.stringify({ format: 'raftdeck-keys/1', prefix, revision: '1', exportedAt: new Date().toISOString(), keys: Array.from({ length: n }, (_, i) => ({ key: `${prefix}${String(i).padStart(5, '0')}`, value: `v${i}` })) })

/** "Cancelled." as the message the services send beside the English. */
const cancelled = { key: 'conn.cancel.cancelled' }

describe('stopping long calls against a real etcd', () => {
  it('an import cancelled after its first write transaction says it wrote 100 keys, and exactly those are in etcd', async () => {
    const file = importFile('/imp1/', 1000)
    const plan = await services.handlers['keys/importPlan']({ target, file })
    const { result, seen } = await callAndStop('keys/import', { target, file, planRevision: plan.revision }, (p) => p.phase === 'Writing keys' && p.done > 0)
    expect(result).toMatchObject({
      ok: false,
      error: {
        code: 'CANCELLED',
        message: 'Cancelled. 100 of 1,000 keys were written before it stopped; they stay written. A new dry run shows what is left.',
      },
    })
    // The same words as a message key, for the renderer to say in the user's language.
    expect(result.ok === false && result.error.msg).toEqual({
      key: 'keys.stopped.withWork',
      params: { reason: cancelled, soFar: { key: 'keys.stopped.someWritten', params: { written: 100, total: 1000 } } },
    })
    expect(await count('/imp1/')).toBe(100)
    // It read the current values first, then wrote, reporting as it went.
    expect(seen.map((p) => p.phase)).toEqual([...Array(11).fill('Reading the current values'), 'Writing keys', 'Writing keys'])
    // A new dry run sees the rest.
    const again = await services.handlers['keys/importPlan']({ target, file })
    expect(again.counts).toEqual({ create: 900, update: 0, unchanged: 100 })
  })

  it('an import that runs past its timeout stops with TIMEOUT, and what it says it wrote is what etcd has', async () => {
    const file = importFile('/imp2/', 3000)
    const plan = await services.handlers['keys/importPlan']({ target, file })
    const { result } = await callAndStop('keys/import', { target, file, planRevision: plan.revision }, () => false, { timeouts: { 'keys/import': 5 } })
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.error.code).toBe('TIMEOUT')
    expect(result.error.message).toMatch(/^Stopped: it did not finish within 5 ms\. /)
    const written = /No key was written/.test(result.error.message) ? 0 : Number(/ ([\d,]+) of 3,000 keys were written/.exec(result.error.message)![1]!.replace(/,/g, ''))
    expect(await count('/imp2/')).toBe(written)
  })

  it('an export cancelled after its first page ends with CANCELLED', async () => {
    const { result, seen } = await callAndStop('keys/export', { target, prefix: Buffer.from('/data/').toString('base64') }, (p) => p.done >= 500)
    expect(result).toEqual({ ok: false, error: { code: 'CANCELLED', message: 'Cancelled.', msg: cancelled } })
    const reading = { phase: 'Reading keys', phaseMsg: { key: 'keys.phase.reading' }, total: 2000, unit: 'keys' }
    expect(seen[0]).toEqual({ ...reading, done: 0 })
    expect(seen.at(-1)).toEqual({ ...reading, done: 500 })
  })

  it('a snapshot save cancelled after its first chunk leaves no file behind', async () => {
    const { result, seen } = await callAndStop('backups/saveNow', { target }, (p) => p.unit === 'bytes' && p.done > 0)
    expect(result).toEqual({ ok: false, error: { code: 'CANCELLED', message: 'Cancelled. No file was written.', msg: { key: 'conn.cancel.soFar', params: { message: cancelled, soFar: 'No file was written.' } } } })
    expect(seen[0]).toMatchObject({ done: 0, total: null, unit: 'bytes' })
    expect(seen[1]!.total).toBeGreaterThan(seen[1]!.done)
    const dir = path.join(tmp, 'data', 'backups', 'cancel-target')
    expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([])
    // Not cancelled, the same call saves a verified snapshot.
    const saved = await services.handlers['backups/saveNow']({ target })
    expect(saved.problem).toBeNull()
    expect(readdirSync(dir)).toEqual([path.basename(saved.path)])
  })
})
