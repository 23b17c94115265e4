/**
 * Unary calls answered straight from Node's HTTP/2 stream; grpc-js keeps the streaming ones.
 *
 * Why: a unary call through grpc-js's server builds an intercepting call, a listener chain, a
 * stream decoder and a writable-stream wrapper. On the member's one thread that was 20–30% of the
 * CPU of a serializable read (docs/member.md, "A unary path of our own"). Here a call is: gather
 * the request's bytes, decode, run the same handler the grpc-js service uses, and answer with the
 * headers and the one message, then the trailers. (The trailers still leave in a socket write of
 * their own: Node's Http2Stream shuts its writable side only after the data's write has completed,
 * and no public API changes that order.)
 *
 * What stays with grpc-js: sessions (keepalive, limits, shutdown), streaming methods, calls with a
 * compressed body (`grpc-encoding` other than identity), bodies that are not gRPC, unknown methods.
 *
 * The learner rule (etcd 3.4 refuses every call but Status and serializable Range on a learner) is
 * applied here too, for every method, so no grpc-js interceptor runs on the common path.
 */
import http2 from 'node:http2'
import * as grpc from '@grpc/grpc-js'
import { padStreamTable } from './streamTable'

type StreamListener = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, flags: number, rawHeaders?: string[]) => void

export interface UnaryRoute {
  path: string
  deserialize: (bytes: Buffer) => unknown
  serialize: (value: unknown) => Buffer
  handler: grpc.handleUnaryCall<unknown, unknown>
}

export interface UnaryPathOptions {
  /** Unary methods answered here, by path. */
  routes: ReadonlyMap<string, UnaryRoute>
  /** Every method path the server knows (unary or not): only those can be refused. */
  known: ReadonlySet<string>
  /** Largest request message accepted, in bytes (grpc.max_receive_message_length). */
  maxReceiveBytes: number
  /** A status to answer a known method with instead of serving it (a learner's refusal), or undefined. */
  refuse: (path: string) => { code: grpc.status; details: string } | undefined
}

/** The routes for every unary method of these services. */
export function unaryRoutes(services: ReadonlyArray<readonly [grpc.ServiceDefinition, grpc.UntypedServiceImplementation]>): Map<string, UnaryRoute> {
  const routes = new Map<string, UnaryRoute>()
  for (const [definition, implementation] of services) {
    for (const [name, method] of Object.entries(definition)) {
      if (method.requestStream || method.responseStream) continue
      const handler = implementation[name] as grpc.handleUnaryCall<unknown, unknown> | undefined
      if (!handler) continue
      routes.set(method.path, { path: method.path, deserialize: method.requestDeserialize, serialize: method.responseSerialize as (v: unknown) => Buffer, handler })
    }
  }
  return routes
}

/** Every method path of these services. */
export function methodPaths(definitions: readonly grpc.ServiceDefinition[]): Set<string> {
  const paths = new Set<string>()
  for (const d of definitions) for (const m of Object.values(d)) paths.add(m.path)
  return paths
}

interface InjectorRegistry {
  http2Servers?: Map<http2.Http2Server | http2.Http2SecureServer, unknown>
}

/**
 * grpc-js's connection injector, with its HTTP/2 server's stream handler put behind ours. grpc-js
 * does not expose that server, so it is found in the registry grpc-js keeps of its HTTP/2 servers;
 * if a grpc-js upgrade changes that, this throws at start-up (and the unit test fails) rather than
 * serving without the learner rule.
 */
export function injectorWithUnaryPath(server: grpc.Server, credentials: grpc.ServerCredentials, options: UnaryPathOptions): ReturnType<grpc.Server['createConnectionInjector']> {
  const registry = (server as unknown as InjectorRegistry).http2Servers
  if (!(registry instanceof Map)) throw new Error('unsupported @grpc/grpc-js: its server no longer keeps http2Servers (src-main/member/api/unaryPath.ts)')
  const before = new Set(registry.keys())
  const injector = server.createConnectionInjector(credentials)
  const created = [...registry.keys()].filter((s) => !before.has(s))
  const http2Server = created[0]
  const listeners = http2Server ? (http2Server.listeners('stream') as StreamListener[]) : []
  if (created.length !== 1 || listeners.length !== 1) throw new Error('unsupported @grpc/grpc-js: cannot find the stream handler of its connection injector (src-main/member/api/unaryPath.ts)')
  const grpcStreamHandler = listeners[0]!
  http2Server!.removeListener('stream', grpcStreamHandler)
  // Not the unary path's business, but this is where the server is in reach: each session keeps its
  // streams in a table that does not promote them (streamTable.ts).
  http2Server!.on('session', (session: http2.ServerHttp2Session) => padStreamTable(session))
  http2Server!.on('stream', (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, flags: number, rawHeaders?: string[]) => {
    if (!serveHere(stream, headers, options)) grpcStreamHandler(stream, headers, flags, rawHeaders)
  })
  return injector
}

// The headers etcd's Go server sends, and no more: every field is work for every client's decoder,
// and an uncompressed answer needs no grpc-encoding. (Node would add `date`; sendDate: false.)
const RESPONSE_HEADERS: http2.OutgoingHttpHeaders = { ':status': 200, 'content-type': 'application/grpc' }
// endStream is given although false is the default: respond() copies the options and sets endStream
// on its copy, and adding a field to that copy made a new hidden class, in the old generation, for
// every answer (V8's --log-maps: one "Transition endStream" per call).
const RESPONSE_OPTIONS = { endStream: false, waitForTrailers: true, sendDate: false } as http2.ServerStreamResponseOptions
const OK_TRAILERS: http2.OutgoingHttpHeaders = { 'grpc-status': '0' }
const noop = (): void => {}
function sendOkTrailers(this: http2.ServerHttp2Stream): void {
  this.sendTrailers(OK_TRAILERS)
}

