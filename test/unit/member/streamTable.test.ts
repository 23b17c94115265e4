/**
 * The padded stream table of the client port's HTTP/2 sessions (src-main/member/api/streamTable.ts):
 * its placeholders never show, it is installed on real Node sessions (so a Node upgrade that moves
 * the table fails here rather than silently bringing back a full collection every 0.6 s on a loaded
 * leader), and sessions that use it still close, drain and tear down their streams as Node's own.
 */
import http2 from 'node:http2'
import net, { type AddressInfo } from 'node:net'
import * as grpc from '@grpc/grpc-js'
import { afterEach, describe, expect, it } from 'vitest'
import { padStreamTable, StreamTable, streamTableOf } from '../../../src-main/member/api/streamTable'
import { injectorWithUnaryPath } from '../../../src-main/member/api/unaryPath'
import { etcdGrpcObject, serviceDefinition } from '../../../src-main/etcdpb/load'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

describe('StreamTable', () => {
  it('shows only the streams: size, iteration and forEach skip the placeholders', () => {
    const t = new StreamTable<string>(16)
    expect(t.size).toBe(0)
    expect([...t]).toEqual([])
    t.set(1, 'a')
    t.set(3, 'b')
    t.set(5, 'c')
    t.delete(3)
    expect(t.size).toBe(2)
    expect(t.get(1)).toBe('a')
    expect(t.has(3)).toBe(false)
    expect([...t]).toEqual([
      [1, 'a'],
      [5, 'c'],
    ])
    expect([...t.keys()]).toEqual([1, 5])
    expect([...t.values()]).toEqual(['a', 'c'])
    expect([...t.entries()]).toEqual([
      [1, 'a'],
      [5, 'c'],
    ])
    const seen: Array<[number, string]> = []
    const self = {}
    t.forEach(function (this: unknown, v, k) {
      expect(this).toBe(self)
      seen.push([k, v])
    }, self)
    expect(seen).toEqual([
      [1, 'a'],
      [5, 'c'],
    ])
    t.clear()
    expect(t.size).toBe(0)
    expect([...t]).toEqual([])
    // The placeholders stay through clear(): the table keeps its size.
    expect(Map.prototype.has.call(t, -1)).toBe(true)
  })
})

