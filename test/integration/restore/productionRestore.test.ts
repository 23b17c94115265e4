// The guided restore of a production cluster, on real etcd 3.4: three members with TLS client
// certificates, run by (a stand-in for) systemd. The plan comes from `raftdeck restore plan`, the
// restore is done by running the generated per-member scripts at the same time, exactly as an operator
// would on three hosts, and `raftdeck restore verify` checks the result. Before the restore, the impact
// preview must list exactly the changes made after the snapshot.
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServices, type Services } from '../../../src-main/services'
import { RESTORE_SETTLE_MS, verifyCluster } from '../../../src-main/services/cluster/checks'
import { EtcdClient } from '../../../src-main/services/etcd/client'
import type { Target } from '../../../src-main/shared'
import { makePki, type Pki } from '../../support/certs'
import { fakeSystemd, type FakeSystemd } from '../../support/fakeSystemd'
import { raftdeckArgv } from '../../support/raftdeck'
import { freePorts } from '../../support/ports'
import { dump, parseExact, startHostCluster, type HostCluster } from './support'

/** etcdctl's JSON IDs are decimal uint64; plans print etcdctl's hex form (%x). */
const hex = (dec: string) => BigInt(dec).toString(16)

let tmp: string
let pki: Pki
let sys: FakeSystemd
let cluster: HostCluster
let services: Services
let target: Target
const snapshot = () => path.join(tmp, 'snap.db')

function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const [cmd, argv] = raftdeckArgv(args)
  return runProcess(cmd, argv, env)
}

function runProcess(cmd: string, argv: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], ...(cwd ? { cwd } : {}) })
    let stdout = ''
    let stderr = ''
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }))
  })
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'raftdeck-prodrestore-'))
  pki = makePki(path.join(tmp, 'pki'))
  sys = fakeSystemd(path.join(tmp, 'systemd'))
  cluster = await startHostCluster(tmp, pki, sys)
  services = createServices({ dataDir: path.join(tmp, 'app'), shell: 'browser', version: 'test' })
  const saved = await services.handlers['connections/save']({
    input: { name: 'prod', endpoints: cluster.clientUrls, tls: { caFile: pki.ca, certFile: pki.clientCert, keyFile: pki.clientKey }, production: true },
  })
  target = { kind: 'connection', id: saved.id }
})

afterAll(async () => {
  await services?.dispose()
  sys?.stopAll()
  rmSync(tmp, { recursive: true, force: true })
})

/** The snapshot's keys and values (as the cluster held them when it was taken) and its revision. */
let before: string[][]
let snapRevision: number

