/**
 * The client port's own unary path (src-main/member/api/unaryPath.ts): unary calls answered from the
 * HTTP/2 stream, streams left to grpc-js, and the learner rule applied before either. Driven over
 * real sockets with grpc-js's client and with hand-made HTTP/2 requests for what a grpc-js client
 * never sends (no message, two messages, bytes that do not decode).
 */
import http2 from 'node:http2'
import net from 'node:net'
import * as grpc from '@grpc/grpc-js'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { etcdGrpcObject, serviceDefinition } from '../../../src-main/etcdpb/load'
import { injectorWithUnaryPath, methodPaths, unaryRoutes } from '../../../src-main/member/api/unaryPath'

interface Harness {
  port: number
  seenByGrpcJs: string[]
  handled: string[]
  /** Each Range call object as its handler got it, with what it said while the call was live. */
  rangeCalls: Array<{ call: grpc.ServerUnaryCall<unknown, unknown>; path: string; cancelled: boolean }>
  close(): Promise<void>
}

const open: Harness[] = []
afterEach(async () => {
  for (const h of open.splice(0)) await h.close()
})

const MAX = 1024

async function start(opts: { learner?: boolean } = {}): Promise<Harness> {
  const seenByGrpcJs: string[] = []
  const handled: string[] = []
  const rangeCalls: Harness['rangeCalls'] = []
  // An interceptor runs only for calls grpc-js serves: it tells which path answered a call.
  const server = new grpc.Server({
    'grpc.max_receive_message_length': MAX,
    interceptors: [
      (method, call) => {
        seenByGrpcJs.push(method.path)
        return call as grpc.ServerInterceptingCall
      },
    ],
  })
  const kv = serviceDefinition('etcdserverpb.KV')
  const watch = serviceDefinition('etcdserverpb.Watch')
  const kvImpl: grpc.UntypedServiceImplementation = {
    Range: (call: grpc.ServerUnaryCall<{ key: Buffer }, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      handled.push('Range')
      rangeCalls.push({ call: call as grpc.ServerUnaryCall<unknown, unknown>, path: call.getPath(), cancelled: call.cancelled })
      const token = call.metadata.get('token')[0]
      cb(null, { header: { revision: '7' }, kvs: [{ key: call.request.key, value: Buffer.from(String(token ?? 'none')) }], count: '1' })
    },
    Put: (_call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      handled.push('Put')
      cb({ code: grpc.status.FAILED_PRECONDITION, details: 'etcdserver: clé refusée 100%' } as grpc.ServiceError)
    },
    DeleteRange: (_call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      handled.push('DeleteRange')
      // Answered late: the client may be gone by then.
      setTimeout(() => {
        cb(null, { header: {}, deleted: '0' })
        handled.push('DeleteRange answered')
      }, 200)
    },
  }
  const watchImpl: grpc.UntypedServiceImplementation = {
    Watch: (call: grpc.ServerDuplexStream<unknown, unknown>) => {
      handled.push('Watch')
      call.on('data', () => call.write({ header: { revision: '1' }, watch_id: '3', created: true, events: [] }))
      call.on('end', () => call.end())
    },
  }
  server.addService(kv, kvImpl)
  server.addService(watch, watchImpl)
  const injector = injectorWithUnaryPath(server, grpc.ServerCredentials.createInsecure(), {
    routes: unaryRoutes([
      [kv, kvImpl],
      [watch, watchImpl],
    ]),
    known: methodPaths([kv, watch]),
    maxReceiveBytes: MAX,
    refuse: (path) => (opts.learner && path !== '/etcdserverpb.KV/Range' ? { code: grpc.status.UNAVAILABLE, details: 'etcdserver: rpc not supported for learner' } : undefined),
  })
  const sockets = new Set<net.Socket>()
  const listener = net.createServer((s) => {
    sockets.add(s)
    s.once('close', () => sockets.delete(s))
    injector.injectConnection(s)
  })
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', () => r()))
  const h: Harness = {
    port: (listener.address() as net.AddressInfo).port,
    seenByGrpcJs,
    handled,
    rangeCalls,
    close: async () => {
      listener.close()
      server.forceShutdown()
      for (const s of sockets) s.destroy()
    },
  }
  open.push(h)
  return h
}

type KvClient = grpc.Client & Record<string, (req: unknown, md: grpc.Metadata, cb: (err: grpc.ServiceError | null, res: unknown) => void) => grpc.ClientUnaryCall>

function client(port: number, options: grpc.ChannelOptions = {}): KvClient {
  const pkg = etcdGrpcObject() as unknown as { etcdserverpb: { KV: grpc.ServiceClientConstructor } }
  return new pkg.etcdserverpb.KV(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), options) as unknown as KvClient
}

function call(c: KvClient, method: string, req: unknown, md = new grpc.Metadata()): Promise<{ err: grpc.ServiceError | null; res: unknown }> {
  return new Promise((resolve) => c[method]!(req, md, (err, res) => resolve({ err, res })))
}

