// The restore plan as a value: IDs as etcd derives them, the fields refused before anything is made,
// the bump decided per etcd version, and the renderings (scripts, README, steps) derived from it.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { PlanMemberInput } from '../../../src-main/shared/api/restore'
import { memberProblems } from '../../../src-main/shared/api/restoreRules'
import { buildPlan, bumpFlagsSupported, deriveIds, onLoopback, restoreArgv, type SnapshotFacts } from '../../../src-main/services/restore/plan'
import { memberScript, renderPlan } from '../../../src-main/services/restore/scripts'
import { lintProcedure } from '../../../src-main/services/restore/lint'

const snap: SnapshotFacts = { path: '/backups/snap.db', fileName: 'snap.db', sha256: 'ab'.repeat(32), bytes: 4096, revision: 1234, totalKey: 2000, liveKeys: 900, kubernetes: true }

const member = (name: string, host: string, o: Partial<PlanMemberInput> = {}): PlanMemberInput => ({
  name,
  peerURLs: [`https://${host}:2380`],
  clientURLs: [`https://${host}:2379`],
  dataDir: '/var/lib/etcd',
  etcdVersion: '3.5',
  run: { kind: 'systemd', unit: 'etcd' },
  ...o,
})
const three = (o: Partial<PlanMemberInput> = {}) => [member('etcd-a', '10.0.0.1', o), member('etcd-b', '10.0.0.2', o), member('etcd-c', '10.0.0.3', o)]

describe('member and cluster IDs', () => {
  it('are derived as etcd derives them', () => {
    // etcd's defaults: the identity every naive restore gets.
    expect(deriveIds([{ name: 'default', peerURLs: ['http://localhost:2380'] }], 'etcd-cluster')).toEqual({ ids: ['8e9e05c52164694d'], clusterId: 'cdf818194e3a8c32' })
    const plan = buildPlan(snap, three(), { token: 'restore-token-1' })
    expect(plan.members.map((m) => m.id)).toEqual(deriveIds(three(), 'restore-token-1').ids)
    expect(new Set(plan.members.map((m) => m.id)).size).toBe(3)
    expect(plan.clusterId).toMatch(/^[0-9a-f]{1,16}$/)
  })

  it('a fresh token unless one is given, and never etcd’s default', () => {
    const a = buildPlan(snap, three())
    const b = buildPlan(snap, three())
    expect(a.token).not.toBe(b.token)
    expect(a.clusterId).not.toBe(b.clusterId)
    expect(() => buildPlan(snap, three(), { token: 'etcd-cluster' })).toThrow(/default token/)
  })

  it('the loopback copy for a rehearsal keeps names and token and derives its IDs again', () => {
    const plan = buildPlan(snap, three(), { token: 'tok-123' })
    const local = onLoopback(plan, [{ peer: 2001, client: 3001 }, { peer: 2002, client: 3002 }, { peer: 2003, client: 3003 }], ['/a', '/b', '/c'])
    expect(local.members.map((m) => m.name)).toEqual(plan.members.map((m) => m.name))
    expect(local.token).toBe(plan.token)
    expect(local.members[0]!.peerURLs).toEqual(['http://127.0.0.1:2001'])
    expect(local.members.map((m) => m.id)).toEqual(deriveIds(local.members, 'tok-123').ids)
    expect(local.clusterId).not.toBe(plan.clusterId)
  })
})

describe('bad input is refused at the field', () => {
  it('duplicate names, malformed URLs, relative data dirs, unknown versions', () => {
    const bad = [
      member('a', '10.0.0.1'),
      member('a', '10.0.0.2', { dataDir: 'var/lib/etcd' }),
      member('c', '10.0.0.3', { peerURLs: ['10.0.0.3:2380'], etcdVersion: '3.3' }),
      member('d', '10.0.0.4', { clientURLs: ['https://10.0.0.4'], peerURLs: ['https://10.0.0.1:2380'] }),
    ]
    const p = memberProblems(bad)
    expect(p['members[1].name']).toMatch(/already the name of member 1/)
    expect(p['members[1].dataDir']).toMatch(/absolute/)
    expect(p['members[2].peerURLs[0]']).toMatch(/not a URL|http/)
    expect(p['members[2].etcdVersion']).toMatch(/3\.4, 3\.5 and 3\.6/)
    expect(p['members[3].clientURLs[0]']).toMatch(/no port/)
    expect(p['members[3].peerURLs[0]']).toMatch(/also the peer URL of member 1/)
    expect(() => buildPlan(snap, bad)).toThrow(/members\[1\]\.name/)
  })

  it('system directories and a mix of loopback and remote peers', () => {
    expect(memberProblems([member('a', '10.0.0.1', { dataDir: '/var/lib' })])['members[0].dataDir']).toMatch(/system directory/)
    expect(memberProblems([member('a', '10.0.0.1'), member('b', '127.0.0.1')])['members']).toMatch(/loopback/)
    expect(memberProblems([member('a', '127.0.0.1', { peerURLs: ['http://127.0.0.1:2380'] }), member('b', '127.0.0.1', { peerURLs: ['http://127.0.0.1:2480'] })])).toEqual({})
  })
})

