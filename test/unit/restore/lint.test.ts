// The procedure linter on the mistakes operators make, and on a correct per-member procedure.
import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { lintProcedure } from '../../../src-main/services/restore/lint'

const rules = (text: string, o = {}) => lintProcedure(text, o).findings.map((f) => `${f.severity}:${f.rule}`)

describe('the procedure linter', () => {
  it('catches a kubeasz-style playbook that restores once on the deploy host and copies the result', () => {
    const text = fs.readFileSync(path.join(__dirname, '../../fixtures/restore/kubeasz-style-restore.yml'), 'utf8')
    const r = lintProcedure(text)
    expect(r.kind).toBe('ansible')
    expect(r.restores).toBe(1)
    const copied = r.findings.find((f) => f.rule === 'restore-copied')!
    expect(copied.severity).toBe('error')
    expect(copied.message).toContain('member ID 8e9e05c52164694d')
    expect(text.split('\n')[copied.line - 1]).toMatch(/copy: src=.*etcd-restore\/member/)
    expect(r.findings.filter((f) => f.rule === 'missing-flag').map((f) => f.message.match(/no (--[a-z-]+)/)![1])).toEqual(['--name', '--initial-cluster', '--initial-cluster-token', '--initial-advertise-peer-urls'])
    expect(r.findings.find((f) => f.rule === 'deletes-old-data')?.message).toContain('{{ ETCD_DATA_DIR }}/member')
  })

  it('finds nothing wrong with a per-member playbook task (the fixed kubeasz style)', () => {
    const text = `- name: restore
  shell: "ETCDCTL_API=3 etcdctl snapshot restore /backup/snapshot.db \\
    --name etcd-{{ inventory_hostname }} \\
    --initial-cluster {{ ETCD_NODES }} \\
    --initial-cluster-token etcd-restore-20240101 \\
    --initial-advertise-peer-urls https://{{ inventory_hostname }}:2380 \\
    --data-dir {{ ETCD_DATA_DIR }}"
`
    expect(rules(`- name: move aside\n  shell: mv {{ ETCD_DATA_DIR }} {{ ETCD_DATA_DIR }}.old\n${text}`)).toEqual([])
  })

  it('a task on every host with a literal --name: one identity everywhere', () => {
    const text = `- name: restore on every node
  shell: etcdutl snapshot restore s.db --name etcd-0 --initial-cluster etcd-0=https://a:2380,etcd-1=https://b:2380 --initial-cluster-token t-2024-x --initial-advertise-peer-urls https://a:2380 --data-dir /var/lib/etcd-new
`
    expect(rules(text)).toContain('error:same-identity')
  })

  it('the same --name twice, different tokens, a reused token, a non-empty target', () => {
    const text = [
      'systemctl stop etcd',
      'etcdctl snapshot restore s.db --name a --initial-cluster a=http://h1:2380,b=http://h2:2380 --initial-cluster-token new-1 --initial-advertise-peer-urls http://h1:2380 --data-dir /var/lib/etcd',
      'ssh h2 etcdctl snapshot restore s.db --name a --initial-cluster a=http://h1:2380,b=http://h2:2380 --initial-cluster-token new-2 --initial-advertise-peer-urls http://h2:2380 --data-dir /data/etcd',
    ].join('\n')
    const r = rules(text)
    expect(r).toContain('error:duplicate-name')
    expect(r).toContain('error:token-mismatch')
    expect(r).toContain('warning:target-not-empty')
    expect(r).toContain('error:advertise-not-in-cluster')
    const reused = rules('ETCD_INITIAL_CLUSTER_TOKEN=prod-etcd\nmv /var/lib/etcd /var/lib/etcd.old\netcdctl snapshot restore s.db --name a --initial-cluster a=http://h1:2380 --initial-cluster-token prod-etcd --initial-advertise-peer-urls http://h1:2380 --data-dir /var/lib/etcd')
    expect(reused).toContain('error:reused-token')
    expect(rules('etcdctl snapshot restore s.db --name a --initial-cluster a=http://h1:2380 --initial-cluster-token etcd-cluster --initial-advertise-peer-urls http://h1:2380 --data-dir /x')).toContain('error:reused-token')
  })

  it('only the member dir removed: etcd 3.4 refuses the existing data dir', () => {
    const text = 'rm -rf /var/lib/etcd/member\netcdctl snapshot restore s.db --name a --initial-cluster a=http://h1:2380 --initial-cluster-token tok-2 --initial-advertise-peer-urls http://h1:2380 --data-dir /var/lib/etcd'
    expect(rules(text)).toEqual(expect.arrayContaining(['error:target-not-empty', 'warning:deletes-old-data']))
  })

  it('no revision bump for Kubernetes on 3.5.10+ is an error, and a warning where the version is unknown', () => {
    const restore = 'mv /var/lib/etcd /var/lib/etcd.old\netcdutl snapshot restore s.db --name a --initial-cluster a=https://h1:2380 --initial-cluster-token tok-3 --initial-advertise-peer-urls https://h1:2380 --data-dir /var/lib/etcd'
    expect(rules(restore, { kubernetes: true, etcdVersion: '3.5.12' })).toEqual(['error:no-bump'])
    expect(rules(restore, { kubernetes: true, etcdVersion: '3.5.9' })).toEqual(['warning:no-bump'])
    expect(rules(restore)).toEqual([])
    expect(rules(`${restore} --bump-revision=1000000000 --mark-compacted`, { kubernetes: true, etcdVersion: '3.5.12' })).toEqual([])
    expect(rules(`${restore} --mark-compacted`)).toEqual(['error:bump-flags'])
    expect(rules(restore.replace('etcdutl', 'etcdctl'), { etcdVersion: '3.6' })).toEqual(['error:removed-command'])
  })

  it('a shell loop that copies one restored dir to every host', () => {
    const text = [
      'etcdctl snapshot restore snap.db --data-dir /tmp/restored',
      'for h in node1 node2 node3; do',
      '  rsync -a /tmp/restored/member root@$h:/var/lib/etcd/',
      'done',
    ].join('\n')
    const r = lintProcedure(text)
    expect(r.findings.find((f) => f.rule === 'restore-copied')?.line).toBe(3)
  })

  it('says so when there is no restore at all', () => {
    expect(rules('systemctl restart etcd')).toEqual(['warning:no-restore'])
  })
})
