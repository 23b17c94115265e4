// Safe writes, history, leases, live watch, delete-by-prefix, import/export and connection policies,
// through the services' handlers against real etcd 3.4.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { KeyWatchBatch, WriteResult } from '../../../src-main/shared/api/keys'
import { b64, recordingSink, startKeysHarness, type KeysHarness } from './support'

let h: KeysHarness

beforeAll(async () => {
  h = await startKeysHarness()
})

afterAll(async () => {
  await h?.stop()
})

const handlers = () => h.services.handlers
const get = (key: string) => handlers()['keys/get']({ target: h.target, key: b64(key) })
const put = (key: string, text: string, expectModRevision: string, extra: { lease?: string } = {}) => handlers()['keys/put']({ target: h.target, key: b64(key), value: { text }, expectModRevision, ...extra })
const ok = (r: WriteResult) => {
  if (r.status !== 'ok') throw new Error(`expected ok, got ${JSON.stringify(r)}`)
  return r
}

describe('safe writes', () => {
  it('create refuses an existing key; save detects a concurrent write and returns theirs and yours', async () => {
    ok(await put('/cfg/a', 'v1', '0'))
    const again = await put('/cfg/a', 'other', '0')
    expect(again.status).toBe('conflict')

    const loaded = await get('/cfg/a')
    expect(loaded.text).toBe('v1')
    // Someone else writes between the load and the save.
    await h.client.put({ key: Buffer.from('/cfg/a'), value: Buffer.from('theirs') })
    const save = await put('/cfg/a', 'mine', loaded.modRevision)
    expect(save.status).toBe('conflict')
    if (save.status !== 'conflict') return
    expect(save.theirs.text).toBe('theirs')
    expect(save.yours).toEqual({ text: 'mine' })
    expect((await get('/cfg/a')).text).toBe('theirs')
    // The user chooses "keep mine": a new save against their revision.
    ok(await put('/cfg/a', 'mine', save.theirs.modRevision))
    expect((await get('/cfg/a')).text).toBe('mine')
  })

  it('delete and rename are guarded by the mod revision; rename refuses an existing target', async () => {
    const a = ok(await put('/cfg/r1', 'one', '0'))
    ok(await put('/cfg/r2', 'two', '0'))
    await expect(handlers()['keys/rename']({ target: h.target, from: b64('/cfg/r1'), to: b64('/cfg/r2'), expectModRevision: a.modRevision })).rejects.toThrow(/already exists/)
    const stale = await handlers()['keys/rename']({ target: h.target, from: b64('/cfg/r1'), to: b64('/cfg/r3'), expectModRevision: '1' })
    expect(stale.status).toBe('conflict')
    ok(await handlers()['keys/rename']({ target: h.target, from: b64('/cfg/r1'), to: b64('/cfg/r3'), expectModRevision: a.modRevision }))
    expect((await get('/cfg/r1')).exists).toBe(false)
    expect((await get('/cfg/r3')).text).toBe('one')

    const r3 = await get('/cfg/r3')
    await h.client.put({ key: Buffer.from('/cfg/r3'), value: Buffer.from('changed') })
    expect((await handlers()['keys/delete']({ target: h.target, key: b64('/cfg/r3'), expectModRevision: r3.modRevision })).status).toBe('conflict')
    const fresh = await get('/cfg/r3')
    ok(await handlers()['keys/delete']({ target: h.target, key: b64('/cfg/r3'), expectModRevision: fresh.modRevision }))
    expect((await get('/cfg/r3')).exists).toBe(false)
  })

  it('read-only connections refuse writes; production ones need a confirmation', async () => {
    await expect(handlers()['keys/put']({ target: h.readOnly, key: b64('/cfg/ro'), value: { text: 'x' }, expectModRevision: '0' })).rejects.toThrow(/read-only/)
    await expect(handlers()['keys/deletePrefix']({ target: h.readOnly, prefix: b64('/cfg/'), typedPrefix: '/cfg/', expectCount: 1, revision: '1' })).rejects.toThrow(/read-only/)
    await expect(handlers()['keys/put']({ target: h.production, key: b64('/cfg/prod'), value: { text: 'x' }, expectModRevision: '0' })).rejects.toThrow(/production/)
    ok(await handlers()['keys/put']({ target: h.production, key: b64('/cfg/prod'), value: { text: 'x' }, expectModRevision: '0', confirm: true }))
    // Reads are fine everywhere.
    expect((await handlers()['keys/get']({ target: h.readOnly, key: b64('/cfg/prod') })).text).toBe('x')
  })
})