describe('restore of a 3-member TLS cluster with the generated scripts', () => {
  it('previews exactly the changes made after the snapshot', async () => {
    for (let i = 0; i < 30; i++) await cluster.etcdctl(['put', `/registry/pods/default/pod-${i}`, `pod ${i}`])
    for (let i = 0; i < 10; i++) await cluster.etcdctl(['put', `/registry/configmaps/kube-system/cm-${i}`, `cm ${i}`])
    for (let i = 0; i < 6; i++) await cluster.etcdctl(['put', `/app/k${i}`, `v${i}`])
    await cluster.etcdctl(['snapshot', 'save', snapshot()], [cluster.clientUrls[0]!])
    before = await dump(cluster, cluster.clientUrls[0]!)
    snapRevision = (await services.handlers['restore/inspect']({ path: snapshot() })).status!.revision

    // After the snapshot: 3 pods added, 2 configmaps deleted, 4 app keys changed, one key written and deleted again.
    for (let i = 30; i < 33; i++) await cluster.etcdctl(['put', `/registry/pods/default/pod-${i}`, `pod ${i}`])
    for (let i = 0; i < 2; i++) await cluster.etcdctl(['del', `/registry/configmaps/kube-system/cm-${i}`])
    for (let i = 0; i < 4; i++) await cluster.etcdctl(['put', `/app/k${i}`, `changed ${i}`])
    await cluster.etcdctl(['put', '/tmp/short-lived', 'x'])
    await cluster.etcdctl(['del', '/tmp/short-lived'])

    const impact = await services.handlers['restore/impact']({ path: snapshot(), target })
    expect({ added: impact.added, deleted: impact.deleted, changed: impact.changed, unchanged: impact.unchanged }).toEqual({ added: 3, deleted: 2, changed: 4, unchanged: 40 })
    expect(impact.snapshotRevision).toBe(snapRevision)
    expect(impact.revisionsUndone).toBe(Number(impact.liveRevision) - snapRevision)
    expect(impact.revisionsUndone).toBe(3 + 2 + 4 + 2)
    const g = Object.fromEntries(impact.groups.map((x) => [x.prefix, { added: x.added, deleted: x.deleted, changed: x.changed }]))
    expect(g).toEqual({
      '/registry/pods/': { added: 3, deleted: 0, changed: 0 },
      '/registry/configmaps/': { added: 0, deleted: 2, changed: 0 },
      '/app/': { added: 0, deleted: 0, changed: 4 },
    })
    expect(impact.groups.find((x) => x.prefix === '/registry/pods/')!.samples.added).toEqual(['/registry/pods/default/pod-30', '/registry/pods/default/pod-31', '/registry/pods/default/pod-32'])
    expect(impact.warning).toBeNull()
  })

  it('plans from the live cluster, runs every member’s script at once, and verify passes with the precomputed IDs', async () => {
    const found = await services.handlers['restore/discover']({ connectionId: target.id })
    expect(found.members.map((m) => m.name).sort()).toEqual(cluster.names)
    expect(found.split).toBeNull()
    const version = found.members[0]!.etcdVersion
    expect(version).toBe('3.4.23')

    const planDir = path.join(tmp, 'plan')
    const args = ['restore', 'plan', '--snapshot', snapshot(), '--etcd-version', version, '-o', planDir, '-w', 'json']
    cluster.names.forEach((n, i) => args.push('--member', `${n}=${cluster.peerUrls[i]}`, '--client-url', `${n}=${cluster.clientUrls[i]}`, '--data-dir', `${n}=${cluster.dataDirs[i]}`, '--systemd-unit', `${n}=${cluster.units[i]}`))
    const planned = await runCli(args)
    expect(planned.stderr).toBe('')
    expect(planned.code).toBe(0)
    const out = JSON.parse(planned.stdout) as { header: { cluster_id: string }; members: { ID: string; name: string; peerURLs: string[] }[]; token: string; bump: { revision: number; mode: string }; restoreFile: { fileName: string } }
    // Kubernetes data (/registry/) and etcd 3.4.23 (no --bump-revision): the bump is written into the file.
    expect(out.bump).toMatchObject({ revision: 1_000_000_000, mode: 'file' })
    expect(out.token).not.toBe(cluster.token)

    const scripts = cluster.names.map((n) => path.join(planDir, `restore-${n}.sh`))
    const env = { PATH: `${sys.bin}:${process.env.PATH}`, ETCDCTL_CACERT: pki.ca, ETCDCTL_CERT: pki.clientCert, ETCDCTL_KEY: pki.clientKey }
    const runs = await Promise.all(scripts.map((s) => runProcess('bash', [s], env)))
    for (const [i, r] of runs.entries()) expect(r.code, `${cluster.names[i]}:\n${r.stdout}\n${r.stderr}`).toBe(0)
    expect(runs[0]!.stdout).toContain('OK: member')

    // etcd's own view of the restored cluster: the plan's IDs exactly.
    const list = parseExact<{ header: { cluster_id: string }; members: { ID: string; name: string; peerURLs: string[] }[] }>(await cluster.etcdctl(['member', 'list', '-w', 'json']))
    expect(hex(list.header.cluster_id)).toBe(out.header.cluster_id)
    expect(list.members.map((m) => [m.name, hex(m.ID), m.peerURLs]).sort()).toEqual(out.members.map((m) => [m.name, m.ID, m.peerURLs]).sort())

    // Identical data on every member: the snapshot's, at a revision past the bump.
    for (const ep of cluster.clientUrls) expect(await dump(cluster, ep)).toEqual(before)
    const st = parseExact<{ Status: { header: { revision: number } } }[]>(await cluster.etcdctl(['endpoint', 'status', '-w', 'json']))
    for (const s of st) expect(Number(s.Status.header.revision)).toBe(snapRevision + 1_000_000_000)

    // The old data dirs were moved aside, not deleted.
    const stamp = (JSON.parse(readFileSync(path.join(planDir, 'plan.json'), 'utf8')) as { stamp: string }).stamp
    for (const d of cluster.dataDirs) expect(existsSync(path.join(`${d}.pre-restore-${stamp}`, 'member', 'wal'))).toBe(true)

    const verified = await runCli(['restore', 'verify', '--plan', planDir, ...cluster.tlsArgs])
    expect(verified.code, verified.stdout + verified.stderr).toBe(0)
    for (const id of ['reachable', 'one-leader', 'cluster-id', 'member-ids', 'member-list', 'revision', 'key-count', 'hashkv', 'alarms']) expect(verified.stdout).toMatch(new RegExp(`^PASS  ${id} `, 'm'))
    expect(verified.stdout).toContain(out.header.cluster_id)
  })

  it('verify passes on a healthy cluster without a plan, and names the member it cannot reach', async () => {
    const ok = await runCli(['restore', 'verify', '--endpoints', cluster.clientUrls.join(','), ...cluster.tlsArgs])
    expect(ok.code, ok.stdout).toBe(0)
    expect(ok.stdout).toContain('every check passed')

    sys.systemctl('stop', cluster.units[2]!)
    try {
      const down = await runCli(['restore', 'verify', '--endpoints', cluster.clientUrls.join(','), ...cluster.tlsArgs])
      expect(down.code).toBe(1)
      expect(down.stdout).toMatch(new RegExp(`^FAIL  reachable .*${cluster.clientUrls[2]!.replace(/[.]/g, '\\.')}`, 'm'))
      const check = await services.handlers['cluster/check']({ target })
      const reach = check.checks.find((c) => c.id === 'reachable')!
      expect(reach.status).toBe('fail')
      expect(reach.details!.join('\n')).toContain(cluster.clientUrls[2]!)
      expect(reach.fix).toBeTruthy()
    } finally {
      sys.systemctl('start', cluster.units[2]!)
      await cluster.waitHealthy()
    }
  })

  it('verification after a restore waits for a member that is still starting, although its connection was refused', async () => {
    const client = new EtcdClient({
      endpoints: cluster.clientUrls,
      tls: { ca: readFileSync(pki.ca), cert: readFileSync(pki.clientCert), key: readFileSync(pki.clientKey), insecureSkipVerify: false, caCerts: [] },
    })
    try {
      sys.systemctl('stop', cluster.units[1]!)
      // The member is down: this client's connection to it is refused and then backs off before dialling again.
      await expect(client.status(cluster.clientUrls[1]!)).rejects.toThrow()
      // The script's last step: start, without waiting. Verification comes right after; without waiting for
      // the member it reports ECONNREFUSED for a member that runs (seen in the e2e restore).
      sys.systemctl('start', cluster.units[1]!)
      const report = await verifyCluster(client, cluster.clientUrls, undefined, RESTORE_SETTLE_MS)
      const reach = report.checks.find((c) => c.id === 'reachable')!
      expect(reach.status, JSON.stringify(report.endpoints)).toBe('pass')
      expect(report.ok, JSON.stringify(report.checks)).toBe(true)
    } finally {
      client.close()
      sys.systemctl('start', cluster.units[1]!)
      await cluster.waitHealthy()
    }
  })

  it('an unreachable target still allows a plan typed by hand', async () => {
    const [dead] = await freePorts(1)
    const conn = await services.handlers['connections/save']({ input: { name: 'gone', endpoints: [`https://127.0.0.1:${dead}`], tls: { caFile: pki.ca, certFile: pki.clientCert, keyFile: pki.clientKey } } })
    const found = await services.handlers['restore/discover']({ connectionId: conn.id })
    expect(found.members).toEqual([])
    expect(found.unreachable.map((u) => u.endpoint)).toEqual([`https://127.0.0.1:${dead}`])
    const byHand = ['a', 'b', 'c'].map((name, i) => ({ name, peerURLs: [`https://10.1.0.${i + 1}:2380`], clientURLs: [`https://10.1.0.${i + 1}:2379`], dataDir: '/var/lib/etcd', etcdVersion: '3.6', run: { kind: 'systemd' as const } }))
    const planned = await services.handlers['restore/plan']({ snapshotPath: snapshot(), members: byHand })
    expect(planned.plan.members.map((m) => m.tool)).toEqual(['etcdutl', 'etcdutl', 'etcdutl'])
    expect(planned.plan.bump).toMatchObject({ mode: 'flags', revision: 1_000_000_000 })
    expect(planned.files.find((f) => f.name === 'restore-b.sh')!.content).toContain('--bump-revision=1000000000 \\\n    --mark-compacted')
    // …and bad fields are refused with the field named, nothing written.
    await expect(services.handlers['restore/plan']({ snapshotPath: snapshot(), members: [byHand[0]!, { ...byHand[1]!, name: 'a', dataDir: 'relative' }] })).rejects.toMatchObject({ message: expect.stringMatching(/^members\[1\]\.name: "a" is already the name of member 1/) })
  })

  it('the lint catches a kubeasz-style playbook that restores once and copies', async () => {
    const playbook = path.join(tmp, 'restore.yml')
    writeFileSync(playbook, readFileSync(path.join(__dirname, '../../fixtures/restore/kubeasz-style-restore.yml'), 'utf8'))
    const r = await runCli(['restore', 'lint', playbook])
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/ERROR line \d+: \[restore-copied\] One restore \(line \d+, run once\) is copied to the other members .*member ID 8e9e05c52164694d/)
    expect(r.stdout).toContain('[missing-flag]')
    // The plan's own scripts pass the same lint.
    const own = await runCli(['restore', 'lint', path.join(tmp, 'plan', 'restore-m1.sh')])
    expect(own.stdout).not.toContain('ERROR')
  })
})

