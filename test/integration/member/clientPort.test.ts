// The client port bounds what one client can make a member hold: an endless HTTP/2 header block
// (the CONTINUATION flood) is cut off, connections per client address and streams per connection
// are capped; the member keeps serving everyone else throughout.
import http2 from 'node:http2'
import net from 'node:net'
import path from 'node:path'
import { H2_PREFACE, h2frame, hpackBlock } from '../../support/h2frames'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cleanupAll, etcdctl, freePort, launch, memberArgs, tempDir, waitFor, waitHealthy, type Proc } from './support/procs'

let member: Proc

beforeAll(async () => {
  const spec = { name: 'm1', clientPort: await freePort(), peerPort: await freePort(), dataDir: path.join(tempDir(), 'm1') }
  member = launch('raftdeck', spec, memberArgs(spec, `m1=http://127.0.0.1:${spec.peerPort}`, ['--max-connections-per-client', '8', '--max-concurrent-streams', '50']))
  await waitHealthy(member)
})
afterAll(cleanupAll)

const PREFACE = H2_PREFACE

function headerBlock(authority: string): Buffer {
  return hpackBlock([
    { name: ':method', value: 'POST' },
    { name: ':scheme', value: 'http' },
    { name: ':path', value: '/etcdserverpb.KV/Range' },
    { name: ':authority', value: authority },
    { name: 'content-type', value: 'application/grpc' },
  ])
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
    // `sent` counts what the client handed to its socket, which includes what sits in the two
    // kernel buffers when the member closes (loopback autotuning lets them hold several MiB), so
    // the bound is far below the flood but well above those buffers.
    const FLOOD = 64 * 1024 * 1024
    const shim = await continuationFlood('http://127.0.0.1:2379', FLOOD)
    expect(shim.closed).toBe(true)
    expect(shim.sent).toBeLessThan(FLOOD / 4)
    // A valid authority goes straight to Node's HTTP/2, which bounds it too.
    const direct = await continuationFlood(`127.0.0.1:1`, FLOOD)
    expect(direct.closed).toBe(true)
    expect(direct.sent).toBeLessThan(FLOOD / 4)
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
