/**
 * Membership and leadership through etcdctl on a 3-member raftdeck cluster, compared with a real
 * etcd 3.4 cluster run on the same ports first (so member and cluster IDs are identical):
 * member add --learner, start the learner with --initial-cluster-state existing, promote it,
 * move-leader, member update, member remove.
 */
import { afterAll, describe, expect, it } from 'vitest'
import path from 'node:path'
import {
  cleanupAll,
  etcdctl,
  launch,
  memberArgs,
  portsFor,
  startCluster,
  stopCluster,
  stopProc,
  tempDir,
  waitFor,
  waitHealthy,
  type Cluster,
} from './support/procs'
import { normalize } from './support/normalize'

interface StatusRow {
  Endpoint: string
  Status: { header: { member_id: number | string }; leader: number | string; raftAppliedIndex: number }
}

async function statuses(eps: string[]): Promise<StatusRow[]> {
  const r = await etcdctl(eps, ['endpoint', 'status', '-w', 'json'])
  if (r.code !== 0) throw new Error(r.stderr)
  return JSON.parse(r.stdout) as StatusRow[]
}

/** etcdctl's JSON prints uint64 IDs as numbers beyond 2^53: compare them as text. */
function rawIds(json: string, field: string): string[] {
  return [...json.matchAll(new RegExp(`"${field}":(\\d+)`, 'g'))].map((m) => BigInt(m[1]!).toString(16))
}