describe('the revision bump', () => {
  it('is on by default for Kubernetes data, off otherwise, and covers a live revision far ahead', () => {
    expect(buildPlan(snap, three()).bump?.revision).toBe(1_000_000_000)
    expect(buildPlan({ ...snap, kubernetes: false }, three()).bump).toBeNull()
    expect(buildPlan(snap, three(), { liveRevision: 1234 + 800_000_000 }).bump?.revision).toBe(1_600_000_000)
    expect(buildPlan(snap, three(), { bumpRevision: 0 }).notes.join(' ')).toMatch(/without a revision bump/)
    expect(buildPlan(snap, three()).expect.minRevision).toBe(1234 + 1_000_000_000)
  })

  it('uses the flags where the version has them, a bumped file otherwise (for every member alike)', () => {
    expect(bumpFlagsSupported('3.6', null)).toBe(true)
    expect(bumpFlagsSupported('3.5', 9)).toBe(false)
    expect(bumpFlagsSupported('3.5', 10)).toBe(true)
    expect(bumpFlagsSupported('3.4', null)).toBe(false)
    expect(bumpFlagsSupported('3.4', 27)).toBe(true)
    expect(buildPlan(snap, three({ etcdVersion: '3.5.12' })).bump?.mode).toBe('flags')
    const mixed = [member('a', '10.0.0.1', { etcdVersion: '3.5.12' }), member('b', '10.0.0.2', { etcdVersion: '3.4.23' }), member('c', '10.0.0.3', { etcdVersion: '3.6' })]
    const plan = buildPlan(snap, mixed)
    expect(plan.bump?.mode).toBe('file')
    expect(plan.members.map((m) => m.tool)).toEqual(['etcdutl', 'etcdctl', 'etcdutl'])
    expect(plan.notes.join(' ')).toMatch(/b \(etcd 3\.4\.23\) cannot take --bump-revision/)
  })

  it('the restore command carries every identity flag, and the bump flags only in flags mode', () => {
    const plan = buildPlan(snap, three({ etcdVersion: '3.6' }), { token: 'tok-abc' })
    expect(restoreArgv(plan, plan.members[1]!, 'snap.db', '/var/lib/etcd')).toEqual([
      'etcdutl',
      'snapshot',
      'restore',
      'snap.db',
      '--name=etcd-b',
      '--initial-cluster=etcd-a=https://10.0.0.1:2380,etcd-b=https://10.0.0.2:2380,etcd-c=https://10.0.0.3:2380',
      '--initial-cluster-token=tok-abc',
      '--initial-advertise-peer-urls=https://10.0.0.2:2380',
      '--data-dir=/var/lib/etcd',
      '--bump-revision=1000000000',
      '--mark-compacted',
    ])
    const old = buildPlan(snap, three({ etcdVersion: '3.4' }), { token: 'tok-abc' })
    expect(restoreArgv(old, old.members[0]!, 'x.db', '/d')).not.toContain('--mark-compacted')
  })
})

describe('renderings', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'raftdeck-plan-unit-'))
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }))

  it('every script is valid bash, runs its steps in order, and passes the procedure linter', () => {
    for (const members of [three({ etcdVersion: '3.5' }), three({ etcdVersion: '3.4', run: { kind: 'kubeadm', manifest: '/etc/kubernetes/manifests/etcd.yaml' } })]) {
      const plan = buildPlan(snap, members, { token: 'tok-render' }, { fileName: 'snap.db', sha256: 'cd'.repeat(32), bytes: 4096 })
      const r = renderPlan(plan)
      expect(r.files.map((f) => f.name)).toEqual(['restore-etcd-a.sh', 'restore-etcd-b.sh', 'restore-etcd-c.sh', 'README.md', 'plan.json'])
      for (const f of r.files.filter((x) => x.executable)) {
        const file = path.join(tmp, f.name)
        fs.writeFileSync(file, f.content)
        execFileSync('bash', ['-n', file])
        const all = f.content.slice(f.content.indexOf('  all)'))
        const order = ['preflight', 'step_stop', 'step_aside', 'step_restore', 'step_own', 'step_start', 'step_check'].map((s) => all.indexOf(`    ${s}\n`))
        expect(order.every((x, i) => x > 0 && (i === 0 || x > order[i - 1]!))).toBe(true)
        const lint = lintProcedure(f.content, { kubernetes: true, etcdVersion: plan.members[0]!.etcdVersion })
        expect(lint.findings.filter((x) => x.severity === 'error')).toEqual([])
      }
      expect(JSON.parse(r.files.find((f) => f.name === 'plan.json')!.content)).toEqual(plan)
      const readme = r.files.find((f) => f.name === 'README.md')!.content
      for (const m of plan.members) expect(readme).toContain(`| ${m.name} | \`${m.id}\``)
      expect(readme).toContain(plan.clusterId)
      expect(r.steps['etcd-a']!.map((s) => s.key)).toEqual(members[0]!.run.kind === 'kubeadm' ? ['stop', 'aside', 'restore', 'own', 'start', 'check', 'apiserver'] : ['stop', 'aside', 'restore', 'own', 'start', 'check'])
      expect(r.service['etcd-a']!.join(' ')).toMatch(/--name=etcd-a/)
    }
  })

  it('the script never deletes a data dir and moves it aside with the plan’s stamp', () => {
    const plan = buildPlan(snap, three(), { token: 'tok-render' }, { fileName: 'snap.db', sha256: 'cd'.repeat(32), bytes: 4096 })
    const s = memberScript(plan, plan.members[0]!)
    expect(s).not.toMatch(/\brm\s+-[a-z]*r/)
    expect(s).toContain(`ASIDE="$DATA_DIR.pre-restore-$STAMP"`)
    expect(s).toContain(`STAMP=${plan.stamp}`)
    expect(s).toContain('systemctl start --no-block "$UNIT"')
    expect(s).toContain('--bump-revision=1000000000')
  })
})
