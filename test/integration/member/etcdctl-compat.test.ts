/**
 * One raftdeck member and one real etcd 3.4 get the same etcdctl command sequence; their
 * outputs must match once IDs, endpoints, timings and sizes are normalised.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import { cleanupAll, ETCDCTL, etcdctl, startCluster, waitFor, type Cluster } from './support/procs'
import { normalize } from './support/normalize'

interface Step {
  args: string[]
  input?: string
}

const TXN = `mod("k1") > "0"
value("k2") = "v2"

put k3 v3
get k2 --prefix
del k9

put fail yes

`

const steps: Step[] = [
  { args: ['put', 'k1', 'v1'] },
  { args: ['put', 'k2', 'v2'] },
  { args: ['put', 'k1', 'v11', '--prev-kv'] },
  { args: ['get', 'k1'] },
  { args: ['get', 'k', '--prefix'] },
  { args: ['get', 'k', '--prefix', '--keys-only'] },
  { args: ['get', 'k', '--prefix', '--limit=1', '-w', 'json'] },
  { args: ['get', 'k1', '--rev=2'] },
  { args: ['get', 'k', '--prefix', '--sort-by=MODIFY', '--order=DESCEND'] },
  { args: ['get', 'k', '--prefix', '--sort-by=VERSION', '--order=ASCEND', '-w', 'json'] },
  { args: ['get', '', '--from-key', '--keys-only'] },
  { args: ['get', 'k', '--prefix', '-w', 'fields'] },
  { args: ['get', 'k1', '--consistency=s'] },
  { args: ['get', 'k1', '--rev=99'] },
  { args: ['put', '', 'x'] },
  { args: ['txn', '-w', 'json'], input: TXN },
  { args: ['txn'], input: TXN },
  { args: ['put', 'k4', 'v4'] },
  { args: ['del', 'k4', '--prev-kv'] },
  { args: ['del', 'k', '--prefix'] },
  { args: ['del', 'nothing'] },
  { args: ['get', 'k', '--prefix', '--rev=5'] },
  { args: ['compaction', '4'] },
  { args: ['get', 'k1', '--rev=3'] },
  { args: ['compaction', '4'] },
  { args: ['compaction', '1000'] },
  { args: ['get', 'k1', '--rev=4', '-w', 'json'] },
  { args: ['put', 'w1', 'a'] },
  { args: ['put', 'w2', 'b'] },
  { args: ['put', 'w1', 'c'] },
  { args: ['del', 'w2'] },
  { args: ['lease', 'grant', '600'] },
  { args: ['lease', 'list'] },
  { args: ['lease', 'keep-alive', '--once', '1234abcd'] },
  { args: ['lease', 'grant', '100000000000'] },
  { args: ['put', 'lk', 'lv', '--lease=1234abcd'] },
  { args: ['lease', 'timetolive', '1234abcd'] },
  { args: ['lease', 'revoke', '1234abcd'] },
  { args: ['put', 'x', 'y', '--ignore-value'] },
  { args: ['alarm', 'list'] },
  { args: ['alarm', 'disarm'] },
  { args: ['endpoint', 'health'] },
  { args: ['endpoint', 'status', '-w', 'json'] },
  { args: ['endpoint', 'status', '-w', 'table'] },
  { args: ['endpoint', 'health', '-w', 'json'] },
  { args: ['member', 'list'] },
  { args: ['member', 'list', '-w', 'table'] },
  { args: ['defrag'] },
  { args: ['endpoint', 'hashkv', '-w', 'table'] },
  { args: ['move-leader', '1'] },
  { args: ['user', 'add', 'root:rootpw'] },
  { args: ['role', 'add', 'reader'] },
  { args: ['role', 'grant-permission', 'reader', 'read', 'k', '--prefix'] },
  { args: ['role', 'get', 'reader'] },
  { args: ['user', 'grant-role', 'root', 'root'] },
  { args: ['user', 'add', 'alice:alicepw'] },
  { args: ['user', 'grant-role', 'alice', 'reader'] },
  { args: ['user', 'get', 'alice'] },
  { args: ['user', 'list'] },
  { args: ['role', 'list'] },
  { args: ['auth', 'enable'] },
  { args: ['get', 'k1'] },
  { args: ['--user=alice:alicepw', 'get', 'k', '--prefix'] },
  { args: ['--user=alice:alicepw', 'put', 'k1', 'nope'] },
  { args: ['--user=alice:wrong', 'get', 'k1'] },
  { args: ['--user=root:rootpw', 'user', 'passwd', 'alice', '--interactive=false'], input: 'newpw\n' },
  { args: ['--user=alice:alicepw', 'get', 'k1'] },
  { args: ['--user=alice:newpw', 'get', 'k1', '-w', 'json'] },
  { args: ['--user=root:rootpw', 'role', 'grant-permission', 'reader', 'readwrite', 'w1'] },
  { args: ['--user=root:rootpw', 'role', 'get', 'reader'] },
  { args: ['--user=root:rootpw', 'user', 'revoke-role', 'alice', 'nosuchrole'] },
  { args: ['--user=root:rootpw', 'role', 'revoke-permission', 'reader', 'k', '--prefix'] },
  { args: ['--user=root:rootpw', 'role', 'revoke-permission', 'reader', 'nothing'] },
  { args: ['--user=root:rootpw', 'user', 'revoke-role', 'alice', 'reader'] },
  { args: ['--user=root:rootpw', 'role', 'delete', 'reader'] },
  { args: ['--user=root:rootpw', 'user', 'add', 'root:again'] },
  { args: ['--user=root:rootpw', 'role', 'add', ''] },
  { args: ['--user=root:rootpw', 'user', 'delete', 'alice'] },
  { args: ['--user=root:rootpw', 'auth', 'disable'] },
]

/** Runs the sequence, with the lease ID fixed so both clusters see the same commands. */
async function runSequence(c: Cluster): Promise<string[]> {
  const out: string[] = []
  for (const s of steps) {
    const args = s.args[0] === 'lease' && s.args[1] === 'grant' ? ['lease', 'grant', '600'] : s.args
    // A generous deadline: the shared machine sometimes stalls either server for seconds.
    const r = await etcdctl(c.endpoints[0]!, ['--command-timeout=15s', ...args], s.input !== undefined ? { input: s.input, timeoutMs: 30_000 } : { timeoutMs: 30_000 })
    out.push(`$ etcdctl ${s.args.join(' ')}\n[${r.code}] ${normalize(r.stdout + r.stderr)}`)
  }
  return out
}

