// How a member's memory grows with the history it keeps: a fresh 3-member playground of each engine
// asked for, N puts of 256-byte values over 10,000 keys (the bench's key space) from 64 clients,
// then each member's RSS right after and 10 s later (docs/member.md, "History on disk, and a value
// kept once"). With `--engine both`, raftdeck then etcd, and the ratio of their RSS at rest.
//
//   npx tsx scripts/measure-history-rss.ts [--puts 150000] [--engine raftdeck|etcd|both] [--rest 10]
//
// Unlike `npm run bench`, the number of writes is fixed, so runs on machines of different speed
// (and engines of different speed) keep the same history.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { LogBus } from '../src-main/services'
import { findEtcdBinary } from '../src-main/services/app/etcdBinary'
import { createLauncher, packageMemberCommand } from '../src-main/services/playground/launcher'
import { PlaygroundService } from '../src-main/services/playground/service'
import type { PlaygroundEngine } from '../src-main/shared/api/playground'
import { choiceOption, intOption, scriptArgs } from './args'

const USAGE = 'npx tsx scripts/measure-history-rss.ts [--puts 150000] [--engine raftdeck|etcd|both] [--rest 10]'
const values = scriptArgs(USAGE, { puts: { type: 'string', default: '150000' }, engine: { type: 'string', default: 'raftdeck' }, rest: { type: 'string', default: '10' } })
const PUTS = intOption(USAGE, 'puts', values.puts)
const REST = intOption(USAGE, 'rest', values.rest)
const ENGINE = choiceOption(USAGE, 'engine', values.engine, ['raftdeck', 'etcd', 'both'] as const)
const CLIENTS = 64
const VALUE = randomBytes(256)

function statusMiB(pid: number, field: 'VmRSS' | 'RssAnon'): number {
  const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'))
  return m ? Number(m[1]) / 1024 : NaN
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length

/** One engine's fresh cluster, the puts, and its members' mean RSS at rest (MiB). */
async function measure(engine: PlaygroundEngine): Promise<number> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'raftdeck-history-rss-'))
  const svc = new PlaygroundService({ dataDir, launcher: createLauncher(packageMemberCommand(), findEtcdBinary()), log: new LogBus(5000, null) })
  try {
    const { id } = await svc.create('history-rss', 3, engine)
    let state = (await svc.list()).find((p) => p.id === id)!
    const deadline = Date.now() + 60_000
    while (!(state.members.every((m) => m.pid && m.raft) && state.members.filter((m) => m.raft?.role === 'leader').length === 1)) {
      if (Date.now() > deadline) throw new Error('no leader within 60 s')
      await new Promise((r) => setTimeout(r, 200))
      state = (await svc.list()).find((p) => p.id === id)!
    }
    const client = await svc.client(id)
    const leader = state.members.find((m) => m.raft?.role === 'leader')!.clientUrl
    let next = 0
    const t0 = performance.now()
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (next < PUTS) {
          const i = next++
          await client.put({ key: Buffer.from(`/bench/${i % 10_000}`), value: VALUE }, { endpoint: leader })
        }
      }),
    )
    const seconds = (performance.now() - t0) / 1000
    const pids = state.members.map((m) => m.pid!)
    const after = mean(pids.map((p) => statusMiB(p, 'VmRSS')))
    await new Promise((r) => setTimeout(r, REST * 1000))
    const rest = pids.map((p) => statusMiB(p, 'VmRSS'))
    const anon = mean(pids.map((p) => statusMiB(p, 'RssAnon')))
    console.log(
      `${engine}: ${PUTS} puts in ${seconds.toFixed(1)} s (${Math.round(PUTS / seconds)}/s); RSS per member right after ${after.toFixed(1)} MiB, ` +
        `after ${REST} s ${mean(rest).toFixed(1)} MiB (${rest.map((x) => x.toFixed(0)).join(' / ')}), anonymous ${anon.toFixed(1)} MiB`,
    )
    client.close()
    return mean(rest)
  } finally {
    await svc.dispose()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

const engines: PlaygroundEngine[] = ENGINE === 'both' ? ['raftdeck', 'etcd'] : [ENGINE]
const atRest: number[] = []
for (const engine of engines) atRest.push(await measure(engine))
if (atRest.length === 2) console.log(`RSS per member at rest, raftdeck / etcd: ${(atRest[0]! / atRest[1]!).toFixed(2)}`)
