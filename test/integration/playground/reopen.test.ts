// After an app restart, playgrounds come back from their manifests and the ones that were running
// start again on the same data; a member that dies on its own is reported as crashed, not restarted.
import { afterAll, describe, expect, it } from 'vitest'
import { createLauncher, packageMemberCommand } from '../../../src-main/services/playground/launcher'
import { PlaygroundService } from '../../../src-main/services/playground/service'
import { harness, settled, type Harness } from './support'

describe('reopening and crashes', () => {
  let h: Harness
  afterAll(() => h?.close())

  it('reopens a running playground after the app restarts, with its data', async () => {
    h = harness()
    const { id } = await h.service.create('reopen', 3)
    await h.until(id, 'one leader', settled)
    await (await h.service.client(id)).put({ key: Buffer.from('/kept'), value: Buffer.from('yes') })
    const before = (await h.service.list())[0]!
    await h.service.dispose()

    // A new app on the same data folder.
    const second = new PlaygroundService({ dataDir: h.dataDir, launcher: createLauncher(packageMemberCommand(), null), log: h.log })
    h.service = second
    const list = await second.list()
    expect(list.map((p) => [p.name, p.endpoints])).toEqual([['reopen', before.endpoints]])
    await h.until(id, 'one leader after reopening', settled, 60_000)
    const r = await (await second.client(id)).range({ key: Buffer.from('/kept') })
    expect(r.kvs[0]?.value.toString()).toBe('yes')
  })

  it('reports a member that dies on its own as crashed and leaves it down', async () => {
    const id = (await h.service.list())[0]!.id
    const s = await h.until(id, 'one leader', settled)
    const victim = s.members.find((m) => m.raft?.role === 'follower')!
    process.kill(victim.pid!, 'SIGABRT')
    const after = await h.until(id, 'the crash to be reported', (x) => x.members.find((m) => m.name === victim.name)!.process === 'crashed')
    expect(after.members.find((m) => m.name === victim.name)!.pid).toBeNull()
    expect(h.log.recent(5000).some((e) => e.level === 'error' && e.source.endsWith(`/${victim.name}`) && /crashed/.test(e.message))).toBe(true)
    // Still down a moment later: nothing restarted it.
    await h.until(id, 'a fresh state sample', (x) => x.members.some((m) => (m.raft?.at ?? 0) > Date.now() - 200))
    expect((await h.service.list())[0]!.members.find((m) => m.name === victim.name)!.process).toBe('crashed')
  })
})