/** One HTTP/2 request with a body made by hand; the response's headers, trailers and body. */
async function raw(port: number, path: string, body: Buffer, extra: http2.OutgoingHttpHeaders = {}): Promise<{ headers: http2.IncomingHttpHeaders; trailers: http2.IncomingHttpHeaders; body: Buffer }> {
  const session = http2.connect(`http://127.0.0.1:${port}`)
  try {
    return await new Promise((resolve, reject) => {
      const req = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', ...extra })
      let headers: http2.IncomingHttpHeaders = {}
      let trailers: http2.IncomingHttpHeaders = {}
      const chunks: Buffer[] = []
      req.on('response', (h) => (headers = h))
      req.on('trailers', (t) => (trailers = t))
      req.on('data', (d: Buffer) => chunks.push(d))
      req.on('end', () => resolve({ headers, trailers, body: Buffer.concat(chunks) }))
      req.on('error', reject)
      req.end(body)
    })
  } finally {
    session.close()
  }
}

/** A gRPC length-prefixed message, uncompressed. */
function frame(msg: Buffer): Buffer {
  const prefix = Buffer.alloc(5)
  prefix.writeUInt32BE(msg.length, 1)
  return Buffer.concat([prefix, msg])
}

describe('the unary path', () => {
  it('answers unary calls itself, with the request, the metadata and the response as grpc-js would', async () => {
    const h = await start()
    const c = client(h.port)
    const md = new grpc.Metadata()
    md.set('token', 'abc.42')
    const { err, res } = await call(c, 'Range', { key: Buffer.from('/k') }, md)
    c.close()
    expect(err).toBeNull()
    const r = res as { header: { revision: string }; kvs: Array<{ key: Buffer; value: Buffer }> }
    expect(r.header.revision).toBe('7')
    expect(r.kvs[0]!.key.toString()).toBe('/k')
    expect(r.kvs[0]!.value.toString()).toBe('abc.42')
    expect(h.handled).toEqual(['Range'])
    // grpc-js never saw the call: the interceptor did not run.
    expect(h.seenByGrpcJs).toEqual([])
  })

  it('gives handlers a call object whose properties all calls share, so it dies young', async () => {
    // An object literal with its own getter closure per call gets a hidden class of its own, which
    // V8 keeps in the old generation with the closure, and so the whole call, until a full
    // collection (docs/member.md, "The call object that outlived its call"). The accessor must
    // live on a shared prototype.
    const h = await start()
    const c = client(h.port)
    await call(c, 'Range', { key: Buffer.from('/a') })
    await call(c, 'Range', { key: Buffer.from('/b') })
    c.close()
    expect(h.rangeCalls.map((x) => [x.path, x.cancelled])).toEqual([
      ['/etcdserverpb.KV/Range', false],
      ['/etcdserverpb.KV/Range', false],
    ])
    const [a, b] = h.rangeCalls.map((x) => x.call)
    expect(Object.getOwnPropertyDescriptor(a, 'cancelled')).toBeUndefined()
    expect(Object.getOwnPropertyDescriptor(a, 'getPath')).toBeUndefined()
    expect(Object.getPrototypeOf(a)).toBe(Object.getPrototypeOf(b))
    expect(Object.keys(a!).sort()).toEqual(Object.keys(b!).sort())
    // Read after the answer: the stream is gone, and the call says so.
    expect(a!.cancelled).toBe(true)
  })

  it('answers with the header fields etcd sends and no others', async () => {
    // Every extra field is decoded by every client on every call (date, grpc-encoding and
    // grpc-accept-encoding cost the bench's client about 10% of its CPU per call).
    const h = await start()
    const ok = await raw(h.port, '/etcdserverpb.KV/Range', frame(Buffer.from([0x0a, 0x02, 0x2f, 0x6b])))
    expect(Object.keys(ok.headers).sort()).toEqual([':status', 'content-type'])
    expect(ok.headers['content-type']).toBe('application/grpc')
    expect(ok.trailers).toMatchObject({ 'grpc-status': '0' })
    expect(Object.keys(ok.trailers)).toEqual(['grpc-status'])
    const failed = await raw(h.port, '/etcdserverpb.KV/Put', frame(Buffer.from([0x0a, 0x01, 0x6b])))
    expect(Object.keys(failed.headers).sort()).toEqual([':status', 'content-type', 'grpc-message', 'grpc-status'])
    expect(h.seenByGrpcJs).toEqual([])
  })

  it('sends a handler error as a trailers-only status, details intact', async () => {
    const h = await start()
    const c = client(h.port)
    const { err } = await call(c, 'Put', { key: Buffer.from('/k'), value: Buffer.from('v') })
    c.close()
    expect(err?.code).toBe(grpc.status.FAILED_PRECONDITION)
    expect(err?.details).toBe('etcdserver: clé refusée 100%')
    const r = await raw(h.port, '/etcdserverpb.KV/Put', frame(Buffer.alloc(0)))
    expect(r.headers['grpc-status']).toBe(String(grpc.status.FAILED_PRECONDITION))
    expect(r.body.length).toBe(0)
  })

  it('leaves streaming calls and compressed requests to grpc-js', async () => {
    const h = await start()
    const pkg = etcdGrpcObject() as unknown as { etcdserverpb: { Watch: grpc.ServiceClientConstructor } }
    const w = new pkg.etcdserverpb.Watch(`127.0.0.1:${h.port}`, grpc.credentials.createInsecure()) as unknown as grpc.Client & { Watch(): grpc.ClientDuplexStream<unknown, { watch_id: string }> }
    const stream = w.Watch()
    const first = new Promise<{ watch_id: string }>((resolve) => stream.once('data', resolve))
    stream.write({ create_request: { key: Buffer.from('/a') } })
    expect((await first).watch_id).toBe('3')
    stream.end()
    w.close()
    expect(h.seenByGrpcJs).toContain('/etcdserverpb.Watch/Watch')

    const gz = client(h.port, { 'grpc.default_compression_algorithm': 2 })
    const { err } = await call(gz, 'Range', { key: Buffer.from('/gz') })
    gz.close()
    expect(err).toBeNull()
    expect(h.seenByGrpcJs).toContain('/etcdserverpb.KV/Range')
  })

  it('refuses a request over the size limit before reading it, and keeps serving', async () => {
    const h = await start()
    const c = client(h.port)
    const big = await call(c, 'Range', { key: Buffer.alloc(MAX * 2, 1) })
    expect(big.err?.code).toBe(grpc.status.RESOURCE_EXHAUSTED)
    expect(big.err?.details).toMatch(/^Received message larger than max \(\d+ vs 1024\)$/)
    const small = await call(c, 'Range', { key: Buffer.from('/ok') })
    c.close()
    expect(small.err).toBeNull()
    expect(h.handled).toEqual(['Range'])
  })

  it('answers what a grpc-js client never sends with a status, and calls no handler', async () => {
    const h = await start()
    const none = await raw(h.port, '/etcdserverpb.KV/Range', Buffer.alloc(0))
    expect(none.headers['grpc-status']).toBe(String(grpc.status.UNIMPLEMENTED))
    const partial = await raw(h.port, '/etcdserverpb.KV/Range', Buffer.from([0, 0, 0, 0, 9, 1, 2]))
    expect(partial.headers['grpc-status']).toBe(String(grpc.status.UNIMPLEMENTED))
    const two = await raw(h.port, '/etcdserverpb.KV/Range', Buffer.concat([frame(Buffer.alloc(0)), frame(Buffer.alloc(0))]))
    expect(two.headers['grpc-status']).toBe(String(grpc.status.UNIMPLEMENTED))
    // Field 1 as a length-delimited value whose length runs past the end.
    const garbage = await raw(h.port, '/etcdserverpb.KV/Range', frame(Buffer.from([0x0a, 0x7f, 1])))
    expect(garbage.headers['grpc-status']).toBe(String(grpc.status.INTERNAL))
    // Not gRPC at all: grpc-js's answer, HTTP 415.
    const notGrpc = await raw(h.port, '/etcdserverpb.KV/Range', Buffer.from('hello'), { 'content-type': 'text/plain' })
    expect(notGrpc.headers[':status']).toBe(415)
    expect(h.handled).toEqual([])
  })

  it('survives a client that gives up before the answer', async () => {
    const h = await start()
    const c = client(h.port)
    const deadline = await new Promise<grpc.ServiceError | null>((resolve) => {
      const md = new grpc.Metadata()
      ;(c as unknown as { DeleteRange: (r: unknown, m: grpc.Metadata, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null) => void) => void }).DeleteRange({ key: Buffer.from('/y') }, md, { deadline: Date.now() + 50 }, (e) => resolve(e))
    })
    expect(deadline?.code).toBe(grpc.status.DEADLINE_EXCEEDED)
    // The handler answers after the client left; the server takes it in its stride and goes on.
    await vi.waitFor(() => expect(h.handled).toContain('DeleteRange answered'), { timeout: 5_000 })
    const after = await call(c, 'Range', { key: Buffer.from('/z') })
    c.close()
    expect(after.err).toBeNull()
  })

  it('on a learner, refuses every call but the served ones, streams included, before any handler', async () => {
    const h = await start({ learner: true })
    const c = client(h.port)
    const put = await call(c, 'Put', { key: Buffer.from('/k'), value: Buffer.from('v') })
    expect(put.err?.code).toBe(grpc.status.UNAVAILABLE)
    expect(put.err?.details).toBe('etcdserver: rpc not supported for learner')
    const range = await call(c, 'Range', { key: Buffer.from('/k') })
    c.close()
    expect(range.err).toBeNull()
    const watch = await raw(h.port, '/etcdserverpb.Watch/Watch', frame(Buffer.alloc(0)))
    expect(watch.headers['grpc-status']).toBe(String(grpc.status.UNAVAILABLE))
    // An unknown method is still UNIMPLEMENTED, as before the learner rule.
    const unknown = await raw(h.port, '/etcdserverpb.KV/Nope', frame(Buffer.alloc(0)))
    expect(unknown.headers['grpc-status']).toBe(String(grpc.status.UNIMPLEMENTED))
    expect(h.handled).toEqual(['Range'])
  })
})
