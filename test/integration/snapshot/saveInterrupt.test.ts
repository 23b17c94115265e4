// `raftdeck snapshot save` interrupted by Ctrl-C while the stream is under way (the etcd member is
// frozen with SIGSTOP, so the save cannot finish first): it exits 130 and leaves neither the snapshot
// nor its .part file behind.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startEtcdCluster, type EtcdCluster } from '../../support/etcd'
import { spawnRaftdeck } from '../../support/raftdeck'

let etcd: EtcdCluster
let tmp: string
let frozen = false

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'raftdeck-save-int-'))
  etcd = await startEtcdCluster({ size: 1 })
  await etcd.etcdctl(['put', '/k', 'v'])
})

afterAll(async () => {
  if (frozen) process.kill(etcd.members[0]!.process.pid!, 'SIGCONT')
  await etcd?.stop()
  if (tmp) rmSync(tmp, { recursive: true, force: true })
})

it('Ctrl-C during a snapshot save exits 130 and leaves no file', async () => {
  const file = path.join(tmp, 'backup.db')
  process.kill(etcd.members[0]!.process.pid!, 'SIGSTOP')
  frozen = true
  const save = spawnRaftdeck(['snapshot', 'save', file, '--endpoints', etcd.endpoints[0]!])
  let stderr = ''
  save.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
  const exited = new Promise<number | null>((resolve) => save.once('exit', (code) => resolve(code)))
  // The .part file exists once the stream has been asked for.
  await expect.poll(() => existsSync(`${file}.part`), { timeout: 30_000 }).toBe(true)
  save.kill('SIGINT')
  expect(await exited).toBe(130)
  expect(stderr).toContain('interrupted; no file was written')
  expect(readdirSync(tmp)).toEqual([])
})
