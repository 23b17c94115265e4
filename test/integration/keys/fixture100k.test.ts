// The key editor against a 100,000-key Kubernetes-shaped /registry on real etcd 3.4: browse one level at
// a time, page a 10,000-key folder at one revision, search, open every kind of value (protobuf by schema,
// raw tree, encrypted, >1 MiB truncated, non-UTF-8 keys), and edit.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BrowsePage } from '../../../src-main/shared/api/keys'
import { BIG_FOLDER, BIG_FOLDER_KEYS, FIXTURE_KEYS, LARGE_VALUE_BYTES, LARGE_VALUE_KEYS, loadFixture, NAMESPACES, NON_UTF8_KEYS } from './fixture'
import { b64, startKeysHarness, type KeysHarness } from './support'

let h: KeysHarness

beforeAll(async () => {
  h = await startKeysHarness()
  const t = performance.now()
  const written = await loadFixture(h.client)
  console.log(`loaded ${written} keys in ${Math.round(performance.now() - t)} ms`)
  expect(written).toBe(FIXTURE_KEYS)
}, 180_000)

afterAll(async () => {
  await h?.stop()
})

const browse = (prefix: string | Buffer, extra: { cursor?: string; revision?: string; pageSize?: number } = {}) => h.services.handlers['keys/browse']({ target: h.target, prefix: b64(prefix), ...extra })

describe('browsing a 100k-key /registry', () => {
  it('the root and /registry/ list one level with per-folder counts that add up', async () => {
    const t = performance.now()
    const root = await browse('')
    const rootMs = performance.now() - t
    expect(root.totalKeys).toBe(FIXTURE_KEYS)
    expect(root.entries.map((e) => e.label)).toEqual([''])
    expect(root.entries[0]!.folder).toBe(true)
    expect(root.cursor).toBeNull()

    const t2 = performance.now()
    const reg = await browse('/')
    const lvl = await browse('/registry/')
    const regMs = performance.now() - t2
    console.log(`root level ${Math.round(rootMs)} ms; /, /registry/ levels ${Math.round(regMs)} ms`)
    expect(reg.entries.map((e) => e.label)).toEqual(['app', 'raw', 'registry'])
    const labels = lvl.entries.map((e) => e.label)
    expect(labels).toEqual(['configmaps', 'deployments', 'events', 'example.com', 'leases', 'minions', 'namespaces', 'pods', 'secrets', 'services'])
    expect(lvl.entries.every((e) => e.folder)).toBe(true)
    expect(lvl.pageKeys).toBe(lvl.totalKeys)
    expect(lvl.entries.find((e) => e.label === 'pods')!.count).toBe(NAMESPACES * 180)
    expect(lvl.entries.find((e) => e.label === 'namespaces')!.count).toBe(NAMESPACES)
    // Well under a second each, even on a shared machine.
    expect(rootMs).toBeLessThan(1000)
    expect(regMs).toBeLessThan(2000)
  })

  it('pages a 10,000-key folder at one pinned revision: no gaps, no repeats, writes after the first page invisible', async () => {
    const seen = new Set<string>()
    let page: BrowsePage = await browse(BIG_FOLDER, { pageSize: 1000 })
    const revision = page.revision
    expect(page.totalKeys).toBe(BIG_FOLDER_KEYS)
    // Someone adds a key while the user is paging: it belongs to a later revision.
    await h.client.put({ key: Buffer.from(`${BIG_FOLDER}cm-00000-late`), value: Buffer.from('late') })
    let pages = 1
    for (;;) {
      for (const e of page.entries) {
        expect(seen.has(e.key.b64)).toBe(false)
        seen.add(e.key.b64)
      }
      if (!page.cursor) break
      page = await browse(BIG_FOLDER, { cursor: page.cursor, revision, pageSize: 1000 })
      expect(page.revision).toBe(revision)
      pages++
    }
    expect(pages).toBe(10)
    expect(seen.size).toBe(BIG_FOLDER_KEYS)
    expect(seen.has(b64(`${BIG_FOLDER}cm-00000-late`))).toBe(false)
    // A new browse sees it.
    expect((await browse(BIG_FOLDER, { pageSize: 10 })).totalKeys).toBe(BIG_FOLDER_KEYS + 1)
    await h.client.deleteRange({ key: Buffer.from(`${BIG_FOLDER}cm-00000-late`) })
  })

  it('a level of 200 namespace folders comes in pages with "N of M" counts', async () => {
    const first = await browse('/registry/pods/', { pageSize: 50 })
    expect(first.entries).toHaveLength(50)
    expect(first.entries.every((e) => e.folder && e.count === 180)).toBe(true)
    expect(first.pageKeys).toBe(50 * 180)
    expect(first.totalKeys).toBe(NAMESPACES * 180)
    expect(first.cursor).not.toBeNull()
    const second = await browse('/registry/pods/', { pageSize: 50, cursor: first.cursor!, revision: first.revision })
    expect(second.entries[0]!.label).not.toBe(first.entries[49]!.label)
    expect(second.entries[0]!.label > first.entries[49]!.label).toBe(true)
  })

  it('splits on another separator when asked', async () => {
    const lvl = await h.services.handlers['keys/browse']({ target: h.target, prefix: b64('/registry/pods/default/'), separator: '-' })
    expect(lvl.entries).toEqual([expect.objectContaining({ label: 'web', folder: true, count: 180 })])
  })

  it('server-side prefix search finds keys that were never loaded, with the total count', async () => {
    const r = await h.services.handlers['keys/search']({ target: h.target, query: '/registry/pods/team-150/web-1', limit: 5 })
    expect(r.keys).toHaveLength(5)
    expect(r.count).toBe(1 + 10 + 80) // web-1, web-10..19, web-100..179
    expect(r.keys[0]!.display).toBe('/registry/pods/team-150/web-1')
  })

  it('keys that are not valid UTF-8 are listed escaped, found by their escaped form, opened and edited', async () => {
    const raw = await browse('/raw/')
    const labels = raw.entries.map((e) => e.label)
    expect(labels).toContain('\\xff\\xfe\\x01')
    expect(labels).toContain('\\xc3(')
    expect(labels).toContain('latin1-caf\\xe9')
    const entry = raw.entries.find((e) => e.label === '\\xff\\xfe\\x01')!
    expect(entry.key.utf8).toBe(false)
    expect(Buffer.from(entry.key.b64, 'base64').equals(NON_UTF8_KEYS[0]!)).toBe(true)
    const found = await h.services.handlers['keys/search']({ target: h.target, query: '/raw/\\xff', limit: 10 })
    expect(found.keys.map((k) => k.b64)).toEqual([entry.key.b64])
    const v = await h.services.handlers['keys/get']({ target: h.target, key: entry.key.b64 })
    expect(v.text).toBe('not-utf8 key value')
    const w = await h.services.handlers['keys/put']({ target: h.target, key: entry.key.b64, value: { text: 'edited' }, expectModRevision: v.modRevision })
    expect(w.status).toBe('ok')
    const after = await h.client.range({ key: NON_UTF8_KEYS[0]! })
    expect(after.kvs[0]!.value.toString()).toBe('edited')
  })
})