/** True when the call was taken (answered or under way here); false hands it to grpc-js. */
export function serveHere(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, o: UnaryPathOptions): boolean {
  const path = headers[':path']
  const contentType = headers['content-type']
  // Not gRPC, or a method nobody serves: grpc-js answers (415, UNIMPLEMENTED) as it always has.
  if (typeof path !== 'string' || typeof contentType !== 'string' || !contentType.startsWith('application/grpc') || !o.known.has(path)) return false
  const refusal = o.refuse(path)
  if (refusal) {
    stream.on('error', noop)
    sendStatus(stream, refusal.code, refusal.details)
    // Whatever the client still sends is read and dropped, so the session's flow control moves on.
    stream.resume()
    return true
  }
  const route = o.routes.get(path)
  const encoding = headers['grpc-encoding']
  if (!route || (encoding !== undefined && encoding !== 'identity')) return false
  serveUnary(stream, headers, route, o.maxReceiveBytes)
  return true
}

function serveUnary(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, route: UnaryRoute, maxBytes: number): void {
  stream.on('error', noop)
  const chunks: Buffer[] = []
  let received = 0
  let refused = false
  let checked = false
  stream.on('data', (chunk: Buffer) => {
    if (refused) return
    chunks.push(chunk)
    received += chunk.length
    // The first message's declared length, as soon as its prefix is in: refuse before buffering it.
    if (!checked && received >= 5) {
      checked = true
      const prefix = chunks.length === 1 ? chunk : Buffer.concat(chunks, received)
      const length = prefix.readUInt32BE(1)
      if (length > maxBytes) {
        refused = true
        chunks.length = 0
        sendStatus(stream, grpc.status.RESOURCE_EXHAUSTED, `Received message larger than max (${length} vs ${maxBytes})`)
      }
    }
    // More than the largest message and its prefix: a second message, which a unary call refuses.
    if (!refused && received > maxBytes + 5 + 5) {
      refused = true
      chunks.length = 0
      sendStatus(stream, grpc.status.UNIMPLEMENTED, `Received a second request message for unary method ${route.path}`)
    }
  })
  stream.once('end', () => {
    if (refused) return
    const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received)
    const messages: Buffer[] = []
    for (let at = 0; at + 5 <= body.length; ) {
      const length = body.readUInt32BE(at + 1)
      if (at + 5 + length > body.length) break
      // A set compressed flag with identity encoding is read as it stands, as grpc-js does.
      messages.push(body.subarray(at + 5, at + 5 + length))
      at += 5 + length
    }
    if (messages.length !== 1) {
      sendStatus(stream, grpc.status.UNIMPLEMENTED, messages.length === 0 ? `Received no request message for unary method ${route.path}` : `Received a second request message for unary method ${route.path}`)
      return
    }
    let request: unknown
    try {
      request = route.deserialize(messages[0]!)
    } catch {
      sendStatus(stream, grpc.status.INTERNAL, 'Error deserializing request')
      return
    }
    const call = new UnaryCall(request, grpc.Metadata.fromHttp2Headers(headers), route.path, stream)
    let answered = false
    route.handler(call as unknown as grpc.ServerUnaryCall<unknown, unknown>, (err, value) => {
      if (answered) return
      answered = true
      if (err) {
        sendStatus(stream, typeof err.code === 'number' ? err.code : grpc.status.UNKNOWN, err.details ?? ('message' in err ? err.message : undefined) ?? 'Unknown Error')
        return
      }
      let message: Buffer
      try {
        message = route.serialize(value)
      } catch (e) {
        sendStatus(stream, grpc.status.INTERNAL, `Error serializing response: ${(e as Error).message}`)
        return
      }
      sendMessage(stream, message)
    })
  })
}

/**
 * What the handlers use of grpc-js's call object; `cancelled` is read from the stream when asked.
 *
 * A class, not an object literal with a getter: each literal with its own getter closure gets a
 * hidden class of its own, and V8 allocates hidden classes in the old generation, where that one
 * keeps the closure, and through it the whole call (stream, headers, request, handler state), alive
 * through every minor GC until a full collection. That was 2.2 KB promoted per call on the member
 * serving them, and a full collection every second or two on a leader under one client
 * (docs/member.md, "The call object that outlived its call").
 */
class UnaryCall {
  constructor(
    readonly request: unknown,
    readonly metadata: grpc.Metadata,
    private readonly path: string,
    private readonly stream: http2.ServerHttp2Stream,
  ) {}

  getPath(): string {
    return this.path
  }

  get cancelled(): boolean {
    return this.stream.destroyed
  }
}

/** Headers and the one message, then the OK trailers once Node asks for them. */
function sendMessage(stream: http2.ServerHttp2Stream, message: Buffer): void {
  if (stream.destroyed || stream.closed || stream.headersSent) return
  const frame = Buffer.allocUnsafe(5 + message.length)
  frame[0] = 0
  frame.writeUInt32BE(message.length, 1)
  message.copy(frame, 5)
  stream.respond(RESPONSE_HEADERS, RESPONSE_OPTIONS)
  stream.once('wantTrailers', sendOkTrailers)
  stream.end(frame)
}

/** A trailers-only answer (gRPC's form for a call that fails before any message). */
function sendStatus(stream: http2.ServerHttp2Stream, code: grpc.status, details: string): void {
  if (stream.destroyed || stream.closed || stream.headersSent) return
  stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': String(code), 'grpc-message': encodeURI(details) }, { endStream: true, sendDate: false } as http2.ServerStreamResponseOptions)
}
