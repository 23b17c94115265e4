/**
 * `npx tsx scripts/measure-stuck-watchers.ts [--watchers 1000] [--streams 100] [--puts 20000] [--value 1024]`
 *
 * Memory of a member whose watch clients stop reading: one raftdeck member, `--watchers` watchers
 * on the whole keyspace spread over `--streams` watch streams whose clients never read a response,
 * then `--puts` puts of `--value` bytes. Prints the member's RSS (VmRSS of its process) before the
 * watchers, with them, and after every tenth of the load. Every event would be a copy per watcher:
 * unbounded, 1,000 watchers × 20,000 × 1 KiB is 20 GB.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import * as grpc from '@grpc/grpc-js'
import { etcdGrpcObject } from '../src-main/etcdpb/load'
import { cleanupAll, freePort, launch, memberArgs, tempDir, waitHealthy } from '../test/integration/member/support/procs'

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : def
}

const rssMiB = (pid: number): number => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Math.round(Number(m[1]) / 1024) : -1
}

type Client = grpc.Client & Record<string, (...a: unknown[]) => unknown>

async function main(): Promise<void> {
  const watchers = arg('watchers', 1000)
  const streams = arg('streams', 100)
  const puts = arg('puts', 20_000)
  const valueBytes = arg('value', 1024)
  const spec = { name: 'm1', clientPort: await freePort(), peerPort: await freePort(), dataDir: path.join(tempDir(), 'm1') }
  const member = launch('raftdeck', spec, memberArgs(spec, `m1=http://127.0.0.1:${spec.peerPort}`, ['--snapshot-count', '1000000']))
  await waitHealthy(member)
  const pid = member.proc.pid!
  const pkg = etcdGrpcObject().etcdserverpb as grpc.GrpcObject
  const mk = (s: string, i: number) =>
    new (pkg[s] as unknown as new (a: string, c: grpc.ChannelCredentials, o: object) => Client)(member.endpoint, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1, 'grpc.channel_id': i })
  const line = (what: string) => process.stdout.write(`${what.padEnd(40)} member RSS ${rssMiB(pid)} MiB\n`)
  line('started')

  // Stuck clients: they open watch streams and create watchers, and never read a response.
  const conns = Array.from({ length: Math.max(1, Math.ceil(streams / 10)) }, (_, i) => mk('Watch', i))
  const calls: grpc.ClientDuplexStream<unknown, unknown>[] = []
  for (let s = 0; s < streams; s++) {
    const c = conns[s % conns.length]!
    const call = c.Watch!.call(c) as grpc.ClientDuplexStream<unknown, unknown>
    call.on('error', () => {})
    call.pause()
    for (let w = 0; w < watchers / streams; w++) call.write({ create_request: { key: Buffer.from([0]), range_end: Buffer.from([0]), prev_kv: true } })
    calls.push(call)
  }
  await new Promise((r) => setTimeout(r, 2000))
  line(`${watchers} watchers on ${streams} streams`)

  const kv = mk('KV', 1000)
  const value = Buffer.alloc(valueBytes, 120)
  const put = (i: number) =>
    new Promise<void>((resolve, reject) => kv.Put!.call(kv, { key: Buffer.from(`k${i % 1000}`), value }, { deadline: Date.now() + 30_000 }, (err: Error | null) => (err ? reject(err) : resolve())))
  const t0 = Date.now()
  let peak = 0
  for (let done = 0; done < puts; ) {
    const batch = Math.min(64, puts - done)
    await Promise.all(Array.from({ length: batch }, (_, j) => put(done + j)))
    done += batch
    peak = Math.max(peak, rssMiB(pid))
    if (done % Math.max(1, Math.floor(puts / 10)) < batch) line(`${done} puts of ${valueBytes} B (${((Date.now() - t0) / 1000).toFixed(1)} s)`)
  }
  process.stdout.write(`peak member RSS during the load: ${peak} MiB\n`)
  for (const c of calls) c.cancel()
  for (const c of conns) c.close()
  kv.close()
}

main()
  .catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
    process.exitCode = 1
  })
  .finally(() => void cleanupAll())