describe('opening values', () => {
  const get = (key: string, maxBytes?: number) => h.services.handlers['keys/get']({ target: h.target, key: b64(key), ...(maxBytes ? { maxBytes } : {}) })

  it('decodes a Pod, Service, Deployment, Secret, Lease and Event by schema', async () => {
    const p = await get('/registry/pods/team-007/web-3')
    expect(p.format).toBe('kubernetes')
    expect(p.kubernetes).toMatchObject({ apiVersion: 'v1', kind: 'Pod', known: true })
    expect(p.kubernetes!.object).toMatchObject({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web-3', namespace: 'team-007', labels: { app: 'web' }, creationTimestamp: '2023-11-14T22:13:20Z' },
      spec: { containers: [{ name: 'app', image: 'registry.example/app:1.2.3', ports: [{ containerPort: 8080, protocol: 'TCP' }] }], restartPolicy: 'Always' },
      status: { phase: 'Running', podIP: '10.0.0.7' },
    })
    const svc = await get('/registry/services/specs/default/svc-3')
    expect(svc.kubernetes!.object).toMatchObject({ kind: 'Service', spec: { ports: [{ name: 'http', port: 83, targetPort: 8080 }], clusterIP: '10.96.0.10', type: 'ClusterIP' } })
    const dep = await get('/registry/deployments/default/dep-2')
    expect(dep.kubernetes!.object).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment', spec: { replicas: 3 } })
    const sec = await get('/registry/secrets/default/token-3')
    expect(sec.kubernetes!.object).toMatchObject({ kind: 'Secret', data: { token: Buffer.from('secret-3').toString('base64') }, type: 'Opaque' })
    const lease = await get('/registry/leases/default/lease-4')
    expect(lease.kubernetes!.object).toMatchObject({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', spec: { holderIdentity: 'node-4', leaseDurationSeconds: 40 } })
    const ev = await get('/registry/events/default/web-1.17a1')
    expect(ev.kubernetes!.object).toMatchObject({ kind: 'Event', reason: 'Pulled', count: 3, type: 'Normal' })
  })

  it('shows an unknown kind as a raw field tree and encrypted values as encrypted', async () => {
    const w = await get('/registry/example.com/widgets/default/w-1')
    expect(w.kubernetes).toMatchObject({ apiVersion: 'example.com/v1', kind: 'Widget', known: false })
    expect(w.kubernetes!.object).toMatchObject({ '#1': { '#1': 'w-1', '#3': 'default' }, '#2': { '#1': 'blue', '#2': 7 } })
    const enc = await get('/registry/secrets/default/token-10')
    expect(enc.format).toBe('kubernetes-encrypted')
    expect(enc.encrypted).toEqual({ provider: 'aescbc', keyName: 'key1' })
  })

  it('detects JSON, YAML, text and binary', async () => {
    expect((await get('/app/config.json')).format).toBe('json')
    expect((await get('/app/config.yaml')).format).toBe('yaml')
    expect((await get('/app/readme')).format).toBe('text')
    const bin = await get('/app/binary')
    expect(bin.format).toBe('binary')
    expect(Buffer.from(bin.b64!, 'base64').subarray(0, 3)).toEqual(Buffer.from([0, 1, 2]))
  })

  it('a value over 1 MiB opens truncated and in full on request', async () => {
    const part = await get(LARGE_VALUE_KEYS[0]!)
    expect(part.truncated).toBe(true)
    expect(part.size).toBeGreaterThan(LARGE_VALUE_BYTES)
    expect(Buffer.from(part.b64!, 'base64').length).toBe(256 * 1024)
    expect(part.kubernetes).toBeUndefined()
    const all = await get(LARGE_VALUE_KEYS[0]!, 64 * 1024 * 1024)
    expect(all.truncated).toBe(false)
    expect(all.kubernetes!.object).toMatchObject({ kind: 'ConfigMap', metadata: { name: 'huge-0' } })
    expect(((all.kubernetes!.object as { data: { blob: string } }).data.blob).length).toBe(LARGE_VALUE_BYTES)
  })
})
