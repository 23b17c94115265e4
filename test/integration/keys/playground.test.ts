// The key editor against a local playground (3 raftdeck members), through the same handlers as a saved
// connection: the playground is only another target. Browse a Kubernetes-shaped key space, open a
// protobuf value, lose a compare-and-swap to a concurrent write, walk history, watch, delete a folder.

import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServices, type Services } from '../../../src-main/services'
import { EtcdClient } from '../../../src-main/services/etcd/client'
import type { Target } from '../../../src-main/shared'
import type { KeyWatchBatch } from '../../../src-main/shared/api/keys'
import type { PlaygroundEvent } from '../../../src-main/shared/api/playground'
import { configMap, pod } from './k8sEncode'
import { b64, recordingSink } from './support'

let tmp: string
let services: Services
let client: EtcdClient
let target: Target

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'raftdeck-keys-pg-'))
  services = createServices({ dataDir: path.join(tmp, 'data'), shell: 'browser', version: 'test' })
  const pg = await services.handlers['playground/create']({ name: 'keys', members: 3 })
  target = { kind: 'playground', id: pg.id }
  // Ready = running with one leader that every member follows.
  const events = recordingSink<PlaygroundEvent>()
  const stop = services.streams['playground/onEvents']({ id: pg.id }, events)
  try {
    const ready = await events.waitFor((e) => {
      const up = e.state.members.filter((m) => m.process === 'running')
      const leader = up.find((m) => m.raft?.role === 'leader')
      return e.state.phase === 'running' && up.length === 3 && !!leader && up.every((m) => m.raft?.leader === leader.id)
    }, 60_000)
    client = new EtcdClient({ endpoints: ready.state.members.map((m) => m.clientUrl), requestTimeoutMs: 30_000 })
  } finally {
    stop()
  }
  // A small /registry: 3 namespaces × 200 pods and 20 config maps, in transactions of 100 puts.
  const puts: { key: Buffer; value: Buffer }[] = []
  for (const ns of ['default', 'kube-system', 'team-a']) {
    for (let i = 0; i < 200; i++) puts.push({ key: Buffer.from(`/registry/pods/${ns}/web-${i}`), value: pod(ns, `web-${i}`) })
    for (let i = 0; i < 20; i++) puts.push({ key: Buffer.from(`/registry/configmaps/${ns}/cm-${i}`), value: configMap(ns, `cm-${i}`, { k: String(i) }) })
  }
  for (let i = 0; i < puts.length; i += 100) await client.txn({ compare: [], success: puts.slice(i, i + 100).map((p) => ({ request_put: p })), failure: [] })
}, 120_000)

afterAll(async () => {
  client?.close()
  await services?.dispose()
  if (tmp) rmSync(tmp, { recursive: true, force: true })
})

const h = () => services.handlers

describe('the key editor on a playground', () => {
  it('browses one level with counts, pages at one revision, and decodes a Pod', async () => {
    const lvl = await h()['keys/browse']({ target, prefix: b64('/registry/') })
    expect(lvl.entries.map((e) => [e.label, e.count])).toEqual([
      ['configmaps', 60],
      ['pods', 600],
    ])
    const first = await h()['keys/browse']({ target, prefix: b64('/registry/pods/default/'), pageSize: 150 })
    expect(first.totalKeys).toBe(200)
    const second = await h()['keys/browse']({ target, prefix: b64('/registry/pods/default/'), pageSize: 150, cursor: first.cursor!, revision: first.revision })
    expect(first.entries.length + second.entries.length).toBe(200)
    expect(second.cursor).toBeNull()
    const v = await h()['keys/get']({ target, key: b64('/registry/pods/team-a/web-9') })
    expect(v.kubernetes).toMatchObject({ kind: 'Pod', known: true, object: { metadata: { name: 'web-9', namespace: 'team-a' } } })
  })

  it('a concurrent write between load and save is a conflict, never an overwrite', async () => {
    const created = await h()['keys/put']({ target, key: b64('/app/cfg'), value: { text: 'a: 1' }, expectModRevision: '0' })
    expect(created.status).toBe('ok')
    const loaded = await h()['keys/get']({ target, key: b64('/app/cfg') })
    await client.put({ key: Buffer.from('/app/cfg'), value: Buffer.from('a: 2') })
    const save = await h()['keys/put']({ target, key: b64('/app/cfg'), value: { text: 'a: 3' }, expectModRevision: loaded.modRevision })
    expect(save).toMatchObject({ status: 'conflict', theirs: { text: 'a: 2' } })
    const history = await h()['keys/history']({ target, key: b64('/app/cfg') })
    expect(history.versions.map((x) => x.text)).toEqual(['a: 2', 'a: 1'])
  })

  it('streams changes under a folder and deletes exactly the counted keys', async () => {
    const sink = recordingSink<KeyWatchBatch>()
    const head = await h()['keys/count']({ target, prefix: b64('/registry/configmaps/') })
    const stop = services.streams['keys/onWatch']({ target, key: b64('/registry/configmaps/'), prefix: true, fromRevision: String(Number(head.revision) + 1) }, sink)
    try {
      await client.put({ key: Buffer.from('/registry/configmaps/default/new'), value: configMap('default', 'new', {}) })
      await sink.waitFor((b) => b.events.some((e) => e.key.display === '/registry/configmaps/default/new'))
    } finally {
      stop()
    }
    const counted = await h()['keys/count']({ target, prefix: b64('/registry/configmaps/team-a/') })
    expect(counted.count).toBe(20)
    const res = await h()['keys/deletePrefix']({ target, prefix: b64('/registry/configmaps/team-a/'), typedPrefix: '/registry/configmaps/team-a/', expectCount: 20, revision: counted.revision })
    expect(res.deleted).toBe(20)
    expect((await h()['keys/count']({ target, prefix: b64('/registry/configmaps/') })).count).toBe(41)
  })
})