async function scenario(kind: 'raftdeck' | 'etcd', ports: Array<{ clientPort: number; peerPort: number }>): Promise<string[]> {
  const out: string[] = []
  const record = (label: string, text: string): void => {
    out.push(`${label}: ${normalize(text)}`)
  }
  const c: Cluster = await startCluster(kind, 3, [], ports.slice(0, 3))
  try {
    const p4 = ports[3]!
    const tooSoon = await etcdctl(c.endpoints, ['member', 'add', 'm4', `--peer-urls=http://127.0.0.1:${p4.peerPort}`, '--learner'])
    record('add right after start', tooSoon.stdout + tooSoon.stderr)
    // Members must have been connected for 5 s before a change is accepted (etcd's health check).
    const add = await waitFor(
      'member add to be accepted',
      async () => {
        const r = await etcdctl(c.endpoints, ['member', 'add', 'm4', `--peer-urls=http://127.0.0.1:${p4.peerPort}`, '--learner'])
        if (r.code === 0) return r
        if (!/unhealthy cluster/.test(r.stderr)) throw new Error(r.stderr)
        return undefined
      },
      30_000,
      500,
    )
    // The new member's line in ETCD_INITIAL_CLUSTER depends on its time-derived ID; compare sorted.
    record('add', add.stdout.replace(/ETCD_INITIAL_CLUSTER="([^"]*)"/, (_m, v: string) => `ETCD_INITIAL_CLUSTER="${v.split(',').sort().join(',')}"`))
    const newId = /Member\s+([0-9a-f]+) added/.exec(add.stdout)?.[1]
    const initialCluster = /ETCD_INITIAL_CLUSTER="([^"]*)"/.exec(add.stdout)?.[1]
    if (!newId || !initialCluster) throw new Error(`unexpected member add output: ${add.stdout} ${add.stderr}`)
    const spec4 = { name: 'm4', ...p4, dataDir: path.join(tempDir(), 'm4') }
    const m4 = launch(kind, spec4, memberArgs(spec4, initialCluster, ['--initial-cluster-state', 'existing']))
    c.members.push(m4)

    const learnerGet = await waitFor('learner to answer', async () => {
      const r = await etcdctl(m4.endpoint, ['get', 'x'])
      return r.stderr.includes('learner') ? r : undefined
    })
    // etcdctl retries this Unavailable error until its deadline, so the last line it prints depends
    // on timing (for etcd too): record that the learner refused.
    record('linearizable get on learner', /rpc not supported for learner/.test(learnerGet.stderr) ? 'refused: rpc not supported for learner' : learnerGet.stderr)
    // What else a learner serves: etcd 3.4 refuses every call but a few member-local ones. Reads,
    // and one write that a learner must refuse (served, it would change what the scenario records next).
    for (const args of [
      ['put', 'x', 'from-learner'],
      ['get', 'x', '--consistency=s'],
      ['endpoint', 'status'],
      ['member', 'list'],
      ['alarm', 'list'],
      ['endpoint', 'hashkv'],
      ['user', 'list'],
      ['role', 'list'],
      ['user', 'get', 'root'],
      ['snapshot', 'save', 'FILE'],
    ]) {
      const argv = args.map((a) => (a === 'FILE' ? path.join(tempDir(), 'learner.db') : a))
      const r = await etcdctl(m4.endpoint, [...argv, '--command-timeout=2s'], { timeoutMs: 10_000 })
      record(`${args.join(' ')} on learner`, /rpc not supported for learner/.test(r.stderr) ? 'refused: rpc not supported for learner' : r.code === 0 ? 'served' : normalize(r.stderr))
    }

    const promote = await waitFor(
      'learner promotion',
      async () => {
        const r = await etcdctl(c.endpoints, ['member', 'promote', newId])
        if (r.code === 0) return r
        if (!/in sync with leader/.test(r.stderr)) throw new Error(r.stderr)
        return undefined
      },
      60_000,
      500,
    )
    record('promote', promote.stdout)
    await waitHealthy(m4, 60_000)
    // A member that joined restarts from its own log (the joined-with member list plus replay).
    await stopProc(m4)
    const m4b = launch(kind, spec4, m4.args)
    c.members.push(m4b)
    await waitHealthy(m4b, 60_000)
    const all = [...c.endpoints, m4.endpoint]
    const list = await etcdctl(all, ['member', 'list'])
    // Rows are ordered by member ID, and m4's ID is time-derived: compare rows by name.
    record('list', list.stdout.split('\n').map((l) => l.replace(/^[0-9a-f]+, /, '')).sort().join('\n'))

    const st = await statuses(all)
    const leaderJson = (await etcdctl(all, ['endpoint', 'status', '-w', 'json'])).stdout
    const leaderHex = rawIds(leaderJson, 'leader')[0]!
    const memberHexes = rawIds(leaderJson, 'member_id')
    const target = memberHexes.find((id, i) => id !== leaderHex && st[i]!.Endpoint !== m4.endpoint)!
    const move = await etcdctl(all, ['move-leader', target])
    expect(move.code, move.stderr).toBe(0)
    record('move-leader', move.stdout.replace(leaderHex, 'OLD').replace(target, 'NEW'))
    await waitFor('new leader everywhere', async () => {
      const json = (await etcdctl(all, ['endpoint', 'status', '-w', 'json'])).stdout
      const leaders = rawIds(json, 'leader')
      return leaders.length === 4 && leaders.every((l) => l === target)
    })

    const moveBad = await etcdctl(all, ['move-leader', 'abcdef'])
    record('move-leader to a stranger', moveBad.stderr)

    const update = await etcdctl(all, ['member', 'update', newId, `--peer-urls=http://127.0.0.1:${p4.peerPort}`])
    record('update', update.stdout + update.stderr)

    const remove = await etcdctl(c.endpoints, ['member', 'remove', newId])
    record('remove', remove.stdout + remove.stderr)
    await waitFor('removed member to stop', async () => m4b.proc.exitCode !== null || m4b.proc.signalCode !== null, 30_000)

    if (kind === 'raftdeck') {
      // Restarted after its removal, it learns of it from the others and stops.
      const again = launch(kind, spec4, m4.args)
      c.members.push(again)
      await waitFor('restarted removed member to stop', async () => again.proc.exitCode !== null, 30_000)
      expect(again.log.join('')).toMatch(/the member has been permanently removed from the cluster/)
    }

    const removeAgain = await etcdctl(c.endpoints, ['member', 'remove', newId])
    record('remove again', removeAgain.stderr)
    const list2 = await etcdctl(c.endpoints, ['member', 'list'])
    record('list after remove', list2.stdout.split('\n').sort().join('\n'))
    const put = await etcdctl(c.endpoints, ['put', 'after', 'membership'])
    record('put after changes', put.stdout + put.stderr)
  } finally {
    await stopCluster(c)
  }
  return out
}

describe('membership and leadership with etcdctl', () => {
  afterAll(cleanupAll)

  it('behaves like etcd 3.4 for add --learner, promote, move-leader, update, remove', async () => {
    const ports = await portsFor(4)
    const etcd = await scenario('etcd', ports)
    const ours = await scenario('raftdeck', ports)
    expect(ours.join('\n')).toBe(etcd.join('\n'))
  })
})
