// The browser shell's host: serves the built renderer and the RPC protocol over a WebSocket, on
// loopback by default. Access needs the per-run token (from the printed URL, then a cookie), and
// every request must name this host in Host and, when present, in Origin, which shuts out other
// local web pages and DNS-rebinding tricks.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'
import { MAX_MESSAGE_BYTES, type HostMessage } from '../shared'
import type { Dispatcher } from './dispatch'
import type { Logger } from '../services/log'

export interface WebHostOptions {
  dispatcher: Dispatcher
  /** Folder with the built renderer (index.html and assets/). */
  rendererDir: string
  host?: string
  port?: number
  /** Fixed token (tests, scripted use); a random one per run otherwise. */
  token?: string
  log?: Logger
}

export interface WebHost {
  readonly url: string
  readonly origin: string
  readonly port: number
  readonly token: string
  readonly connections: number
  close(): Promise<void>
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

function cookieValue(req: IncomingMessage, name: string): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim())
  }
  return null
}

export async function startWebHost(options: WebHostOptions): Promise<WebHost> {
  const host = options.host ?? '127.0.0.1'
  const token = options.token ?? randomBytes(24).toString('base64url')
  const rendererDir = path.resolve(options.rendererDir)
  const log = options.log
  let port = 0
  let allowedHosts = new Set<string>()
  let cookieName = 'raftdeck_token'

  const deny = (res: ServerResponse, status: number, message: string) => {
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' })
    res.end(`${message}\n`)
  }

  /** Host and Origin checks shared by page requests and the WebSocket upgrade. */
  const originProblem = (req: IncomingMessage): string | null => {
    if (!req.headers.host || !allowedHosts.has(req.headers.host)) return 'unexpected Host header'
    const origin = req.headers.origin
    if (origin !== undefined && !allowedHosts.has(origin.replace(/^http:\/\//, ''))) return 'cross-origin request refused'
    return null
  }

  const tokenOf = (req: IncomingMessage, url: URL): string | null => url.searchParams.get('token') ?? cookieValue(req, cookieName)

  const securityHeaders = () => ({
    'Content-Security-Policy': [
      "default-src 'self'",
      "script-src 'self'",
      // Naive UI injects its styles at run time.
      "style-src 'self' 'unsafe-inline'",
      `connect-src 'self' ws://${host}:${port}`,
      "img-src 'self' data:",
      "font-src 'self' data:",
      "object-src 'none'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
  })

  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://placeholder')
      if (url.pathname === '/healthz') {
        res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-store' })
        return res.end('ok\n')
      }
      const problem = originProblem(req)
      if (problem) return deny(res, 403, `Forbidden: ${problem}.`)
      const given = tokenOf(req, url)
      if (given === null || !sameSecret(given, token))
        return deny(res, 403, 'Forbidden: open the URL printed by `raftdeck serve`; it carries the access token.')
      if (req.method !== 'GET' && req.method !== 'HEAD') return deny(res, 405, 'Method not allowed.')

      const rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname.slice(1))
      const file = path.resolve(rendererDir, rel)
      if (file !== rendererDir && !file.startsWith(rendererDir + path.sep)) return deny(res, 404, 'Not found.')
      const info = await stat(file).catch(() => null)
      if (!info?.isFile()) return deny(res, 404, 'Not found.')
      const body = await readFile(file)
      const headers: Record<string, string> = {
        ...securityHeaders(),
        'Content-Type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
        'Cache-Control': rel === 'index.html' ? 'no-store' : 'max-age=3600',
      }
      if (url.searchParams.has('token')) {
        headers['Set-Cookie'] = `${cookieName}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`
      }
      res.writeHead(200, headers)
      res.end(req.method === 'HEAD' ? undefined : body)
    } catch (err) {
      log?.error(`web host: ${String(err)}`)
      if (!res.headersSent) deny(res, 500, 'Internal error.')
      else res.destroy()
    }
  })

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES })
  const sockets = new Set<WebSocket>()

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://placeholder')
    const refuse = (why: string) => {
      log?.warn(`web host: refused WebSocket (${why})`)
      socket.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${why}\n`)
    }
    if (url.pathname !== '/rpc') return refuse('unknown path')
    const problem = originProblem(req)
    if (problem) return refuse(problem)
    const given = tokenOf(req, url)
    if (given === null || !sameSecret(given, token)) return refuse('missing or wrong token')
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws)
      const send = (m: HostMessage) => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m))
      }
      const conn = options.dispatcher.connect(send)
      ws.on('message', (data, isBinary) => {
        if (isBinary) return
        let msg: unknown
        try {
          msg = JSON.parse(data.toString())
        } catch {
          log?.warn('web host: dropped a message that is not JSON')
          return
        }
        void conn.handle(msg)
      })
      ws.on('close', () => {
        sockets.delete(ws)
        conn.close()
      })
      ws.on('error', (err) => log?.warn(`web host: socket error ${err.message}`))
    })
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  port = (server.address() as AddressInfo).port
  const hostPort = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
  allowedHosts = new Set([hostPort])
  if (host === '127.0.0.1') allowedHosts.add(`localhost:${port}`)
  cookieName = `raftdeck_token_${port}`
  const origin = `http://${hostPort}`

  return {
    url: `${origin}/?token=${token}`,
    origin,
    port,
    token,
    get connections() {
      return sockets.size
    },
    close: async () => {
      for (const ws of sockets) ws.terminate()
      wss.close()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