describe('history', () => {
  it('lists the versions still kept, shows the compaction horizon, and restores an old version as a safe write', async () => {
    let rev = '0'
    for (let i = 1; i <= 5; i++) rev = ok(await put('/hist/k', `v${i}`, rev)).modRevision
    const full = await handlers()['keys/history']({ target: h.target, key: b64('/hist/k') })
    expect(full.versions.map((v) => v.text)).toEqual(['v5', 'v4', 'v3', 'v2', 'v1'])
    expect(full.versions.map((v) => v.version)).toEqual(['5', '4', '3', '2', '1'])
    expect(full.compactRevision).toBe('0')
    expect(full.more).toBe(false)

    // Compact at the revision of v3: v1 and v2 are gone, v3 stays readable.
    const v3 = full.versions[2]!
    await h.client.compact(v3.modRevision, true)
    const after = await handlers()['keys/history']({ target: h.target, key: b64('/hist/k') })
    expect(after.compactRevision).toBe(v3.modRevision)
    expect(after.versions.map((v) => v.text)).toEqual(['v5', 'v4', 'v3'])
    expect(after.more).toBe(true)

    // Restore v3: a compare-and-swap against the current version.
    const restored = ok(await put('/hist/k', after.versions[2]!.text!, after.versions[0]!.modRevision))
    expect((await get('/hist/k')).text).toBe('v3')
    expect(restored.modRevision).not.toBe(after.versions[0]!.modRevision)
  })
})

describe('leases', () => {
  it('creates a key with a lease, lists the lease with its TTL and keys, attaches another key, and revokes', async () => {
    const lease = await handlers()['keys/leaseGrant']({ target: h.target, ttl: 600 })
    ok(await put('/lease/a', 'a', '0', { lease: lease.id }))
    const b = ok(await put('/lease/b', 'b', '0'))
    ok(await handlers()['keys/setLease']({ target: h.target, key: b64('/lease/b'), lease: lease.id, expectModRevision: b.modRevision }))
    expect((await get('/lease/b')).lease).toBe(lease.id)
    const list = await handlers()['keys/leases']({ target: h.target })
    const mine = list.find((l) => l.id === lease.id)!
    expect(mine.grantedTtl).toBe(600)
    expect(mine.ttl).toBeGreaterThan(590)
    expect(mine.keys.map((k) => k.display).sort()).toEqual(['/lease/a', '/lease/b'])
    await handlers()['keys/leaseRevoke']({ target: h.target, id: lease.id })
    expect((await get('/lease/a')).exists).toBe(false)
    expect((await get('/lease/b')).exists).toBe(false)
    expect((await handlers()['keys/leases']({ target: h.target })).some((l) => l.id === lease.id)).toBe(false)
  })
})

describe('live watch', () => {
  it('streams puts and deletes under an open folder until stopped', async () => {
    const sink = recordingSink<KeyWatchBatch>()
    const stop = h.services.streams['keys/onWatch']({ target: h.target, key: b64('/live/'), prefix: true }, sink)
    try {
      // The watch is live once a write made after opening it arrives; retry the first write until then.
      const deadline = Date.now() + 10_000
      while (!sink.events.length && Date.now() < deadline) {
        await h.client.put({ key: Buffer.from('/live/probe'), value: Buffer.from('p') })
        await sink.waitFor(() => true, 500).catch(() => undefined)
      }
      await h.client.put({ key: Buffer.from('/live/x'), value: Buffer.from('hello') })
      const putEv = await sink.waitFor((b) => b.events.some((e) => e.key.display === '/live/x' && e.type === 'put'))
      expect(putEv.events.find((e) => e.key.display === '/live/x')!.size).toBe(5)
      await h.client.deleteRange({ key: Buffer.from('/live/x') })
      await sink.waitFor((b) => b.events.some((e) => e.key.display === '/live/x' && e.type === 'delete'))
      // Outside the prefix: not delivered.
      await h.client.put({ key: Buffer.from('/elsewhere'), value: Buffer.from('no') })
      await h.client.put({ key: Buffer.from('/live/after'), value: Buffer.from('yes') })
      await sink.waitFor((b) => b.events.some((e) => e.key.display === '/live/after'))
      expect(sink.events.flatMap((b) => b.events).some((e) => e.key.display === '/elsewhere')).toBe(false)
    } finally {
      stop()
    }
    const count = sink.events.length
    await h.client.put({ key: Buffer.from('/live/stopped'), value: Buffer.from('z') })
    // A write after stop must not arrive; wait for a later write to be visible through a read first.
    expect((await get('/live/stopped')).exists).toBe(true)
    expect(sink.events.length).toBe(count)
  })
})