describe('rehearsal on this machine', () => {
  const localCtl = (endpoints: string[]) => ({
    etcdctl: async (args: string[], eps = endpoints) => {
      const r = await runProcess('/usr/bin/etcdctl', [`--endpoints=${eps.join(',')}`, ...args], { ETCDCTL_API: '3' })
      if (r.code !== 0) throw new Error(r.stderr)
      return r.stdout
    },
  })
  let planId: string

  it('rehearses the plan on real etcd: one leader, the precomputed IDs and the snapshot’s data on every member', async () => {
    const found = await services.handlers['restore/discover']({ connectionId: target.id })
    const planned = await services.handlers['restore/plan']({ snapshotPath: snapshot(), members: found.members.map(({ id: _i, reachable: _r, error: _e, ...m }) => m) })
    planId = planned.plan.id
    const r = await services.handlers['restore/rehearse']({ planId, engine: 'etcd', procedure: 'plan' })
    expect(r.report.checks.filter((c) => c.status !== 'pass'), JSON.stringify(r.report.checks, null, 1)).toEqual([])
    expect(r.report.ok).toBe(true)
    expect(r.steps.filter((s) => s.title.startsWith('Restore ')).map((s) => s.command.split(' ').slice(1, 3).join(' '))).toEqual(['snapshot restore', 'snapshot restore', 'snapshot restore'])
    const endpoints = r.ids.members.map((m) => m.clientURL)
    const ctl = localCtl(endpoints)
    const list = parseExact<{ header: { cluster_id: string }; members: { ID: string; name: string }[] }>(await ctl.etcdctl(['member', 'list', '-w', 'json']))
    expect(hex(list.header.cluster_id)).toBe(r.ids.clusterId)
    expect(list.members.map((m) => [m.name, hex(m.ID)]).sort()).toEqual(r.ids.members.map((m) => [m.name, m.id]).sort())
    for (const ep of endpoints) expect(await dump(ctl, ep)).toEqual(before)
    await services.handlers['playground/delete']({ id: r.playgroundId })
  })

  it('rehearses the naive procedure (one restore, copied) and reports three leaders with the cause', async () => {
    const r = await services.handlers['restore/rehearse']({ planId, engine: 'etcd', procedure: 'naive' })
    expect(r.report.ok).toBe(false)
    const leader = r.report.checks.find((c) => c.id === 'one-leader')!
    expect(leader.status).toBe('fail')
    expect(leader.summary).toMatch(/^3 members each lead a cluster of their own/)
    expect(leader.cause).toContain('8e9e05c52164694d')
    expect(leader.fix).toMatch(/Stop all members, move their data dirs aside/)
    expect(r.report.checks.find((c) => c.id === 'member-ids')!.summary).toContain('8e9e05c52164694d answers at 3 endpoints')

    // The cluster view, pointed at these three endpoints as a new user would, says so first.
    const conn = await services.handlers['connections/save']({ input: { name: 'three copies', endpoints: r.ids.members.map((m) => m.clientURL) } })
    const st = await services.handlers['cluster/status']({ target: { kind: 'connection', id: conn.id } })
    expect(st.split?.symptoms).toEqual(expect.arrayContaining(['several-leaders', 'repeated-member-id']))
    expect(st.split?.headline).toMatch(/^3 members each lead/)
    expect(st.split?.facts).toHaveLength(3)
    await services.handlers['playground/delete']({ id: r.playgroundId })
  })

  it('rehearses the plan on Raftdeck members', async () => {
    const r = await services.handlers['restore/rehearse']({ planId, engine: 'raftdeck', procedure: 'plan' })
    expect(r.report.checks.filter((c) => c.status !== 'pass'), JSON.stringify(r.report.checks, null, 1)).toEqual([])
    const ctl = localCtl(r.ids.members.map((m) => m.clientURL))
    expect(await dump(ctl, r.ids.members[1]!.clientURL)).toEqual(before)
    await services.handlers['playground/delete']({ id: r.playgroundId })
  })
})
