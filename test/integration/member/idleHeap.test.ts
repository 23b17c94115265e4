/**
 * A member gives its young generation back when the load stops (server/idleHeap.ts): a real member
 * process, started with the Node options members get (nodeFlags.json), written to from 16 clients,
 * then left alone. It must shrink it once it is quiet, and never while the load runs.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { KV } from './support/kvClient'
import { cleanupAll, startCluster, waitFor } from './support/procs'

const LINE = /quiet after a load: young generation (\d+) → (\d+) MiB/

describe('a member at rest after a load', () => {
  afterAll(cleanupAll)

  it('shrinks its young generation once it is quiet, not while the load runs', async () => {
    const c = await startCluster('raftdeck', 1)
    const m = c.members[0]!
    const trims = (): RegExpMatchArray[] =>
      m.log
        .join('')
        .split('\n')
        .map((l) => l.match(LINE))
        .filter((x) => x !== null)
    const kv = new KV(m.endpoint)
    try {
      // ~24 MB of values over 2,000 keys: the young generation grows to its maximum and history piles up.
      const value = 'v'.repeat(2048)
      const before = trims().length
      let next = 0
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next < 12_000) await kv.put(`/idle/${next++ % 2000}`, value)
        }),
      )
      expect(trims().length).toBe(before)
      const line = await waitFor('the member to shrink its young generation after the load', async () => trims()[before], 30_000, 200)
      const [youngBefore, youngAfter] = line.slice(1).map(Number)
      expect(youngBefore).toBeGreaterThanOrEqual(4)
      expect(youngAfter).toBeLessThan(youngBefore!)
      // The store still answers with what was written.
      const got = await kv.get('/idle/1999')
      expect(got.kvs[0]?.value).toBe(value)
    } finally {
      kv.close()
    }
  })
})
