// A 100,000-key fixture shaped like a Kubernetes /registry: many namespaces and resource types with real
// protobuf values, one folder of exactly 10,000 keys, a few values over 1 MiB, encrypted-at-rest values,
// keys that are not valid UTF-8, and some JSON/YAML/text keys outside /registry. Loaded with concurrent
// transactions of many puts (one Raft entry per 100 keys).

import type { EtcdClient } from '../../../src-main/services/etcd/client'
import { configMap, deployment, event, lease, namespace, pod, secret, service, widget } from './k8sEncode'

export const NAMESPACES = 200
/** A folder holding exactly this many keys: /registry/configmaps/big/. */
export const BIG_FOLDER = '/registry/configmaps/big/'
export const BIG_FOLDER_KEYS = 10_000
export const LARGE_VALUE_KEYS = ['/registry/configmaps/kube-system/huge-0', '/registry/configmaps/kube-system/huge-1', '/registry/configmaps/kube-system/huge-2']
export const LARGE_VALUE_BYTES = 1_200_000
export const NON_UTF8_KEYS = [Buffer.from([0x2f, 0x72, 0x61, 0x77, 0x2f, 0xff, 0xfe, 0x01]), Buffer.from([0x2f, 0x72, 0x61, 0x77, 0x2f, 0xc3, 0x28]), Buffer.concat([Buffer.from('/raw/latin1-caf'), Buffer.from([0xe9])])]

export interface FixtureEntry {
  key: Buffer
  value: Buffer
}

const ns = (i: number) => (i === 0 ? 'kube-system' : i === 1 ? 'default' : `team-${String(i).padStart(3, '0')}`)

/** Deterministic: the same 100,000 keys every run. */
export function* fixtureEntries(): Generator<FixtureEntry> {
  const put = (key: string, value: Buffer | string): FixtureEntry => ({ key: Buffer.from(key, 'utf8'), value: Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8') })
  let n = 0
  for (let i = 0; i < NAMESPACES; i++) {
    const s = ns(i)
    yield put(`/registry/namespaces/${s}`, namespace(s))
    n++
    for (let p = 0; p < 180; p++, n++) yield put(`/registry/pods/${s}/web-${p}`, pod(s, `web-${p}`))
    for (let e = 0; e < 120; e++, n++) yield put(`/registry/events/${s}/web-${e}.17a${e}`, event(s, `web-${e}.17a${e}`, e % 2 ? 'Pulled' : 'Started'))
    for (let c = 0; c < 40; c++, n++) yield put(`/registry/configmaps/${s}/cm-${c}`, configMap(s, `cm-${c}`, { 'app.properties': `level=info\nid=${c}\n` }))
    for (let c = 0; c < 30; c++, n++) yield put(`/registry/secrets/${s}/token-${c}`, c % 10 === 0 ? Buffer.concat([Buffer.from('k8s:enc:aescbc:v1:key1:'), Buffer.alloc(64, c)]) : secret(s, `token-${c}`, { token: Buffer.from(`secret-${c}`) }))
    for (let c = 0; c < 20; c++, n++) yield put(`/registry/services/specs/${s}/svc-${c}`, service(s, `svc-${c}`, 80 + c))
    for (let c = 0; c < 20; c++, n++) yield put(`/registry/deployments/${s}/dep-${c}`, deployment(s, `dep-${c}`, 1 + (c % 3)))
    for (let c = 0; c < 20; c++, n++) yield put(`/registry/leases/${s}/lease-${c}`, lease(s, `lease-${c}`, `node-${c}`))
    for (let c = 0; c < 2; c++, n++) yield put(`/registry/example.com/widgets/${s}/w-${c}`, widget(s, `w-${c}`))
  }
  for (let c = 0; c < BIG_FOLDER_KEYS; c++, n++) yield put(`${BIG_FOLDER}cm-${String(c).padStart(5, '0')}`, configMap('big', `cm-${c}`, { k: String(c) }))
  for (const k of LARGE_VALUE_KEYS) {
    n++
    yield put(k, configMap('kube-system', k.split('/').pop()!, { blob: 'x'.repeat(LARGE_VALUE_BYTES) }))
  }
  for (const key of NON_UTF8_KEYS) {
    n++
    yield { key, value: Buffer.from('not-utf8 key value') }
  }
  const plain: [string, string][] = [
    ['/app/config.json', JSON.stringify({ replicas: 3, features: { search: true }, name: 'raftdeck' }, null, 2)],
    ['/app/config.yaml', 'replicas: 3\nfeatures:\n  search: true\nname: raftdeck\n'],
    ['/app/readme', 'plain text value'],
    ['/app/binary', '\u0000\u0001\u0002binary'],
  ]
  for (const [k, v] of plain) {
    n++
    yield put(k, v)
  }
  // Fill up to exactly 100,000 with node objects.
  for (let i = 0; n < 100_000; i++, n++) yield put(`/registry/minions/node-${String(i).padStart(5, '0')}`, namespace(`node-${i}`))
}

export const FIXTURE_KEYS = 100_000

/** Loads the fixture with `concurrency` transactions of up to 100 puts (and ≤ 1 MiB) in flight. */
export async function loadFixture(client: EtcdClient, concurrency = 16): Promise<number> {
  const it = fixtureEntries()
  let done = false
  let written = 0
  let pending: FixtureEntry | null = null
  const nextBatch = (): FixtureEntry[] => {
    const batch: FixtureEntry[] = []
    let bytes = 0
    while (batch.length < 100) {
      let e = pending
      pending = null
      if (!e) {
        const r = done ? { done: true as const } : it.next()
        if (r.done) {
          done = true
          break
        }
        e = r.value
      }
      // etcd refuses requests over 1.5 MiB: a big value goes in a batch of its own.
      if (batch.length > 0 && bytes + e.value.length > 1024 * 1024) {
        pending = e
        break
      }
      batch.push(e)
      bytes += e.value.length
    }
    return batch
  }
  const worker = async () => {
    for (;;) {
      const batch = nextBatch()
      if (batch.length === 0) return
      await client.txn({ compare: [], success: batch.map((e) => ({ request_put: { key: e.key, value: e.value } })), failure: [] })
      written += batch.length
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return written
}
