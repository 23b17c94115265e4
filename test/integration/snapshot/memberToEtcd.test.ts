/**
 * A raftdeck member's snapshot in real etcd's hands: `etcdctl snapshot save` against the member,
 * `etcdctl snapshot status` accepts it (and agrees with ours), `etcdctl snapshot restore` + etcd
 * 3.4 serve exactly the member's keys, values, revisions, leases, users and roles, and etcd's
 * HashKV over the restored history equals the member's. The same file restored into a member with
 * --bump-revision/--mark-compacted moves the revision on and refuses older reads.
 */
import { afterAll, describe, expect, it } from 'vitest'
import path from 'node:path'
import { snapshotStatus } from '../../../src-main/bbolt/index'
import { cleanupAll, freePort, startCluster, tempDir } from '../member/support/procs'
import { ctl, getJson, hashKV, raftdeck, startRestored, waitHealthy } from './support'

describe('member snapshot → real etcd', () => {
  afterAll(cleanupAll)

  it('etcdctl saves, checks and restores a member snapshot that etcd then serves identically', async () => {
    const c = await startCluster('raftdeck', 1)
    const ep = c.endpoints[0]!
    // A history with overwrites, deletes, a multi-key txn, a lease, binary-ish values and a compaction.
    await ctl(ep, ['put', '/app/a', 'one'])
    await ctl(ep, ['put', '/app/b', 'two'])
    await ctl(ep, ['put', '/app/a', 'three'])
    await ctl(ep, ['del', '/app/b'])
    const lease = (await ctl(ep, ['lease', 'grant', '600'])).split(' ')[1]!
    await ctl(ep, ['put', '/app/leased', 'x', `--lease=${lease}`])
    await ctl(ep, ['put', '/app/big', 'v'.repeat(10_000)])
    await ctl(ep, ['put', '/app/unicode', 'ünïcødé ✓'])
    await ctl(ep, ['compaction', '3'])
    await ctl(ep, ['put', '/app/after', 'compaction'])
    await ctl(ep, ['del', '/app/after'])
    await ctl(ep, ['put', '/app/after', 'again'])
    await ctl(ep, ['user', 'add', 'alice', '--no-password'])
    await ctl(ep, ['role', 'add', 'reader'])
    await ctl(ep, ['role', 'grant-permission', 'reader', '--prefix=true', 'read', '/app/'])
    await ctl(ep, ['user', 'grant-role', 'alice', 'reader'])

    const dir = tempDir('rd-snap-a-')
    const file = path.join(dir, 'member.db')
    expect(await ctl(ep, ['snapshot', 'save', file])).toMatch(/Snapshot saved at/)

    // etcdctl's own integrity check and numbers, equal to ours on the same file.
    const theirs = JSON.parse(await ctl(ep, ['snapshot', 'status', file, '-w', 'json'])) as Record<string, number>
    expect(theirs).toEqual({ ...snapshotStatus(file) })
    const ours = await raftdeck(['snapshot', 'status', file, '-w', 'json'])
    expect(ours.code).toBe(0)
    expect(JSON.parse(ours.stdout)).toEqual(theirs)

    const before = await getJson(ep, ['/app/', '--prefix'])
    const beforeOld = await getJson(ep, ['/app/a', '--rev=4'])
    const beforeHash = await hashKV(ep)

    const spec = { name: 'r1', clientPort: await freePort(), peerPort: await freePort(), dataDir: path.join(dir, 'r1.etcd') }
    const ic = `r1=http://127.0.0.1:${spec.peerPort}`
    await ctl(ep, ['snapshot', 'restore', file, '--name=r1', `--initial-cluster=${ic}`, '--initial-cluster-token=restored', `--initial-advertise-peer-urls=http://127.0.0.1:${spec.peerPort}`, `--data-dir=${spec.dataDir}`])
    const etcd = await startRestored('etcd', spec, ic, 'restored')
    await waitHealthy(etcd, 60_000)

    const after = await getJson(etcd.endpoint, ['/app/', '--prefix'])
    expect(after).toEqual(before)
    expect(after.revision).toBe(before.revision)
    expect(await getJson(etcd.endpoint, ['/app/a', '--rev=4'])).toEqual({ ...beforeOld, revision: before.revision })
    // Compacted at 3 on the member, compacted at 3 in etcd.
    const compacted = await ctl(etcd.endpoint, ['get', '/app/a', '--rev=2']).catch((e: Error) => e.message)
    expect(compacted).toMatch(/required revision has been compacted/)
    expect(await ctl(etcd.endpoint, ['lease', 'list'])).toContain(lease)
    expect(await ctl(etcd.endpoint, ['user', 'list'])).toBe('alice\n')
    expect(await ctl(etcd.endpoint, ['role', 'get', 'reader'])).toBe(await ctl(ep, ['role', 'get', 'reader']))
    // The same history byte for byte: etcd's HashKV over the restored backend equals the member's.
    expect(await hashKV(etcd.endpoint)).toBe(beforeHash)
    // And etcd carries on from the member's revision.
    await ctl(etcd.endpoint, ['put', '/app/next', 'n'])
    expect((await getJson(etcd.endpoint, ['/app/next'])).kvs[0]).toMatchObject({ mod: before.revision + 1 })

    // The same file back into a raftdeck member with etcd's --bump-revision and --mark-compacted.
    const bumped = { name: 'b1', clientPort: await freePort(), peerPort: await freePort(), dataDir: path.join(dir, 'b1.etcd') }
    const bic = `b1=http://127.0.0.1:${bumped.peerPort}`
    const r = await raftdeck(['snapshot', 'restore', file, '--name', 'b1', '--initial-cluster', bic, '--initial-cluster-token', 'bumped', '--initial-advertise-peer-urls', `http://127.0.0.1:${bumped.peerPort}`, '--data-dir', bumped.dataDir, '--bump-revision', '1000', '--mark-compacted'])
    expect(r, r.stderr).toMatchObject({ code: 0 })
    const member = await startRestored('raftdeck', bumped, bic, 'bumped')
    await waitHealthy(member, 60_000)
    const bumpedGet = await getJson(member.endpoint, ['/app/', '--prefix'])
    expect(bumpedGet).toEqual({ ...before, revision: before.revision + 1000 })
    expect(await ctl(member.endpoint, ['get', '/app/a', `--rev=${before.revision}`]).catch((e: Error) => e.message)).toMatch(/required revision has been compacted/)
    await ctl(member.endpoint, ['put', '/app/next', 'n'])
    expect((await getJson(member.endpoint, ['/app/next'])).kvs[0]).toMatchObject({ mod: before.revision + 1001 })
  })
})
