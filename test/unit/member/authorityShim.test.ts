// The authority shim between clients and the member's HTTP/2 server: a client that sends a URL as
// :authority (etcdctl 3.4's per-endpoint dials) is repaired for every request on its connection,
// with HPACK tables kept consistent; a well-behaved client is passed through untouched.
import http2 from 'node:http2'
import net from 'node:net'
import * as grpc from '@grpc/grpc-js'
import { H2_PREFACE, h2frame, hpackBlock } from '../../support/h2frames'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { AuthorityShim, firstHeaderBlock, prefaceSettings, repairAuthority, routeConnection } from '../../../src-main/member/api/authorityShim'

let server: http2.Http2Server
let listener: net.Server
let port: number
const seen: string[] = []

beforeAll(async () => {
  server = http2.createServer()
  server.on('stream', (stream, headers) => {
    seen.push(String(headers[':authority']))
    stream.respond({ ':status': 200 })
    stream.end(`${headers[':path']}`)
  })
  listener = net.createServer((socket) => server.emit('connection', new AuthorityShim(socket, `127.0.0.1:${port}`)))
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', () => r()))
  port = (listener.address() as net.AddressInfo).port
})
afterAll(() => {
  listener.close()
  server.close()
})

function request(session: http2.ClientHttp2Session, path: string, authority: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ':path': path, ':authority': authority, 'x-request': path.repeat(3) })
    let body = ''
    req.on('data', (d: Buffer) => (body += d.toString()))
    req.on('end', () => resolve(body))
    req.on('error', reject)
    req.end()
  })
}

describe('authority shim', () => {
  it('repairs URL authorities and keeps host:port ones', () => {
    expect(repairAuthority('http://127.0.0.1:2379', 'x:1')).toBe('127.0.0.1:2379')
    expect(repairAuthority('https://etcd.example:2379/', 'x:1')).toBe('etcd.example:2379')
    expect(repairAuthority('#initially=[http://a:1]', 'fallback:9')).toBe('fallback:9')
  })

  it('lets a client with a URL authority make several requests on one connection', async () => {
    const session = http2.connect(`http://127.0.0.1:${port}`)
    const bad = `http://127.0.0.1:${port}`
    expect(await request(session, '/one', bad)).toBe('/one')
    expect(await request(session, '/two', bad)).toBe('/two')
    expect(await request(session, '/three', bad)).toBe('/three')
    session.close()
    expect(seen.slice(-3)).toEqual([`127.0.0.1:${port}`, `127.0.0.1:${port}`, `127.0.0.1:${port}`])
  })

  it('passes a well-behaved client through unchanged', async () => {
    const session = http2.connect(`http://127.0.0.1:${port}`)
    expect(await request(session, '/a', `localhost:${port}`)).toBe('/a')
    expect(await request(session, '/b', `localhost:${port}`)).toBe('/b')
    session.close()
    expect(seen.slice(-2)).toEqual([`localhost:${port}`, `localhost:${port}`])
  })
})

