/**
 * `npx tsx scripts/measure-h2-promotion.ts [--requests 40000] [--concurrency 1,4,16,64] [--mode trailers|trailers-es|data|headers|data-late|data-imm] [--table node|padded]`
 *
 * How much of what a plain Node HTTP/2 server allocates per request reaches V8's old generation,
 * with no gRPC and no member code in the way. A child process serves unary-shaped calls. It reads
 * the body, then answers in one of these ways:
 * - `trailers`: headers, one DATA frame and trailers, as a gRPC answer is sent;
 * - `trailers-es`: the same, with `endStream: false` in respond()'s options (Node adds the field to
 *   its copy of the options when it is missing, and that copy's hidden class is new every time);
 * - `data`: headers and DATA only;
 * - `headers`: headers only, with END_STREAM.
 * Two more tell apart what `trailers` does differently (Node sends trailers from a `setImmediate`):
 * - `data-late`: as `data`, with the end of the stream put off by one `setImmediate`;
 * - `data-imm`: as `data`, plus a `setImmediate` that carries the stream as an argument.
 *
 * `--table padded` gives each session the member's stream table (src-main/member/api/streamTable.ts)
 * instead of Node's own Map.
 *
 * The child runs with `--trace-gc-nvp`. The script prints, over the last two thirds of the run's
 * scavenges, what was allocated and promoted per request. It also prints how many global handles
 * died in those scavenges.
 *
 * Why it exists: a member under 64-client load promotes ~9–11% of what it allocates, the same for
 * serializable gets as for puts, so the promoted bytes come from the request path rather than the
 * store (docs/member.md, "Where the put p99 comes from"). This script shows how much of that Node's
 * own HTTP/2 does, and (`--table padded`) how much of it the member's stream table removes
 * (docs/member.md, "The session's stream table").
 */
import { fork } from 'node:child_process'
import http2 from 'node:http2'
import { padStreamTable } from '../src-main/member/api/streamTable'
import { choiceOption, intListOption, intOption, scriptArgs } from './args'

const USAGE = 'npx tsx scripts/measure-h2-promotion.ts [--requests 40000] [--concurrency 1,4,16,64] [--mode trailers|trailers-es|data|headers|data-late|data-imm] [--table node|padded]'
const MODES = ['trailers', 'trailers-es', 'data', 'headers', 'data-late', 'data-imm'] as const
const TABLES = ['node', 'padded'] as const
const values = scriptArgs(USAGE, {
  requests: { type: 'string', default: '40000' },
  concurrency: { type: 'string', default: '1,4,16,64' },
  mode: { type: 'string', default: 'trailers' },
  table: { type: 'string', default: 'node' },
  serve: { type: 'string' },
})

if (values.serve) {
  // The child: a server that answers every stream once its body has arrived.
  const mode = choiceOption(USAGE, 'serve', values.serve, MODES)
  const table = choiceOption(USAGE, 'table', values.table, TABLES)
  const server = http2.createServer()
  if (table === 'padded') server.on('session', (session) => padStreamTable(session))
  const keep = (..._args: unknown[]) => {}
  server.on('stream', (stream) => {
    stream.on('data', () => {})
    stream.on('end', () => {
      if (mode === 'headers') return stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { endStream: true })
      if (mode === 'data') {
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' })
        return stream.end(Buffer.alloc(40))
      }
      if (mode === 'data-late') {
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' })
        stream.write(Buffer.alloc(40))
        return setImmediate(() => stream.end())
      }
      if (mode === 'data-imm') {
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' })
        setImmediate(keep, stream, [1, 2])
        return stream.end(Buffer.alloc(40))
      }
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, mode === 'trailers-es' ? { endStream: false, waitForTrailers: true } : { waitForTrailers: true })
      stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }))
      stream.end(Buffer.alloc(40))
    })
  })
  server.listen(0, '127.0.0.1', () => process.send!((server.address() as { port: number }).port))
} else {
  const mode = choiceOption(USAGE, 'mode', values.mode, MODES)
  const table = choiceOption(USAGE, 'table', values.table, TABLES)
  const requests = intOption(USAGE, 'requests', values.requests, 1)
  for (const c of intListOption(USAGE, 'concurrency', values.concurrency)) console.log(`${mode} ${table} table c${c}: ${await measure(mode, table, requests, c)}`)
}

async function measure(mode: string, table: string, requests: number, concurrency: number): Promise<string> {
  const child = fork(process.argv[1]!, ['--serve', mode, '--table', table], { execArgv: [...process.execArgv, '--trace-gc-nvp', '--max-semi-space-size=8'], stdio: ['ignore', 'pipe', 'inherit', 'ipc'] })
  let out = ''
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  const port = await new Promise<number>((resolve) => child.once('message', (p) => resolve(p as number)))
  const session = http2.connect(`http://127.0.0.1:${port}`)
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const req = session.request({ ':method': 'POST', ':path': '/measure', 'content-type': 'application/grpc' })
      req.on('data', () => {})
      req.on('error', reject)
      req.on('close', resolve)
      req.end(Buffer.alloc(300))
    })
  let left = requests
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left-- > 0) await one()
    }),
  )
  session.close()
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  await exited
  const rows = out
    .split('\n')
    .filter((l) => l.includes('gc=s '))
    .map((l) => Object.fromEntries([...l.matchAll(/(\S+)=(\S+)/g)].map((m) => [m[1]!, Number(m[2])])))
  if (rows.length < 6) return `only ${rows.length} scavenges: raise --requests`
  const kept = rows.slice(Math.floor(rows.length / 3))
  const sum = (k: string): number => kept.reduce((a, r) => a + (r[k] ?? 0), 0)
  // The kept scavenges cover about this many requests (allocation is steady once warm).
  const covered = (requests * kept.length) / rows.length
  return `${rows.length} scavenges; per request ${(sum('allocated') / covered / 1024).toFixed(1)} KB allocated, ${(sum('promoted') / covered).toFixed(0)} B promoted (${((100 * sum('promoted')) / sum('allocated')).toFixed(1)}%); global handles died in scavenges: ${sum('nodes_died_in_new')}`
}
