// The client port bounds what one client can make a member hold: an endless HTTP/2 header block
// (the CONTINUATION flood) is cut off, connections per client address and streams per connection
// are capped; the member keeps serving everyone else throughout.
import http2 from 'node:http2'
import net from 'node:net'
import path from 'node:path'
import hpack from 'hpack.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cleanupAll, etcdctl, freePort, launch, memberArgs, tempDir, waitFor, waitHealthy, type Proc } from './support/procs'

let member: Proc

beforeAll(async () => {
  const spec = { name: 'm1', clientPort: await freePort(), peerPort: await freePort(), dataDir: path.join(tempDir(), 'm1') }
  member = launch('raftdeck', spec, memberArgs(spec, `m1=http://127.0.0.1:${spec.peerPort}`, ['--max-connections-per-client', '8', '--max-concurrent-streams', '50']))
  await waitHealthy(member)
})
afterAll(cleanupAll)

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n')

function h2frame(type: number, flags: number, streamId: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(9)
  h.writeUIntBE(payload.length, 0, 3)
  h[3] = type
  h[4] = flags
  h.writeUInt32BE(streamId, 5)
  return Buffer.concat([h, payload])
}

function headerBlock(authority: string): Buffer {
  const c = hpack.compressor.create({ table: { size: 4096 } })
  c.write([
    { name: ':method', value: 'POST' },
    { name: ':scheme', value: 'http' },
    { name: ':path', value: '/etcdserverpb.KV/Range' },
    { name: ':authority', value: authority },
    { name: 'content-type', value: 'application/grpc' },
  ])
  const parts: Buffer[] = []
  for (let b = c.read(); b; b = c.read()) parts.push(b)
  return Buffer.concat(parts)
}

/**
 * Opens an HTTP/2 connection, starts a header block and keeps sending CONTINUATION frames (never
 * ending it). Resolves with how many bytes the member took before it closed the connection.
 */
function continuationFlood(authority: string, limitBytes: number): Promise<{ closed: boolean; sent: number }> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port: Number(member.endpoint.split(':')[1]) })
    let sent = 0
    let closed = false
    const filler = Buffer.alloc(16_000, 0x20)
    const pump = (): void => {
      while (!closed && sent < limitBytes) {
        const f = h2frame(0x9, 0, 1, filler)
        sent += f.length
        if (!s.write(f)) return void s.once('drain', pump)
      }
      if (!closed) setTimeout(() => finish(), 2000)
    }
    const finish = (): void => {
      s.destroy()
      resolve({ closed, sent })
    }
    s.on('close', () => {
      closed = true
      finish()
    })
    s.on('error', () => {
      closed = true
    })
    s.once('connect', () => {
      s.write(PREFACE)
      s.write(h2frame(0x4, 0, 0, Buffer.alloc(0)))
      s.write(h2frame(0x1, 0, 1, headerBlock(authority)))
      pump()
    })
  })
}

describe('client port limits', () => {
  it('cuts off an endless header block (CONTINUATION flood) instead of buffering it, and keeps serving', async () => {
    // An authority etcdctl would send (a scheme in it) makes the shim read header blocks itself.
    const shim = await continuationFlood('http://127.0.0.1:2379', 8 * 1024 * 1024)
    expect(shim.closed).toBe(true)
    expect(shim.sent).toBeLessThan(2 * 1024 * 1024)
    // A valid authority goes straight to Node's HTTP/2, which bounds it too.
    const direct = await continuationFlood(`127.0.0.1:1`, 8 * 1024 * 1024)
    expect(direct.closed).toBe(true)
    expect(direct.sent).toBeLessThan(8 * 1024 * 1024)
    expect(member.proc.exitCode).toBeNull()
    expect((await etcdctl(member.endpoint, ['put', 'after-flood', 'ok'])).code).toBe(0)
  })

  it('refuses connections beyond --max-connections-per-client from one address, and takes new ones once they close', async () => {
    const port = Number(member.endpoint.split(':')[1])
    const open: net.Socket[] = []
    const connect = (): Promise<net.Socket> =>
      new Promise((resolve, reject) => {
        const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s))
        s.once('error', reject)
      })
    try {
      for (let i = 0; i < 8; i++) open.push(await connect())
      const extra = await connect()
      const closedAt = await new Promise<number>((resolve) => {
        const t0 = Date.now()
        extra.once('close', () => resolve(Date.now() - t0))
        extra.resume()
      })
      expect(closedAt).toBeLessThan(5000)
      await waitFor('the refusal in the log', async () => member.log.join('').includes('refused a connection from 127.0.0.1: it has 8 open already'), 5000)
    } finally {
      for (const s of open) s.destroy()
    }
    await waitFor('connections to be accepted again', async () => (await etcdctl(member.endpoint, ['get', 'after-flood', '--command-timeout=2s'])).code === 0, 10_000)
  })

  it('announces --max-concurrent-streams to every client connection', async () => {
    const session = http2.connect(`http://${member.endpoint}`)
    try {
      const settings = await new Promise<http2.Settings>((resolve, reject) => {
        session.once('remoteSettings', resolve)
        session.once('error', reject)
      })
      expect(settings.maxConcurrentStreams).toBe(50)
    } finally {
      session.close()
    }
  })
})
