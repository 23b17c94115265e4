// The authority shim between clients and the member's HTTP/2 server: a client that sends a URL as
// :authority (etcdctl 3.4's per-endpoint dials) is repaired for every request on its connection,
// with HPACK tables kept consistent; a well-behaved client is passed through untouched.
import http2 from 'node:http2'
import net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AuthorityShim, repairAuthority } from '../../../src-main/member/api/authorityShim'

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
