/**
 * A real etcd snapshot becomes a 3-member raftdeck cluster, and snapshots come back out of it:
 *  - `raftdeck snapshot status` equals `etcdctl snapshot status -w json`, on etcd's file, on a file
 *    `raftdeck snapshot save` took from real etcd and on one it took from our leader;
 *  - `raftdeck snapshot restore` (3 members, new token) → `raftdeck member` ×3 serve exactly etcd's
 *    keys, values and revisions (etcdctl get -w json), old revisions, leases, users and roles, and the
 *    same HashKV; the member IDs are etcd's for the new URLs and token;
 *  - while ~30 MB stream out of the leader, no election happens (same leader, same term everywhere);
 *  - users keep etcd's bcrypt passwords: they log in to the restored members.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { memberIdFor, toHex } from '../../../src-main/member/ids'
import { startEtcdCluster, type EtcdCluster } from '../../support/etcd'
import { KV } from '../member/support/kvClient'
import { cleanupAll, freePort, tempDir, type MemberSpec } from '../member/support/procs'
import { ctl, endpointStatus, getJson, hashKV, raftdeck, startRestored, waitHealthy } from './support'

const BIG_VALUES = 48
const BIG_VALUE_BYTES = 640 * 1024

describe('real etcd snapshot → 3 raftdeck members → snapshot again', () => {
  let etcd: EtcdCluster | undefined
  afterAll(async () => {
    await etcd?.stop()
    await cleanupAll()
  })

  it('restores into a 3-member cluster that serves etcd data, and streams ~30 MB out of the leader without an election', async () => {
    etcd = await startEtcdCluster({ size: 1 })
    const src = etcd.endpoints[0]!.replace('http://', '')
    await ctl(src, ['put', '/s/a', '1'])
    await ctl(src, ['put', '/s/b', '2'])
    await ctl(src, ['put', '/s/a', '3'])
    await ctl(src, ['del', '/s/b'])
    const lease = (await ctl(src, ['lease', 'grant', '900'])).split(' ')[1]!
    await ctl(src, ['put', '/s/leased', 'l', `--lease=${lease}`])
    await ctl(src, ['compaction', '3'])
    await ctl(src, ['put', '/s/c', 'ç'])
    await ctl(src, ['user', 'add', 'bob', '--no-password'])
    await ctl(src, ['role', 'add', 'writer'])
    await ctl(src, ['role', 'grant-permission', 'writer', 'readwrite', '/s/a'])
    await ctl(src, ['user', 'grant-role', 'bob', 'writer'])
    // Users with passwords: etcd stores bcrypt hashes, which restored members must accept at login.
    await ctl(src, ['user', 'add', 'root:rootpw'])
    await ctl(src, ['user', 'grant-role', 'root', 'root'])
    await ctl(src, ['user', 'add', 'carol:carolpw'])
    await ctl(src, ['user', 'grant-role', 'carol', 'writer'])
    const kv = new KV(src)
    try {
      for (let i = 0; i < BIG_VALUES; i++) await kv.put(`/big/${String(i).padStart(3, '0')}`, randomBytes(BIG_VALUE_BYTES * 0.75).toString('base64'), 20_000)
    } finally {
      kv.close()
    }

    const dir = tempDir('rd-snap-b-')
    const file = path.join(dir, 'etcd.db')
    await ctl(src, ['snapshot', 'save', file])
    const etcdStatus = JSON.parse(await ctl(src, ['snapshot', 'status', file, '-w', 'json'])) as unknown
    const ourStatus = await raftdeck(['snapshot', 'status', file, '-w', 'json'])
    expect(ourStatus.code).toBe(0)
    expect(JSON.parse(ourStatus.stdout)).toEqual(etcdStatus)

    // raftdeck snapshot save from real etcd: the same numbers as etcdctl on that file.
    const fromEtcd = path.join(dir, 'from-etcd.db')
    const saved = await raftdeck(['snapshot', 'save', fromEtcd, '--endpoints', etcd.endpoints[0]!])
    expect(saved.stderr).toBe('')
    expect(saved.stdout).toBe(`Snapshot saved at ${fromEtcd}\n`)
    expect(fs.existsSync(`${fromEtcd}.part`)).toBe(false)
    expect(JSON.parse((await raftdeck(['snapshot', 'status', fromEtcd, '-w', 'json'])).stdout)).toEqual(JSON.parse(await ctl(src, ['snapshot', 'status', fromEtcd, '-w', 'json'])))

    const small = await getJson(src, ['/s/', '--prefix'])
    const old = await getJson(src, ['/s/a', '--rev=3'])
    const big = await getJson(src, ['/big/', '--prefix', '--keys-only'])
    const etcdHash = await hashKV(src)

    // Restore three members, in parallel, with a fresh token.
    const token = 'restored-from-etcd'
    const specs: MemberSpec[] = []
    for (const name of ['n1', 'n2', 'n3']) specs.push({ name, clientPort: await freePort(), peerPort: await freePort(), dataDir: path.join(dir, `${name}.etcd`) })
    const ic = specs.map((s) => `${s.name}=http://127.0.0.1:${s.peerPort}`).join(',')
    const restores = await Promise.all(
      specs.map((s) =>
        raftdeck(['snapshot', 'restore', file, '--name', s.name, '--initial-cluster', ic, '--initial-cluster-token', token, '--initial-advertise-peer-urls', `http://127.0.0.1:${s.peerPort}`, '--data-dir', s.dataDir]),
      ),
    )
    for (const r of restores) expect(r, r.stderr).toMatchObject({ code: 0 })
    const members = await Promise.all(specs.map((s) => startRestored('raftdeck', s, ic, token)))
    await Promise.all(members.map((m) => waitHealthy(m, 90_000)))

    const expectedIds = specs.map((s) => toHex(memberIdFor([`http://127.0.0.1:${s.peerPort}`], token))).sort()
    const listed = (await ctl(members[0]!.endpoint, ['member', 'list'])).trim().split('\n').map((l) => l.split(',')[0]!.trim()).sort()
    expect(listed).toEqual(expectedIds)

    for (const m of members) {
      expect(await getJson(m.endpoint, ['/s/', '--prefix'])).toEqual(small)
      expect(await getJson(m.endpoint, ['/s/a', '--rev=3'])).toEqual(old)
      expect(await getJson(m.endpoint, ['/big/', '--prefix', '--keys-only'])).toEqual(big)
      expect(await hashKV(m.endpoint)).toBe(etcdHash)
    }
    const leader = members[0]!.endpoint
    expect(await ctl(leader, ['lease', 'list'])).toContain(lease)
    expect(await ctl(leader, ['user', 'get', 'bob'])).toBe(await ctl(src, ['user', 'get', 'bob']))
    expect(await ctl(leader, ['role', 'get', 'writer'])).toBe(await ctl(src, ['role', 'get', 'writer']))
    expect((await ctl(leader, ['get', '/s/a', '--rev=2']).catch((e: Error) => e.message))).toMatch(/required revision has been compacted/)

    // Stream a snapshot of ~30 MB out of the leader: Raft must keep its leader and term meanwhile.
    const before = await Promise.all(members.map((m) => endpointStatus(m.endpoint)))
    expect(new Set(before.map((s) => `${s.leader}/${s.term}`)).size).toBe(1)
    const leaderProc = members.find((_m, i) => before[i]!.member === before[i]!.leader)!
    const fromMember = path.join(dir, 'from-member.db')
    const t0 = Date.now()
    const fromLeader = await raftdeck(['snapshot', 'save', fromMember, '--endpoints', leaderProc.clientUrl])
    const ms = Date.now() - t0
    expect(fromLeader, fromLeader.stderr).toMatchObject({ code: 0 })
    expect(fs.statSync(fromMember).size).toBeGreaterThan(BIG_VALUES * BIG_VALUE_BYTES)
    const afterStatus = await Promise.all(members.map((m) => endpointStatus(m.endpoint)))
    expect(afterStatus.map((s) => `${s.leader}/${s.term}`), `snapshot took ${ms} ms`).toEqual(before.map((s) => `${s.leader}/${s.term}`))

    // Our status of the member's file equals etcdctl's, and it holds the same revision as etcd's.
    const memberStatus = JSON.parse(await ctl(src, ['snapshot', 'status', fromMember, '-w', 'json'])) as { revision: number }
    expect(JSON.parse((await raftdeck(['snapshot', 'status', fromMember, '-w', 'json'])).stdout)).toEqual(memberStatus)
    expect(memberStatus.revision).toBe((etcdStatus as { revision: number }).revision)

    // Logins with the passwords set in etcd work on the restored members (bcrypt), wrong ones do not.
    await ctl(leader, ['auth', 'enable'])
    expect(await ctl(members[1]!.endpoint, ['get', '/s/a', '--user=carol:carolpw', '--print-value-only'])).toBe('3\n')
    const wrong = await ctl(members[1]!.endpoint, ['get', '/s/a', '--user=carol:nope']).catch((e: Error) => e.message)
    expect(wrong).toMatch(/authentication failed, invalid user ID or password/)
    expect(await ctl(leader, ['user', 'list', '--user=root:rootpw'])).toBe('bob\ncarol\nroot\n')

    // With auth on, a snapshot needs an admin (as in etcd); a refused save leaves no file behind.
    const denied = await raftdeck(['snapshot', 'save', path.join(dir, 'denied.db'), '--endpoints', members[1]!.clientUrl, '--user', 'carol:carolpw'])
    expect(denied.code).toBe(1)
    expect(denied.stderr).toMatch(/^raftdeck snapshot save: Permission denied/i)
    expect(fs.existsSync(path.join(dir, 'denied.db')) || fs.existsSync(path.join(dir, 'denied.db.part'))).toBe(false)
    const asRoot = await raftdeck(['snapshot', 'save', path.join(dir, 'root.db'), '--endpoints', members[1]!.clientUrl, '--user', 'root:rootpw'])
    expect(asRoot, asRoot.stderr).toMatchObject({ code: 0 })
  })
})