/** etcdctl watch replaying history from a revision; stops once `events` events arrived. */
async function watchReplay(c: Cluster, args: string[], events: number): Promise<string> {
  const child = spawn(ETCDCTL, [`--endpoints=${c.endpoints[0]}`, 'watch', ...args], { env: { ...process.env, ETCDCTL_API: '3' } })
  let text = ''
  child.stdout.on('data', (d: Buffer) => (text += d.toString()))
  child.stderr.on('data', (d: Buffer) => (text += d.toString()))
  // 'close' comes after the process exited and its output streams ended.
  let closed = false
  child.on('close', () => (closed = true))
  try {
    // A cancelled watch makes etcdctl print its reason and exit by itself: wait for the exit, so every
    // line it prints is captured (stopping at the first 'canceled' line raced its last line).
    await waitFor(`${events} watch events or etcdctl's exit`, async () => (text.match(/^(PUT|DELETE)$/gm)?.length ?? 0) >= events || closed, 15_000)
  } finally {
    child.kill('SIGKILL')
  }
  return normalize(text)
}

describe('etcdctl against a raftdeck member and a real etcd 3.4', () => {
  afterAll(cleanupAll)

  it('prints the same for the same command sequence', async () => {
    // The lease we attach keys to is created with a fixed ID through the API's ID field.
    const etcd = await startCluster('etcd', 1)
    const ours = await startCluster('raftdeck', 1)
    const results: Record<string, string[]> = {}
    for (const [name, c] of [['etcd', etcd], ['raftdeck', ours]] as const) {
      // A lease with a known ID, so later steps can name it.
      const grant = await etcdctl(c.endpoints[0]!, ['lease', 'grant', '600'])
      expect(grant.code).toBe(0)
      const seq = await runSequence(c)
      seq.push('watch --rev=2 --prefix k --prev-kv:\n' + (await watchReplay(c, ['--rev=2', '--prefix', 'k', '--prev-kv'], 7)))
      seq.push('watch --rev=1 (compacted):\n' + (await watchReplay(c, ['--rev=1', 'k1'], 1)))
      results[name] = seq
    }
    const a = results.etcd!
    const b = results.raftdeck!
    expect(b.join('\n')).toBe(a.join('\n'))
  })
})
