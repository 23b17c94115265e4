// A snapshot file read like a cluster: Range at the head and at older revisions, prefixes, limits,
// keys-only and count-only, compaction and future revisions, leases; and the impact preview merge of
// two snapshots (the second one standing for the live cluster, read through the same interface).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildEtcdSnapshot, type RevisionInput } from '../../../src-main/bbolt/index'
import { EtcdError } from '../../../src-main/services/etcd/errors'
import { previewImpact, groupOf } from '../../../src-main/services/restore/impact'
import { SnapshotIndex } from '../../../src-main/services/restore/snapshotIndex'
import { SnapshotSource } from '../../../src-main/services/restore/snapshotSource'

const enc = (s: string) => Buffer.from(s)
let tmp: string
let rev = 1n
/** A history of puts and deletes with etcd's revision numbering. */
function history(ops: ([string, string] | [string, null])[]): RevisionInput[] {
  const versions = new Map<string, { create: bigint; version: bigint }>()
  return ops.map(([k, v]) => {
    rev++
    if (v === null) {
      versions.delete(k)
      return { main: rev, sub: 0n, tombstone: true, kv: { key: enc(k), createRevision: 0n, modRevision: 0n, version: 0n, value: new Uint8Array(), lease: 0n } }
    }
    const cur = versions.get(k) ?? { create: rev, version: 0n }
    cur.version++
    versions.set(k, cur)
    return { main: rev, sub: 0n, kv: { key: enc(k), createRevision: cur.create, modRevision: rev, version: cur.version, value: enc(v), lease: k === '/app/leased' ? 7n : 0n } }
  })
}

let snapA: string
let snapB: string
let index: SnapshotIndex
let source: SnapshotSource

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'raftdeck-snapsrc-'))
  rev = 1n
  const base: ([string, string] | [string, null])[] = [
    ['/app/a', '1'],
    ['/app/b', '1'],
    ['/app/c', '1'],
    ['/registry/pods/ns/p1', 'pod1'],
    ['/registry/pods/ns/p2', 'pod2'],
    ['/app/a', '2'],
    ['/app/b', null],
    ['/app/leased', 'x'],
    ['plain', 'no slash'],
  ]
  const hA = history(base)
  snapA = path.join(tmp, 'a.db')
  buildEtcdSnapshot(snapA, { revisions: hA, leases: [{ id: 7n, ttl: 60n, remainingTtl: 0n }], finishedCompactRev: { main: 3n, sub: 0n } })
  // B continues A's history: the "live cluster" after the snapshot.
  const hB = [...hA, ...history([['/registry/pods/ns/p3', 'pod3'], ['/app/c', '2'], ['/registry/pods/ns/p1', null], ['/app/d', 'new']])]
  snapB = path.join(tmp, 'b.db')
  buildEtcdSnapshot(snapB, { revisions: hB })
  index = await SnapshotIndex.build(snapA)
  source = new SnapshotSource(index)
})
afterAll(() => {
  index?.close()
  fs.rmSync(tmp, { recursive: true, force: true })
})

const keys = (r: { kvs: { key: Buffer }[] }) => r.kvs.map((kv) => kv.key.toString())

describe('a snapshot file as a read-only key source', () => {
  it('ranges at the head: single key, prefix, everything, limit, keys-only, count-only', async () => {
    expect(index.headRevision).toBe(10)
    expect(index.liveKeys).toBe(6)
    const one = await source.range({ key: enc('/app/a') })
    expect(one.kvs[0]!.value.toString()).toBe('2')
    expect(one.kvs[0]!.mod_revision).toBe('7')
    expect(one.kvs[0]!.create_revision).toBe('2')
    expect(one.kvs[0]!.version).toBe('2')
    expect(one.header.revision).toBe('10')
    expect(keys(await source.range({ key: enc('/app/'), range_end: enc('/app0') }))).toEqual(['/app/a', '/app/c', '/app/leased'])
    expect(keys(await source.range({ key: Buffer.from([0]), range_end: Buffer.from([0]) }))).toEqual(['/app/a', '/app/c', '/app/leased', '/registry/pods/ns/p1', '/registry/pods/ns/p2', 'plain'])
    const limited = await source.range({ key: Buffer.from([0]), range_end: Buffer.from([0]), limit: 2, keys_only: true })
    expect(keys(limited)).toEqual(['/app/a', '/app/c'])
    expect(limited.more).toBe(true)
    expect(limited.count).toBe('6')
    expect(limited.kvs[0]!.value.length).toBe(0)
    expect((await source.range({ key: enc('/registry/'), range_end: enc('/registry0'), count_only: true })).count).toBe('2')
    expect((await source.range({ key: enc('/app/b') })).kvs).toEqual([])
  })

  it('ranges at older revisions, refuses compacted and future ones as etcd does', async () => {
    expect((await source.range({ key: enc('/app/a'), revision: 6 })).kvs[0]!.value.toString()).toBe('1')
    expect((await source.range({ key: enc('/app/b'), revision: 7 })).kvs[0]!.value.toString()).toBe('1')
    expect((await source.range({ key: enc('/app/'), range_end: enc('/app0'), revision: 4, count_only: true })).count).toBe('3')
    await expect(source.range({ key: enc('/app/a'), revision: 2 })).rejects.toSatisfy((e: unknown) => e instanceof EtcdError && e.kind === 'compacted')
    await expect(source.range({ key: enc('/app/a'), revision: 11 })).rejects.toSatisfy((e: unknown) => e instanceof EtcdError && e.kind === 'future-revision')
  })

  it('leases with the keys attached to them', async () => {
    expect((await source.leaseLeases()).leases).toEqual([{ ID: '7' }])
    const t = await source.leaseTimeToLive('7', true)
    expect(t.grantedTTL).toBe('60')
    expect(t.keys.map((k) => k.toString())).toEqual(['/app/leased'])
  })
})

describe('the impact preview merge', () => {
  it('lists exactly what changed between the snapshot and the later state, grouped by prefix', async () => {
    const live = await SnapshotIndex.build(snapB)
    try {
      const p = await previewImpact(index, new SnapshotSource(live))
      expect({ added: p.added, deleted: p.deleted, changed: p.changed, unchanged: p.unchanged }).toEqual({ added: 2, deleted: 1, changed: 1, unchanged: 4 })
      expect(p.revisionsUndone).toBe(4)
      const by = Object.fromEntries(p.groups.map((g) => [g.prefix, g]))
      expect(by['/registry/pods/']).toMatchObject({ added: 1, deleted: 1, changed: 0, unchanged: 1, samples: { added: ['/registry/pods/ns/p3'], deleted: ['/registry/pods/ns/p1'] } })
      expect(by['/app/']).toMatchObject({ added: 1, changed: 1, unchanged: 2, samples: { added: ['/app/d'], changed: ['/app/c'] } })
      expect(p.warning).toBeNull()
    } finally {
      live.close()
    }
  })

  it('groups Kubernetes keys by resource and others by first segment', () => {
    expect(groupOf('/registry/pods/default/x')).toBe('/registry/pods/')
    expect(groupOf('/registry/ranges')).toBe('/registry/')
    expect(groupOf('/app/x/y')).toBe('/app/')
    expect(groupOf('config/a')).toBe('config/')
    expect(groupOf('plain')).toBe('(no prefix)')
  })
})
