/**
 * `npm run fuzz -- [--seed N] [--runs M] [--time S] [--batch K] [--phases auth-off,auth-on]
 *                  [--path P] [--no-huge-keys] [--compare-etcd [--batches B]]`
 *
 * Fuzzes a 3-member raftdeck cluster with generated gRPC calls (every method of the six services)
 * and checks one leader, reads served and HashKV equal after every batch; a failure prints the seed,
 * the replay path and the minimal batch. --compare-etcd instead sends the same calls to real etcd
 * 3.4 and to raftdeck members and lists the differences in error class.
 */
import { cleanupAll } from '../integration/member/support/procs'
import { compareWithEtcd, formatCompare } from './compare'
import { formatReport, fuzz, type Phase } from './runner'
import { FuzzTarget } from './target'

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`)
  if (i < 0) return undefined
  const v = process.argv[i + 1]
  return v && !v.startsWith('--') ? v : 'true'
}

async function main(): Promise<number> {
  const seed = Number(arg('seed') ?? Math.floor(Math.random() * 2 ** 31))
  const phases = (arg('phases') ?? 'auth-off,auth-on').split(',') as Phase[]
  const log = (l: string) => process.stdout.write(`${l}\n`)
  if (arg('compare-etcd')) {
    const r = await compareWithEtcd({ seed, batches: Number(arg('batches') ?? 10), batchSize: Number(arg('batch') ?? 25), phases, log })
    log(formatCompare(r))
    return r.unexpectedExits.length ? 1 : 0
  }
  const target = new FuzzTarget({ kind: 'raftdeck', log })
  await target.start()
  try {
    const time = arg('time')
    const r = await fuzz(target, {
      seed,
      runs: Number(arg('runs') ?? 100),
      ...(time ? { timeLimitMs: Number(time) * 1000 } : {}),
      batchSize: Number(arg('batch') ?? 30),
      concurrency: Number(arg('concurrency') ?? 4),
      phases,
      hugeKeys: !arg('no-huge-keys'),
      ...(arg('path') ? { path: arg('path') } : {}),
      log,
    })
    log(formatReport(r))
    return r.failures.length ? 1 : 0
  } finally {
    await target.stop()
  }
}

main()
  .then(async (code) => {
    await cleanupAll()
    process.exit(code)
  })
  .catch(async (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
    await cleanupAll()
    process.exit(2)
  })
