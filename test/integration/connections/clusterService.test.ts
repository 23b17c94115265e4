// The cluster health services give the same answers as etcdctl on the same real etcd 3.4 cluster:
// TLS + client certificates + auth for status, members, HashKV and defragment; a small-quota cluster
// for the NOSPACE alarm and its disarm.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServices, type Services } from '../../../src-main/services'
import type { Target } from '../../../src-main/shared'
import { makePki, type Pki } from '../../support/certs'
import { enableAuth, startEtcdCluster, type EtcdCluster } from '../../support/etcd'

/** etcdctl's JSON prints uint64 IDs as bare numbers; keep every digit by quoting long ones first. */
const parseExact = <T>(json: string): T => JSON.parse(json.replace(/([:\[,]\s*)(\d{16,})/g, '$1"$2"')) as T

interface CtlStatus {
  Endpoint: string
  Status: { header: { member_id: string; revision: number }; version: string; dbSize: number; leader: string; raftIndex: number; raftTerm: number; raftAppliedIndex: number; dbSizeInUse: number }
}

let tmp: string
let pki: Pki
let cluster: EtcdCluster
let services: Services
let dataDir: string
let target: Target
const PASSWORD = 'rootpw'

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'raftdeck-cluster-'))
  pki = makePki(path.join(tmp, 'pki'))
  dataDir = path.join(tmp, 'data')
  cluster = await startEtcdCluster({ pki })
  await enableAuth(cluster)
  for (let i = 0; i < 50; i++) await cluster.etcdctl(['put', `/app/k${i}`, `v${i}`], { user: `root:${PASSWORD}` })
  services = createServices({ dataDir, shell: 'browser', version: 'test' })
  const saved = await services.handlers['connections/save']({
    input: { name: 'prod-like', endpoints: cluster.endpoints, tls: { caFile: pki.ca, certFile: pki.clientCert, keyFile: pki.clientKey }, username: 'root', password: PASSWORD },
  })
  target = { kind: 'connection', id: saved.id }
})

afterAll(async () => {
  await services?.dispose()
  await cluster?.stop()
  rmSync(tmp, { recursive: true, force: true })
})