describe('routeConnection', () => {
  let h2: http2.Http2Server
  let front: net.Server
  let frontPort: number
  const routes: string[] = []
  const authorities: string[] = []

  beforeAll(async () => {
    h2 = http2.createServer()
    h2.on('stream', (stream, headers) => {
      authorities.push(String(headers[':authority']))
      stream.respond({ ':status': 200 })
      stream.end(`${headers[':path']}`)
    })
    front = net.createServer((socket) =>
      routeConnection(
        socket,
        `127.0.0.1:${frontPort}`,
        (plain) => {
          routes.push('plain')
          h2.emit('connection', plain)
        },
        (shim) => {
          routes.push('shim')
          h2.emit('connection', shim)
        },
      ),
    )
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', () => r()))
    frontPort = (front.address() as net.AddressInfo).port
  })
  afterAll(() => {
    front.close()
    h2.close()
  })

  it('serves a client that sends its first request before our SETTINGS arrive, through the shim', async () => {
    // Node's HTTP/2 client sends the request with its preface; the acknowledgement of our
    // SETTINGS comes after it, and must never reach the server.
    const session = http2.connect(`http://127.0.0.1:${frontPort}`)
    expect(await request(session, '/p1', `127.0.0.1:${frontPort}`)).toBe('/p1')
    expect(await request(session, '/p2', `127.0.0.1:${frontPort}`)).toBe('/p2')
    session.close()
    expect(routes.at(-1)).toBe('shim')
  })

  it('gives grpc-js clients (the app, the bench) the plain socket: they do not wait for SETTINGS', async () => {
    const client = new grpc.Client(`127.0.0.1:${frontPort}`, grpc.credentials.createInsecure())
    const before = authorities.length
    await new Promise<void>((resolve) =>
      client.makeUnaryRequest('/etcdserverpb.KV/Range', (b: Buffer) => b, (b: Buffer) => b, Buffer.from('x'), () => resolve()),
    )
    client.close()
    expect(authorities.length).toBe(before + 1)
    expect(routes.at(-1)).toBe('plain')
  })

  it('sends a URL authority through the shim, which repairs it', async () => {
    const session = http2.connect(`http://127.0.0.1:${frontPort}`)
    expect(await request(session, '/u', `http://127.0.0.1:${frontPort}`)).toBe('/u')
    session.close()
    expect(routes.at(-1)).toBe('shim')
    expect(authorities.at(-1)).toBe(`127.0.0.1:${frontPort}`)
  })

  /** A client written out frame by frame: preface and SETTINGS, then (after the server's) `then`. */
  async function rawClient(then: (ack: Buffer, headers: Buffer) => Buffer[], path: string): Promise<{ first: Buffer; got: () => Buffer; send: (b: Buffer) => void; close: () => void }> {
    const sock = net.connect(frontPort, '127.0.0.1')
    await new Promise<void>((r) => sock.once('connect', () => r()))
    sock.write(Buffer.concat([H2_PREFACE, frame(0x4, 0, 0, Buffer.alloc(0))]))
    // Nothing more until the server has spoken, as grpc-go and grpc-js do.
    const first = await new Promise<Buffer>((r) => sock.once('data', r))
    const block = hpackBlock([
      { name: ':method', value: 'GET' },
      { name: ':scheme', value: 'http' },
      { name: ':path', value: path },
      { name: ':authority', value: `127.0.0.1:${frontPort}` },
    ])
    const got: Buffer[] = []
    sock.on('data', (d: Buffer) => got.push(d))
    for (const b of then(frame(0x4, 0x1, 0, Buffer.alloc(0)), frame(0x1, 0x5, 1, block))) sock.write(b)
    return { first, got: () => Buffer.concat(got), send: (b: Buffer) => void sock.write(b), close: () => sock.destroy() }
  }
  /** The frame types and flags in what the server sent after its first bytes. */
  function frameKinds(buf: Buffer): Array<[number, number]> {
    const out: Array<[number, number]> = []
    for (let off = 0; off + 9 <= buf.length; off += 9 + buf.readUIntBE(off, 3)) out.push([buf[off + 3]!, buf[off + 4]!])
    return out
  }
  /** Acknowledges the server's own SETTINGS and pings: a server that saw a stray acknowledgement has closed the connection by then. */
  async function stillAlive(c: Awaited<ReturnType<typeof rawClient>>): Promise<void> {
    c.send(Buffer.concat([frame(0x4, 0x1, 0, Buffer.alloc(0)), frame(0x6, 0, 0, Buffer.alloc(8, 7))]))
    await vi.waitFor(() => expect(frameKinds(c.got()).some(([t, f]) => t === 0x6 && f & 1)).toBe(true))
    expect(frameKinds(c.got()).map(([t]) => t)).not.toContain(0x7)
  }
  const frame = h2frame

  it("answers with SETTINGS first, and gives a client that acknowledged them before its request the plain socket", async () => {
    const c = await rawClient((ack, headers) => [Buffer.concat([ack, headers])], '/acked')
    // A SETTINGS frame with nothing in it (the test's server sets no stream limit).
    expect([...c.first.subarray(0, 9)]).toEqual([0, 0, 0, 4, 0, 0, 0, 0, 0])
    // A member's carries its --max-concurrent-streams, as the gRPC server's own SETTINGS do.
    expect(prefaceSettings(50).toString('hex')).toBe('000006040000000000' + '0003' + '00000032')
    await vi.waitFor(() => expect(c.got().includes(Buffer.from('/acked'))).toBe(true))
    await stillAlive(c)
    c.close()
    expect(routes.at(-1)).toBe('plain')
    expect(authorities.at(-1)).toBe(`127.0.0.1:${frontPort}`)
  })

  it('serves a client whose acknowledgement comes after its request (grpc-go can), through the shim', async () => {
    const c = await rawClient((ack, headers) => [headers, ack], '/late-ack')
    await vi.waitFor(() => expect(c.got().includes(Buffer.from('/late-ack'))).toBe(true))
    await stillAlive(c)
    c.close()
    expect(routes.at(-1)).toBe('shim')
  })

  it('finds the first header block only when it is whole, and calls odd bytes odd', () => {
    const preface = H2_PREFACE
    const settings = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])
    const ack = Buffer.from([0, 0, 0, 4, 1, 0, 0, 0, 0])
    const headers = Buffer.concat([Buffer.from([0, 0, 3, 1, 0x4, 0, 0, 0, 1]), Buffer.from([0x82, 0x86, 0x84])])
    expect(firstHeaderBlock(preface.subarray(0, 10))).toBe('more')
    expect(firstHeaderBlock(Buffer.concat([preface, settings]))).toBe('more')
    expect(firstHeaderBlock(Buffer.concat([preface, settings, headers.subarray(0, 11)]))).toBe('more')
    expect(firstHeaderBlock(Buffer.concat([preface, settings, headers]))).toEqual({ block: Buffer.from([0x82, 0x86, 0x84]), ack: undefined })
    expect(firstHeaderBlock(Buffer.concat([preface, settings, ack, headers]))).toEqual({ block: Buffer.from([0x82, 0x86, 0x84]), ack: { at: 33, length: 9 } })
    expect(firstHeaderBlock(Buffer.from('GET / HTTP/1.1\r\n'))).toBe('odd')
    expect(firstHeaderBlock(Buffer.concat([preface, Buffer.from([0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0])]))).toBe('odd')
    // Padding longer than the frame (PADDED flag, pad length 200 in a 3-byte payload).
    expect(firstHeaderBlock(Buffer.concat([preface, Buffer.from([0, 0, 3, 1, 0x4 | 0x8, 0, 0, 0, 1, 200, 0x82, 0x86])]))).toBe('odd')
    // A CONTINUATION that does not continue a block.
    expect(firstHeaderBlock(Buffer.concat([preface, Buffer.from([0, 0, 0, 9, 0x4, 0, 0, 0, 1])]))).toBe('odd')
  })
})