async function h2Server(onStream: (s: http2.ServerHttp2Stream) => void): Promise<{ server: http2.Http2Server; sessions: http2.ServerHttp2Session[]; padded: boolean[]; url: string }> {
  const server = http2.createServer()
  const sessions: http2.ServerHttp2Session[] = []
  const padded: boolean[] = []
  server.on('session', (s) => {
    sessions.push(s)
    padded.push(padStreamTable(s, 8))
  })
  server.on('stream', onStream)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return { server, sessions, padded, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
}

const closed = (s: http2.Http2Stream | http2.Http2Session): Promise<void> => new Promise((resolve) => (s.closed && s.destroyed ? resolve() : s.once('close', () => resolve())))

describe('padStreamTable on Node sessions', () => {
  it('is installed on a real session, once, and streams come and go through it', async () => {
    const held: http2.ServerHttp2Stream[] = []
    const { sessions, padded, url } = await h2Server((s) => {
      held.push(s)
      s.resume()
    })
    const client = http2.connect(url)
    cleanups.push(() => void client.destroy())
    const reqs = [0, 1, 2].map(() => {
      const r = client.request({ ':method': 'POST', ':path': '/x' })
      r.resume()
      r.end()
      return r
    })
    await expect.poll(() => held.length).toBe(3)
    expect(padded).toEqual([true])
    const table = streamTableOf(sessions[0]!)
    expect(table).toBeInstanceOf(StreamTable)
    expect((table as StreamTable<unknown>).size).toBe(3)
    // A second call finds the table already replaced and leaves it.
    expect(padStreamTable(sessions[0]!, 8)).toBe(false)
    for (const s of held) s.respond({ ':status': 200 }, { endStream: true })
    await Promise.all(reqs.map(closed))
    await expect.poll(() => (table as StreamTable<unknown>).size).toBe(0)
  })

  it('lets a closing session drain its open streams, then end', async () => {
    const held: http2.ServerHttp2Stream[] = []
    const { sessions, url } = await h2Server((s) => {
      held.push(s)
      s.resume()
    })
    const client = http2.connect(url)
    cleanups.push(() => void client.destroy())
    const reqs = [0, 1].map(() => {
      const r = client.request({ ':method': 'POST', ':path': '/x' })
      r.setEncoding('utf8')
      let body = ''
      r.on('data', (d: string) => (body += d))
      r.end()
      return { r, body: () => body }
    })
    await expect.poll(() => held.length).toBe(2)
    const session = sessions[0]!
    const sessionGone = closed(session)
    let ended = false
    void sessionGone.then(() => (ended = true))
    session.close()
    // Open streams keep a closing session alive (Node reads the table's size for that)...
    await new Promise((resolve) => setImmediate(resolve))
    expect(ended).toBe(false)
    held[0]!.respond({ ':status': 200 })
    held[0]!.end('one')
    await closed(reqs[0]!.r)
    expect(ended).toBe(false)
    // ...and the session ends once the last one is done.
    held[1]!.respond({ ':status': 200 })
    held[1]!.end('two')
    await closed(reqs[1]!.r)
    await sessionGone
    expect(reqs.map((x) => x.body())).toEqual(['one', 'two'])
  })

  it('tears down every open stream when the session is destroyed', async () => {
    const held: http2.ServerHttp2Stream[] = []
    const { sessions, url } = await h2Server((s) => {
      held.push(s)
      s.on('error', () => {})
      s.resume()
    })
    const client = http2.connect(url)
    client.on('error', () => {})
    cleanups.push(() => void client.destroy())
    for (let i = 0; i < 3; i++) {
      const r = client.request({ ':method': 'POST', ':path': '/x' })
      r.on('error', () => {})
      r.resume()
      r.end()
    }
    await expect.poll(() => held.length).toBe(3)
    sessions[0]!.destroy()
    await Promise.all(held.map(closed))
    expect(held.every((s) => s.destroyed)).toBe(true)
  })
})

describe('the client port', () => {
  it("gives grpc-js's sessions the padded table", async () => {
    const server = new grpc.Server()
    server.addService(serviceDefinition('etcdserverpb.KV'), {
      Range: (_call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => cb(null, { header: { revision: '1' }, kvs: [], count: '0' }),
    })
    const injector = injectorWithUnaryPath(server, grpc.ServerCredentials.createInsecure(), { routes: new Map(), known: new Set(), maxReceiveBytes: 1024, refuse: () => undefined })
    const registry = (server as unknown as { http2Servers: Map<http2.Http2Server, unknown> }).http2Servers
    const http2Server = [...registry.keys()][0]!
    const sessions: http2.ServerHttp2Session[] = []
    http2Server.on('session', (s: http2.ServerHttp2Session) => sessions.push(s))
    const listener = net.createServer((socket) => injector.injectConnection(socket))
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => new Promise<void>((resolve) => listener.close(() => resolve())))
    cleanups.push(() => server.forceShutdown())
    const KV = (etcdGrpcObject() as unknown as { etcdserverpb: { KV: grpc.ServiceClientConstructor } }).etcdserverpb.KV
    const client = new KV(`127.0.0.1:${(listener.address() as AddressInfo).port}`, grpc.credentials.createInsecure())
    cleanups.push(() => client.close())
    const reply = await new Promise<{ count: string }>((resolve, reject) => client.Range({ key: Buffer.from('k') }, (err: Error | null, r: { count: string }) => (err ? reject(err) : resolve(r))))
    expect(reply.count).toBe('0')
    expect(sessions).toHaveLength(1)
    expect(streamTableOf(sessions[0]!)).toBeInstanceOf(StreamTable)
  })
})
