/**
 * One member's life: start-up refusals with one clear line, restart from WAL and snapshots,
 * a torn WAL tail, quota (NOSPACE) and request-size limits, lease expiry, auto-compaction and
 * the raftdeck.Debug stream. (Maintenance.Snapshot belongs to the snapshot issue and its tests.)
 */
import { afterAll, describe, expect, it } from 'vitest'
import fs from 'node:fs'
import path from 'node:path'
import * as grpc from '@grpc/grpc-js'
import { etcdGrpcObject } from '../../../src-main/etcdpb/load'
import { cleanupAll, etcdctl, freePort, launch, memberArgs, startCluster, stopCluster, stopProc, tempDir, waitFor, waitHealthy, type MemberSpec } from './support/procs'

async function spec(name = 'm1'): Promise<MemberSpec> {
  return { name, clientPort: await freePort(), peerPort: await freePort(), dataDir: path.join(tempDir(), name) }
}

/** Runs a member expected to refuse to start; returns its exit code and stderr lines. */
async function refused(args: string[]): Promise<{ code: number | null; lines: string[] }> {
  const s = await spec()
  const p = launch('raftdeck', s, args)
  const code = await p.exited
  return { code, lines: p.log.join('').split('\n').filter(Boolean) }
}

describe('member lifecycle', () => {
  afterAll(cleanupAll)

  it('refuses bad starts with one clear line', async () => {
    const s = await spec()
    const ic = `m1=http://127.0.0.1:${s.peerPort}`
    const bad = await refused([...memberArgs(s, ic), '--snapshot-cnt', '5'])
    expect(bad.code).toBe(2)
    expect(bad.lines).toEqual(['raftdeck member: flag provided but not defined: -snapshot-cnt'])

    const noName = await refused(memberArgs({ ...s, name: 'zz' }, ic))
    expect(noName.lines).toEqual([`raftdeck member: couldn't find local name "zz" in the initial cluster configuration`])

    const taken = await startCluster('raftdeck', 1)
    const busy = { ...s, clientPort: taken.specs[0]!.clientPort }
    const inUse = await refused(memberArgs(busy, ic))
    expect(inUse.code).toBe(1)
    expect(inUse.lines).toEqual([`raftdeck member: listen tcp 127.0.0.1:${busy.clientPort}: bind: address already in use`])

    // The running member's data dir, started with another token: it belongs to another cluster.
    const other = { ...taken.specs[0]!, clientPort: await freePort(), peerPort: await freePort() }
    await stopProc(taken.members[0]!)
    const foreign = await refused(memberArgs(other, `m1=http://127.0.0.1:${other.peerPort}`))
    expect(foreign.code).toBe(1)
    expect(foreign.lines).toHaveLength(1)
    expect(foreign.lines[0]).toMatch(/^raftdeck member: data dir .* belongs to member [0-9a-f]+ of cluster [0-9a-f]+, not to member/)
  })

  it('restarts from its WAL and snapshots, and stops replay at a torn tail', async () => {
    const s = await spec()
    const args = memberArgs(s, `m1=http://127.0.0.1:${s.peerPort}`, ['--snapshot-count', '20'])
    let p = launch('raftdeck', s, args)
    await waitHealthy(p)
    for (let i = 0; i < 50; i++) expect((await etcdctl(p.endpoint, ['put', `k${i}`, `v${i}`])).code).toBe(0)
    expect(fs.readdirSync(path.join(s.dataDir, 'member/snap')).some((f) => f.endsWith('.snap'))).toBe(true)
    await stopProc(p)
    p = launch('raftdeck', s, args)
    await waitHealthy(p)
    expect((await etcdctl(p.endpoint, ['get', 'k', '--prefix', '--limit=1', '-w', 'json'])).stdout).toMatch(/"count":50/)
    expect((await etcdctl(p.endpoint, ['get', 'k49'])).stdout).toBe('k49\nv49\n')
    await stopProc(p, 'SIGKILL')

    // Garbage after the last record, as a crash in the middle of a write would leave.
    const walDir = path.join(s.dataDir, 'member/wal')
    const last = fs.readdirSync(walDir).filter((f) => f.endsWith('.wal')).sort().pop()!
    fs.appendFileSync(path.join(walDir, last), Buffer.from([0x30, 0, 0, 0, 1, 2, 3, 4, 2, 9, 9]))
    p = launch('raftdeck', s, args)
    await waitHealthy(p)
    expect(p.log.join('')).toMatch(/WARNING: wal: (torn|corrupt) record at .* recovered up to the last intact record/)
    expect((await etcdctl(p.endpoint, ['get', 'k49'])).stdout).toBe('k49\nv49\n')
    await stopProc(p)

    // A damaged snapshot file the WAL depends on: refuse to start rather than lose entries.
    const snapDir = path.join(s.dataDir, 'member/snap')
    for (const f of fs.readdirSync(snapDir).filter((n) => n.endsWith('.snap'))) {
      const b = fs.readFileSync(path.join(snapDir, f))
      b[b.length - 1]! ^= 0xff
      fs.writeFileSync(path.join(snapDir, f), b)
    }
    const broken = launch('raftdeck', s, args)
    expect(await broken.exited).toBe(1)
    expect(broken.log.join('')).toMatch(/raftdeck member: snapshot at index \d+ is missing or corrupt/)
  })

  it('a restarted follower loads its snapshot and WAL back to the same data, revisions and HashKV', async () => {
    const c = await startCluster('raftdeck', 3, ['--snapshot-count', '30'])
    const all = c.endpoints
    const ctl = async (ep: string | string[], args: string[], input?: string): Promise<string> => {
      const r = await etcdctl(ep, args, input === undefined ? {} : { input })
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0)
      return r.stdout
    }
    const status = async (ep: string) => JSON.parse(await ctl(ep, ['endpoint', 'status', '-w', 'json']))[0].Status as { header: { revision: number; member_id: number }; leader: number }
    const hashAt = async (ep: string, rev: number) => JSON.parse(await ctl(ep, ['endpoint', 'hashkv', '-w', 'json', `--rev=${rev}`]))[0].HashKV.hash as number
    // History of every kind: leases, second revisions, deletes, a multi-op transaction, a compaction.
    const lease = (await ctl(all, ['lease', 'grant', '600'])).split(' ')[1]!
    for (let i = 0; i < 40; i++) await ctl(all, ['put', `k/${i}`, `v${i}`, ...(i % 4 === 0 ? [`--lease=${lease}`] : [])])
    for (let i = 0; i < 10; i++) await ctl(all, ['put', `k/${i}`, `again${i}`])
    await ctl(all, ['del', 'k/3'])
    await ctl(all, ['del', 'k/2', '--prefix'])
    await ctl(all, ['txn'], 'mod("k/5") > "0"\n\nput t/a 1\nput t/b 2\ndel k/5\n\nput t/failed 1\n\n')
    const compactAt = (await status(c.endpoints[0]!)).header.revision - 5
    await ctl(all, ['compact', String(compactAt)])
    for (let i = 0; i < 12; i++) await ctl(all, ['put', `late/${i}`, `x${i}`])

    const st = await Promise.all(c.endpoints.map(status))
    const f = st.findIndex((x) => x.header.member_id !== x.leader)
    const follower = c.members[f]!
    const rev = st[f]!.header.revision
    await waitFor('the follower to apply everything', async () => (await status(follower.endpoint)).header.revision === Math.max(...st.map((x) => x.header.revision)))
    const hashBefore = await hashAt(follower.endpoint, rev)
    expect(fs.readdirSync(path.join(follower.dataDir, 'member/snap')).some((n) => n.endsWith('.snap'))).toBe(true)
    await stopProc(follower)
    // Written while it is down: it catches up from the leader's log after its own.
    const live = c.endpoints.filter((_, i) => i !== f)
    for (let i = 0; i < 3; i++) await ctl(live, ['put', `down/${i}`, `d${i}`])

    const again = launch('raftdeck', c.specs[f]!, follower.args)
    c.members[f] = again
    await waitHealthy(again, 60_000)
    expect(again.log.join('')).toMatch(/boot: WAL read \(\d+ entries\) in \d+ ms; snapshot at index \d+ loaded \(\d+ keys, revision \d+\)/)
    const newest = Math.max(...(await Promise.all(live.map(status))).map((x) => x.header.revision))
    await waitFor('the restarted follower to catch up', async () => (await status(again.endpoint)).header.revision === newest)
    expect(await hashAt(again.endpoint, rev)).toBe(hashBefore)
    const hashes = await Promise.all(c.endpoints.map((ep) => hashAt(ep, newest)))
    expect(new Set(hashes).size, String(hashes)).toBe(1)
    // Every key with its create and mod revisions, version and lease, as the leader has them.
    const dump = async (ep: string) => JSON.parse(await ctl(ep, ['get', '', '--from-key', '--consistency=s', '-w', 'json'])).kvs
    expect(await dump(again.endpoint)).toEqual(await dump(live[0]!))
    expect((await dump(again.endpoint)).filter((kv: { lease?: number }) => kv.lease).length).toBe(4)
    // Reads below the compaction stay refused, reads at it still work.
    expect((await etcdctl(again.endpoint, ['get', 'k/1', `--rev=${compactAt - 1}`, '--consistency=s'])).stderr).toMatch(/required revision has been compacted/)
    expect((await ctl(again.endpoint, ['get', 'k/1', `--rev=${compactAt}`, '--consistency=s'])).trim()).toBe('k/1\nagain1')
    await stopCluster(c)
  })

  it('raises NOSPACE past the quota and then allows only reads, deletes and compaction', async () => {
    const c = await startCluster('raftdeck', 1, ['--quota-backend-bytes', '60000', '--max-request-bytes', '20000'])
    const ep = c.endpoints[0]!
    const big = 'x'.repeat(15000)
    const tooLarge = await etcdctl(ep, ['put', 'huge', 'y'.repeat(30000)])
    expect(tooLarge.stderr).toMatch(/Error: etcdserver: request is too large/)
    let last = await etcdctl(ep, ['put', 'b0', big])
    for (let i = 1; i < 10 && last.code === 0; i++) last = await etcdctl(ep, ['put', `b${i}`, big])
    expect(last.stderr).toMatch(/Error: etcdserver: mvcc: database space exceeded/)
    const alarms = await etcdctl(ep, ['alarm', 'list'])
    expect(alarms.stdout).toMatch(/^memberID:\d+ alarm:NOSPACE ?\n$/)
    expect((await etcdctl(ep, ['put', 'small', '1'])).stderr).toMatch(/database space exceeded/)
    expect((await etcdctl(ep, ['get', 'b0', '--keys-only'])).stdout).toBe('b0\n\n')
    expect((await etcdctl(ep, ['del', 'b', '--prefix'])).code).toBe(0)
    const rev = JSON.parse((await etcdctl(ep, ['get', 'x', '-w', 'json'])).stdout).header.revision as number
    expect((await etcdctl(ep, ['compaction', String(rev)])).code).toBe(0)
    const status = await etcdctl(ep, ['endpoint', 'status'])
    expect(status.stdout).toMatch(/memberID:\d+ alarm:NOSPACE/)
    expect((await etcdctl(ep, ['alarm', 'disarm'])).stdout).toMatch(/alarm:NOSPACE/)
    expect((await etcdctl(ep, ['put', 'small', '1'])).stdout).toBe('OK\n')
  })

  it('compacts on its own with --auto-compaction-mode periodic', async () => {
    const c = await startCluster('raftdeck', 1, ['--auto-compaction-mode', 'periodic', '--auto-compaction-retention', '2s'])
    const ep = c.endpoints[0]!
    for (let i = 0; i < 5; i++) await etcdctl(ep, ['put', 'auto', String(i)])
    await waitFor('auto-compaction', async () => /required revision has been compacted/.test((await etcdctl(ep, ['get', 'auto', '--rev=2'])).stderr), 20_000, 250)
    expect((await etcdctl(ep, ['get', 'auto'])).stdout).toBe('auto\n4\n')
  })

  it('expires leases on the leader and streams debug state', async () => {
    const c = await startCluster('raftdeck', 1, ['--enable-debug-service'])
    const ep = c.endpoints[0]!
    const grant = await etcdctl(ep, ['lease', 'grant', '1'])
    expect(grant.stdout).toMatch(/granted with TTL\(2s\)/)
    const id = grant.stdout.split(' ')[1]!
    await etcdctl(ep, ['put', 'eph', 'x', `--lease=${id}`])
    await waitFor('lease to expire', async () => (await etcdctl(ep, ['get', 'eph'])).stdout === '', 10_000, 200)
    expect((await etcdctl(ep, ['lease', 'timetolive', id])).stdout).toBe(`lease ${id} already expired\n`)

    const pkg = etcdGrpcObject().raftdeck as grpc.GrpcObject
    const Debug = pkg.Debug as unknown as new (a: string, c: grpc.ChannelCredentials) => grpc.Client & { Watch(req: object): grpc.ClientReadableStream<{ state?: { role: string; term: string; member_id: string } }> }
    const client = new Debug(ep, grpc.credentials.createInsecure())
    try {
      const stream = client.Watch({ interval_ms: 0 })
      const first = await new Promise<{ state?: { role: string; term: string } }>((resolve, reject) => {
        stream.once('data', resolve)
        stream.once('error', reject)
      })
      stream.cancel()
      expect(first.state?.role).toBe('leader')
      expect(Number(first.state?.term)).toBeGreaterThan(0)
    } finally {
      client.close()
    }
  })
})