describe('delete by prefix', () => {
  it('counts first, refuses a mistyped prefix or keys added after counting, then deletes exactly the count', async () => {
    for (let i = 0; i < 250; i++) await h.client.put({ key: Buffer.from(`/del/k${i}`), value: Buffer.from('v') })
    await h.client.put({ key: Buffer.from('/delx'), value: Buffer.from('neighbour') })
    const counted = await handlers()['keys/count']({ target: h.target, prefix: b64('/del/') })
    expect(counted.count).toBe(250)
    await expect(handlers()['keys/deletePrefix']({ target: h.target, prefix: b64('/del/'), typedPrefix: '/del', expectCount: 250, revision: counted.revision })).rejects.toThrow(/does not match/)
    await h.client.put({ key: Buffer.from('/del/late'), value: Buffer.from('v') })
    await expect(handlers()['keys/deletePrefix']({ target: h.target, prefix: b64('/del/'), typedPrefix: '/del/', expectCount: 250, revision: counted.revision })).rejects.toThrow(/changed after you counted/)
    expect((await handlers()['keys/count']({ target: h.target, prefix: b64('/del/') })).count).toBe(251)
    const recount = await handlers()['keys/count']({ target: h.target, prefix: b64('/del/') })
    const res = await handlers()['keys/deletePrefix']({ target: h.target, prefix: b64('/del/'), typedPrefix: '/del/', expectCount: recount.count, revision: recount.revision })
    expect(res.deleted).toBe(251)
    expect((await handlers()['keys/count']({ target: h.target, prefix: b64('/del/') })).count).toBe(0)
    expect((await get('/delx')).exists).toBe(true)
  })
})

describe('import and export', () => {
  it('exports a prefix (binary and non-UTF-8 as base64), plans an import as a diff, imports, and refuses keys changed after the plan', async () => {
    await h.client.put({ key: Buffer.from('/exp/json'), value: Buffer.from('{"a":1}') })
    await h.client.put({ key: Buffer.from('/exp/bin'), value: Buffer.from([0, 1, 2, 255]) })
    await h.client.put({ key: Buffer.concat([Buffer.from('/exp/'), Buffer.from([0xff])]), value: Buffer.from('odd key') })
    const file = await handlers()['keys/export']({ target: h.target, prefix: b64('/exp/') })
    expect(file.keys).toHaveLength(3)
    expect(file.keys.find((k) => k.key === '/exp/bin')).toEqual({ key: '/exp/bin', valueB64: Buffer.from([0, 1, 2, 255]).toString('base64') })
    expect(file.keys.find((k) => k.key === '/exp/\\xff')!.keyB64).toBe(Buffer.from('/exp/\xff', 'latin1').toString('base64'))

    // Edit the file: change one value, add one key; wipe the originals to import into.
    const edited = { ...file, keys: [...file.keys.map((k) => (k.key === '/exp/json' ? { ...k, value: '{"a":2}' } : k)), { key: '/exp/new', value: 'fresh' }] }
    const json = JSON.stringify(edited)
    await h.client.deleteRange({ key: Buffer.from('/exp/bin') })
    const plan = await handlers()['keys/importPlan']({ target: h.target, file: json })
    expect(plan.counts).toEqual({ create: 2, update: 1, unchanged: 1 })
    const upd = plan.items.find((i) => i.action === 'update')!
    expect(upd).toMatchObject({ current: '{"a":1}', incoming: '{"a":2}' })

    // Someone changes a planned key after the dry run: that key is refused, the others written.
    await h.client.put({ key: Buffer.from('/exp/json'), value: Buffer.from('{"a":99}') })
    const res = await handlers()['keys/import']({ target: h.target, file: json, planRevision: plan.revision })
    expect(res.written).toBe(2)
    expect(res.conflicts.map((k) => k.display)).toEqual(['/exp/json'])
    expect((await get('/exp/json')).text).toBe('{"a":99}')
    expect((await get('/exp/new')).text).toBe('fresh')
    const bin = await get('/exp/bin')
    expect(Buffer.from(bin.b64!, 'base64')).toEqual(Buffer.from([0, 1, 2, 255]))
  })
})
