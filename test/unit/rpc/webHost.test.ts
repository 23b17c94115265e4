// The browser shell's host over real sockets: token and Origin checks on pages and on the WebSocket,
// and the RPC protocol end to end, cancelling a call included.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { createDispatcher } from '../../../src-main/rpc/dispatch'
import { startWebHost, type WebHost } from '../../../src-main/rpc/webHost'
import type { HostMessage } from '../../../src-main/shared'
import type { Services } from '../../../src-main/services'
import type { CallContext } from '../../../src-main/services/types'
import { realServices } from './support'

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = ''
      res.on('data', (c: Buffer) => (body += c.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }))
    })
    req.on('error', reject)
    req.end()
  })
}

/** Opens a WebSocket; resolves with the socket, or with the HTTP status of a refused upgrade. */
function openWs(url: string, headers: Record<string, string>): Promise<WebSocket | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers })
    ws.once('open', () => resolve(ws))
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
    ws.once('error', reject)
  })
}

/** Messages from a socket, and a way to wait for one. */
function collect(ws: WebSocket) {
  const received: HostMessage[] = []
  ws.on('message', (d) => received.push(JSON.parse(d.toString()) as HostMessage))
  const next = (pred: (m: HostMessage) => boolean) =>
    new Promise<HostMessage>((resolve) => {
      const check = () => {
        const m = received.find(pred)
        if (m) return resolve(m)
        ws.once('message', check)
      }
      check()
    })
  return { received, next }
}

describe('browser shell web host', () => {
  let host: WebHost
  let dir: string
  let env: ReturnType<typeof realServices>
  const token = 'unit-test-token-0123456789'

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'raftdeck-renderer-'))
    mkdirSync(path.join(dir, 'assets'))
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>Raftdeck</title>')
    writeFileSync(path.join(dir, 'assets', 'app.js'), 'console.log(1)')
    writeFileSync(path.join(os.tmpdir(), 'raftdeck-secret.txt'), 'secret')
    env = realServices()
    host = await startWebHost({ dispatcher: createDispatcher(env.services), rendererDir: dir, token })
  })
  afterAll(async () => {
    await host.close()
    await env.cleanup()
    rmSync(dir, { recursive: true, force: true })
  })

  it('listens on loopback and prints a URL carrying the token', () => {
    expect(host.url).toBe(`http://127.0.0.1:${host.port}/?token=${token}`)
  })

  it('answers the health check without a token', async () => {
    expect((await get(`${host.origin}/healthz`)).status).toBe(200)
  })

  it('refuses pages without the token or with a wrong one', async () => {
    const none = await get(`${host.origin}/`)
    expect(none.status).toBe(403)
    expect(none.body).toMatch(/carries the access token/)
    expect((await get(`${host.origin}/?token=wrong`)).status).toBe(403)
    expect((await get(`${host.origin}/assets/app.js`)).status).toBe(403)
  })

  it('serves the UI with the token, sets a port-scoped cookie and a strict CSP', async () => {
    const r = await get(host.url)
    expect(r.status).toBe(200)
    expect(r.body).toContain('<title>Raftdeck</title>')
    expect(String(r.headers['set-cookie'])).toContain(`raftdeck_token_${host.port}=${token}; HttpOnly; SameSite=Strict`)
    expect(r.headers['content-security-policy']).toContain("script-src 'self'")
    const asset = await get(`${host.origin}/assets/app.js`, { Cookie: `raftdeck_token_${host.port}=${token}` })
    expect(asset.status).toBe(200)
    expect(asset.headers['content-type']).toContain('text/javascript')
  })

  it('refuses cross-origin requests and foreign Host headers even with the token', async () => {
    expect((await get(host.url, { Origin: 'http://evil.example' })).status).toBe(403)
    expect((await get(host.url, { Host: `attacker.example:${host.port}` })).status).toBe(403)
  })

  it('does not serve files outside the renderer folder', async () => {
    const r = await get(`${host.origin}/..%2Fraftdeck-secret.txt?token=${token}`)
    expect(r.status).toBe(404)
    expect(r.body).not.toContain('secret')
  })

  it('refuses WebSocket upgrades without the token or from another origin', async () => {
    const ws = `ws://127.0.0.1:${host.port}/rpc`
    expect(await openWs(ws, { Origin: host.origin })).toBe(403)
    expect(await openWs(`${ws}?token=${token}`, { Origin: 'http://evil.example' })).toBe(403)
  })

  it('runs the RPC protocol over an authorised WebSocket and cleans up on close', async () => {
    const before = env.log.listenerCount
    const ws = (await openWs(`ws://127.0.0.1:${host.port}/rpc`, { Origin: host.origin, Cookie: `raftdeck_token_${host.port}=${token}` })) as WebSocket
    const { next } = collect(ws)
    ws.send(JSON.stringify({ t: 'call', id: 1, method: 'app/info', params: {} }))
    expect(await next((m) => m.t === 'result' && m.id === 1)).toMatchObject({ result: { ok: true, value: { shell: 'browser' } } })

    ws.send(JSON.stringify({ t: 'sub', id: 2, stream: 'app/onLog', params: {} }))
    // The subscription is live once the log bus has one more listener.
    await expect.poll(() => env.log.listenerCount).toBe(before + 1)
    env.log.write('info', 'test', 'over the wire')
    expect(await next((m) => m.t === 'event')).toMatchObject({ id: 2, payload: { message: 'over the wire' } })

    ws.close()
    await expect.poll(() => env.log.listenerCount).toBe(before)
    await expect.poll(() => host.connections).toBe(0)
  })
})

describe('browser shell web host: stopping calls', () => {
  it("carries 'cancel' over the socket, and a closed socket aborts the calls it left", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'raftdeck-renderer-'))
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>Raftdeck</title>')
    const env = realServices()
    const signals: AbortSignal[] = []
    const long = (async (_p: unknown, ctx?: CallContext) => {
      signals.push(ctx!.signal)
      ctx!.progress({ phase: 'Waiting', done: 0, total: null, unit: 'items' })
      await new Promise<void>((resolve) => ctx!.signal.addEventListener('abort', () => resolve(), { once: true }))
      throw ctx!.signal.reason
    }) as Services['handlers']['app/info']
    const token = 'unit-test-token-cancel-0123456789'
    const host = await startWebHost({ dispatcher: createDispatcher({ ...env.services, handlers: { ...env.services.handlers, 'app/info': long } }), rendererDir: dir, token })
    const headers = { Origin: host.origin, Cookie: `raftdeck_token_${host.port}=${token}` }
    try {
      const ws = (await openWs(`ws://127.0.0.1:${host.port}/rpc`, headers)) as WebSocket
      const { next } = collect(ws)
      ws.send(JSON.stringify({ t: 'call', id: 1, method: 'app/info', params: {} }))
      expect(await next((m) => m.t === 'progress' && m.id === 1)).toMatchObject({ progress: { phase: 'Waiting' } })
      ws.send(JSON.stringify({ t: 'cancel', id: 1 }))
      expect(await next((m) => m.t === 'result' && m.id === 1)).toEqual({ t: 'result', id: 1, result: { ok: false, error: { code: 'CANCELLED', message: 'Cancelled.', msg: { key: 'conn.cancel.cancelled' } } } })

      ws.send(JSON.stringify({ t: 'call', id: 2, method: 'app/info', params: {} }))
      await next((m) => m.t === 'progress' && m.id === 2)
      ws.close()
      await expect.poll(() => signals[1]?.aborted).toBe(true)
    } finally {
      await host.close()
      await env.cleanup()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
