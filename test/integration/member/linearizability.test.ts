/**
 * lin-kv against real member processes: clients read, write and compare-and-set a few keys on
 * every member while the leader is killed (kill -9, then restarted) and later paused (SIGSTOP
 * past the election timeout). The history goes through the porcupine-style checker from the Raft
 * simulator (test/sim): it must be linearizable.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { checkOperations } from '../../sim/linearizability'
import { kvModel, type KvInput, type KvOperation, type KvOutput } from '../../sim/kvModel'
import { cleanupAll, etcdctl, launch, startCluster, waitFor, waitHealthy, type Cluster } from './support/procs'
import { KV } from './support/kvClient'

async function leaderIndex(c: Cluster): Promise<number> {
  return waitFor(
    'a leader',
    async () => {
      for (let i = 0; i < c.members.length; i++) {
        const r = await etcdctl(c.members[i]!.endpoint, ['endpoint', 'status', '-w', 'json', '--command-timeout=1s'])
        const lead = /"leader":(\d+)/.exec(r.stdout)?.[1]
        const me = /"member_id":(\d+)/.exec(r.stdout)?.[1]
        if (lead && lead === me) return i
      }
      return undefined
    },
    30_000,
    200,
  )
}

describe('linearizability under crashes and pauses', () => {
  afterAll(cleanupAll)

  it('a read/write/cas history across all members is linearizable', async () => {
    const c = await startCluster('raftdeck', 3)
    const history: KvOperation[] = []
    const t0 = performance.now()
    let stop = false
    let counter = 0
    // Many keys keep each per-key history small enough for an exhaustive check. With 12, a full-suite
    // run once exhausted the checker's budget ("unknown", not a violation): the calls that time out
    // while the leader is paused stay open forever, and each one doubles the orders to try on its key.
    const keys = Array.from({ length: 32 }, (_, i) => `r${i}`)
    const client = async (id: number): Promise<void> => {
      let n = 0
      while (!stop) {
        const kv = new KV(c.members[(id + n++) % c.members.length]!.endpoint)
        const key = keys[Math.floor(Math.random() * keys.length)]!
        const roll = Math.random()
        let input: KvInput
        if (roll < 0.5) input = { kind: 'read', key }
        else if (roll < 0.8) input = { kind: 'write', key, value: `c${id}-${counter++}` }
        else input = { kind: 'cas', key, from: Math.random() < 0.3 ? null : `c${Math.floor(Math.random() * 5)}-${Math.floor(Math.random() * counter)}`, to: `c${id}-${counter++}` }
        const call = performance.now() - t0
        let output: KvOutput
        let ret = Infinity
        try {
          if (input.kind === 'read') {
            const r = await kv.get(key, { timeoutMs: 2000 })
            output = { kind: 'read', value: r.kvs[0]?.value ?? null }
          } else if (input.kind === 'write') {
            await kv.put(key, input.value, 2000)
            output = { kind: 'write' }
          } else {
            output = { kind: 'cas', ok: await kv.cas(key, input.from, input.to, 2000) }
          }
          ret = performance.now() - t0
        } catch {
          // Timed out or failed: the effect is unknown (it may still apply later).
          output = { kind: 'unknown' }
          await new Promise((r) => setTimeout(r, 100))
        } finally {
          kv.close()
        }
        history.push({ clientId: id, input, output, call, ret })
      }
    }
    const clients = [0, 1, 2, 3, 4].map(client)
    try {
      await waitFor('ops before faults', async () => history.length > 200, 30_000)
      const lead = await leaderIndex(c)
      c.members[lead]!.proc.kill('SIGKILL')
      await c.members[lead]!.exited
      const before = history.filter((h) => h.ret !== Infinity).length
      await waitFor('progress without the old leader', async () => history.filter((h) => h.ret !== Infinity).length > before + 200, 60_000)
      c.members[lead] = launch('raftdeck', c.specs[lead]!, c.members[lead]!.args)
      await waitHealthy(c.members[lead]!, 60_000)
      const lead2 = await leaderIndex(c)
      const paused = c.members[lead2]!
      paused.proc.kill('SIGSTOP')
      const mid = history.filter((h) => h.ret !== Infinity).length
      try {
        await waitFor('progress while the leader is paused', async () => history.filter((h) => h.ret !== Infinity).length > mid + 200, 60_000)
      } finally {
        paused.proc.kill('SIGCONT')
      }
      const end = history.length
      await waitFor('ops after resume', async () => history.length > end + 200, 60_000)
    } finally {
      stop = true
      await Promise.all(clients)
    }
    const report = checkOperations(kvModel, history, 50_000_000)
    expect(report.result, JSON.stringify(report.failing?.slice(0, 20))).toBe('ok')
    expect(history.filter((h) => h.ret !== Infinity).length).toBeGreaterThan(800)
  })
})