describe('cluster health through the services, compared with etcdctl', () => {
  it('endpoint status matches etcdctl endpoint status', async () => {
    const ours = await services.handlers['cluster/status']({ target })
    const theirs = parseExact<CtlStatus[]>(await cluster.etcdctl(['endpoint', 'status', '-w', 'json'], { user: `root:${PASSWORD}` }))
    expect(ours.endpoints).toHaveLength(3)
    for (const t of theirs) {
      const o = ours.endpoints.find((e) => e.endpoint === t.Endpoint)!
      expect(o.ok).toBe(true)
      expect(o.memberId).toBe(String(t.Status.header.member_id))
      expect(o.version).toBe(t.Status.version)
      expect(o.leader).toBe(String(t.Status.leader))
      expect(o.raftTerm).toBe(String(t.Status.raftTerm))
      expect(o.dbSize).toBe(t.Status.dbSize)
      // Indexes only grow; ours was taken first.
      expect(Number(o.raftIndex)).toBeLessThanOrEqual(t.Status.raftIndex)
    }
    expect(ours.leaderId).toBe(String(theirs[0]!.Status.leader))
    expect(ours.alarms).toEqual([])
  })

  it('member list matches etcdctl member list, with full 64-bit IDs', async () => {
    const ours = await services.handlers['cluster/status']({ target })
    const theirs = parseExact<{ members: { ID: string; name: string; peerURLs: string[]; clientURLs: string[] }[] }>(await cluster.etcdctl(['member', 'list', '-w', 'json'], { user: `root:${PASSWORD}` }))
    const norm = (ms: { id?: string; ID?: string; name: string; peerURLs: string[]; clientURLs: string[] }[]) =>
      ms.map((m) => ({ id: String(m.id ?? m.ID), name: m.name, peer: m.peerURLs.join(','), client: m.clientURLs.join(',') })).sort((a, b) => a.name.localeCompare(b.name))
    expect(norm(ours.members)).toEqual(norm(theirs.members))
    expect(ours.members).toHaveLength(3)
  })

  it('HashKV at one revision matches etcdctl endpoint hashkv and is consistent', async () => {
    const ours = await services.handlers['cluster/hashKV']({ target })
    expect(ours.consistent).toBe(true)
    const theirs = parseExact<{ Endpoint: string; HashKV: { hash: number } }[]>(await cluster.etcdctl(['endpoint', 'hashkv', `--rev=${ours.revision}`, '-w', 'json'], { user: `root:${PASSWORD}` }))
    for (const t of theirs) expect(ours.members.find((m) => m.endpoint === t.Endpoint)?.hash).toBe(t.HashKV.hash)
  })

  it('defragments one member at a time and reports its new size', async () => {
    for (const endpoint of cluster.endpoints) {
      const after = await services.handlers['cluster/defragment']({ target, endpoint })
      const theirs = parseExact<CtlStatus[]>(await cluster.etcdctl(['endpoint', 'status', '-w', 'json'], { user: `root:${PASSWORD}`, endpoints: [endpoint] }))
      expect(after.ok).toBe(true)
      expect(after.dbSize).toBe(theirs[0]!.Status.dbSize)
      expect(after.dbSizeInUse).toBe(theirs[0]!.Status.dbSizeInUse)
    }
  })

  it('refuses writes on a production connection unless confirmed, and on a read-only one always', async () => {
    const c = (await services.handlers['connections/list']({}))[0]!
    await services.handlers['connections/save']({ input: { ...c, id: c.id, tls: c.tls ?? undefined, ssh: c.ssh ?? undefined, username: c.username ?? undefined, production: true } })
    await expect(services.handlers['cluster/compact']({ target })).rejects.toThrow(/marked as production/)
    const compacted = await services.handlers['cluster/compact']({ target, confirm: true })
    expect(Number(compacted.revision)).toBeGreaterThan(50)
    await services.handlers['connections/save']({ input: { ...c, id: c.id, tls: c.tls ?? undefined, ssh: c.ssh ?? undefined, username: c.username ?? undefined, readOnly: true } })
    await expect(services.handlers['cluster/compact']({ target, confirm: true })).rejects.toThrow(/read-only/)
  })

  it('writes no secret in plain text into any file of the data folder', async () => {
    const files: string[] = []
    const walk = (d: string) => {
      for (const e of readdirSync(d)) {
        const p = path.join(d, e)
        if (statSync(p).isDirectory()) walk(p)
        else files.push(p)
      }
    }
    walk(dataDir)
    expect(files.map((f) => path.basename(f)).sort()).toEqual(['connections.json', 'secret.key'])
    for (const f of files) {
      const body = readFileSync(f)
      expect(body.includes(Buffer.from(PASSWORD))).toBe(false)
      expect(body.includes(Buffer.from(Buffer.from(PASSWORD).toString('base64')))).toBe(false)
      expect(statSync(f).mode & 0o077).toBe(0)
    }
    expect(readFileSync(path.join(dataDir, 'connections.json'), 'utf8')).toContain('"sealedPassword": "v1:')
  })
})

describe('alarms', () => {
  it('shows a NOSPACE alarm as etcdctl does, and disarms it after compaction and defragmentation', async () => {
    const small = await startEtcdCluster({ size: 1, flags: ['--quota-backend-bytes=1048576'] })
    const svc = createServices({ dataDir: path.join(tmp, 'data-alarm'), shell: 'browser', version: 'test' })
    try {
      const { id } = await svc.handlers['connections/save']({ input: { name: 'small', endpoints: small.endpoints } })
      const t: Target = { kind: 'connection', id }
      const value = 'x'.repeat(64 * 1024)
      let full = false
      for (let i = 0; i < 64 && !full; i++) {
        full = await small.etcdctl(['put', `/fill/${i}`, value]).then(
          () => false,
          (e: { stderr: string }) => /database space exceeded/.test(e.stderr),
        )
      }
      expect(full).toBe(true)
      const status = await svc.handlers['cluster/status']({ target: t })
      expect(status.alarms.map((a) => a.alarm)).toEqual(['NOSPACE'])
      expect(await small.etcdctl(['alarm', 'list'])).toContain('alarm:NOSPACE')
      await small.etcdctl(['del', '--prefix', '/fill/'])
      await svc.handlers['cluster/compact']({ target: t, physical: true })
      await svc.handlers['cluster/defragment']({ target: t, endpoint: small.endpoints[0]! })
      const left = await svc.handlers['cluster/disarmAlarm']({ target: t, memberId: status.alarms[0]!.memberId, alarm: 'NOSPACE' })
      expect(left).toEqual([{ memberId: status.alarms[0]!.memberId, alarm: 'NOSPACE' }])
      expect((await small.etcdctl(['alarm', 'list'])).trim()).toBe('')
      expect((await svc.handlers['cluster/status']({ target: t })).alarms).toEqual([])
    } finally {
      await svc.dispose()
      await small.stop()
    }
  })
})
