// Backups and the guided restore through the services, on real member processes: a snapshot of a
// playground taken from its leader, verified and listed; restored into a new 3-member playground that
// serves exactly the same keys, values and revisions; broken files refused with nothing created.
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, truncateSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServices, type Services } from '../../../src-main/services'
import { EtcdClient } from '../../../src-main/services/etcd/client'
import type { Target } from '../../../src-main/shared'

let tmp: string
let services: Services

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'raftdeck-backup-'))
  services = createServices({ dataDir: path.join(tmp, 'data'), shell: 'browser', version: 'test' })
})
afterAll(async () => {
  await services?.dispose()
  rmSync(tmp, { recursive: true, force: true })
})

/** Retries until the new cluster has a leader and answers. */
async function waitWritable(put: () => Promise<unknown>): Promise<void> {
  const deadline = Date.now() + 30_000
  for (;;) {
    try {
      await put()
      return
    } catch (err) {
      if (Date.now() > deadline) throw err
      await new Promise((r) => setTimeout(r, 100))
    }
  }
}

describe('backups and restore', () => {
  it('saves a verified snapshot of a playground and restores it into a new one with the same data', async () => {
    const src = await services.handlers['playground/create']({ name: 'source', members: 3 })
    const target: Target = { kind: 'playground', id: src.id }
    const status = await services.handlers['cluster/status']({ target })
    expect(status.endpoints).toHaveLength(3)

    const client = new EtcdClient({ endpoints: src.members.map((m) => m.clientUrl) })
    try {
      await waitWritable(() => client.put({ key: Buffer.from('/warmup'), value: Buffer.from('x') }))
      for (let i = 0; i < 200; i++) await client.put({ key: Buffer.from(`/app/k${String(i).padStart(3, '0')}`), value: Buffer.from(`value-${i}`) })
      await client.deleteRange({ key: Buffer.from('/app/k000') })
      const before = await client.range({ key: Buffer.from('/'), range_end: Buffer.from('0') })

      const saved = await services.handlers['backups/saveNow']({ target })
      expect(saved.problem).toBeNull()
      expect(saved.status?.revision).toBe(Number(before.header.revision))
      expect(saved.status?.totalKey).toBeGreaterThan(200)
      expect(readdirSync(path.dirname(saved.path)).filter((f) => f.endsWith('.part'))).toEqual([])
      expect((await services.handlers['backups/list']({})).map((b) => b.path)).toContain(saved.path)

      const copy = await services.handlers['playground/restore']({ name: 'copy', members: 3, snapshotPath: saved.path })
      expect(copy.members).toHaveLength(3)
      expect(copy.clusterToken).not.toBe(src.clusterToken)
      const c2 = new EtcdClient({ endpoints: copy.members.map((m) => m.clientUrl) })
      try {
        await waitWritable(() => c2.range({ key: Buffer.from('/warmup') }))
        const after = await c2.range({ key: Buffer.from('/'), range_end: Buffer.from('0') })
        const norm = (r: typeof before) => r.kvs.map((kv) => [kv.key.toString(), kv.value.toString(), kv.mod_revision, kv.create_revision, kv.version])
        expect(norm(after)).toEqual(norm(before))
        expect(after.header.revision).toBe(before.header.revision)
        // One cluster, not three: every member reports the same cluster and three members.
        const list = await c2.memberList()
        expect(list.members).toHaveLength(3)
        const st = await services.handlers['cluster/status']({ target: { kind: 'playground', id: copy.id } })
        expect(new Set(st.endpoints.map((e) => e.leader)).size).toBe(1)
      } finally {
        c2.close()
      }
    } finally {
      client.close()
    }
  })

  it('refuses a broken snapshot with the specific problem and creates nothing', async () => {
    const good = (await services.handlers['backups/list']({}))[0]!.path
    const cut = path.join(tmp, 'cut.db')
    copyFileSync(good, cut)
    truncateSync(cut, Math.floor(statSync(cut).size / 2) + 3)
    const inspected = await services.handlers['restore/inspect']({ path: cut })
    expect(inspected.status).toBeNull()
    expect(inspected.problem?.code).toMatch(/TRUNCATED|HASH|MISSING/)
    const before = (await services.handlers['playground/list']({})).length
    const playgroundsDir = path.join(tmp, 'data', 'playgrounds')
    const dirsBefore = readdirSync(playgroundsDir).length
    await expect(services.handlers['playground/restore']({ name: 'broken', members: 3, snapshotPath: cut })).rejects.toThrow(/cannot be restored/)
    expect((await services.handlers['playground/list']({})).length).toBe(before)
    expect(readdirSync(playgroundsDir).length).toBe(dirsBefore)
    expect((await services.handlers['restore/inspect']({ path: path.join(tmp, 'nope.db') })).problem?.code).toBe('NOT_FOUND')
    expect(existsSync(cut)).toBe(true)
  })
})
