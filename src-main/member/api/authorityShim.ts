// etcdctl 3.4 dials each endpoint of `endpoint status|health|hashkv` with the endpoint string as the
// gRPC target, so a URL endpoint ("http://127.0.0.1:2379") becomes the HTTP/2 `:authority` header,
// which is not a valid authority (RFC 3986: no scheme, no '/'). Go's server accepts it; Node's HTTP/2
// (nghttp2) resets the stream with PROTOCOL_ERROR, and Node offers no switch for that check.
//
// routeConnection answers a new connection with a SETTINGS frame (a valid server preface:
// every client we know, grpc-go and grpc-js alike, waits for one before its first request), then
// looks at what comes back before anything else is answered. When the client acknowledged those
// SETTINGS and its first request has a valid authority, the gRPC server gets the plain socket, with
// the bytes read so far put back minus that acknowledgement (the server never sent those SETTINGS;
// it sends its own next, which the client acknowledges in turn). Everything else goes through
// AuthorityShim, which drops the acknowledgement wherever it comes: a URL authority, odd bytes, a
// request that came before the acknowledgement, a connection with no request for a while.
//
// AuthorityShim sits between a client socket and the gRPC server (grpc-js's connection injector). It
// reads the client's HTTP/2 frames until the first header block. If its authority is valid, the
// connection becomes a plain pipe. Otherwise it decodes every header block of that connection
// (HPACK, keeping the client's dynamic table), replaces the authority with a valid one, and
// re-encodes for the server with its own table. The pipe is a JavaScript stream, and Node finishes
// each write to one a turn of the event loop later: what the plain socket of the first path saves.

import { Duplex } from 'node:stream'
import type { Socket } from 'node:net'
import hpack from 'hpack.js'

const PREFACE_LENGTH = 24
const FRAME_HEADERS = 0x1
const FRAME_CONTINUATION = 0x9
const FRAME_SETTINGS = 0x4
const FLAG_ACK = 0x1
const FLAG_END_STREAM = 0x1
const FLAG_END_HEADERS = 0x4
const FLAG_PADDED = 0x8
const FLAG_PRIORITY = 0x20
const MAX_FRAME = 16_384
/**
 * The most header bytes one block (HEADERS plus CONTINUATIONs) may carry while the shim holds it,
 * and the most frames: a client announcing an endless header block (the CONTINUATION flood) is
 * cut off instead of buffered.
 */
export const MAX_HEADER_BLOCK = 64 * 1024
const MAX_BLOCK_FRAMES = 128

/** A client broke HTTP/2's rules in a way that could make us buffer without end: the connection goes. */
export class ShimProtocolError extends Error {}
/** HTTP/2's default header table size; Node's server does not change it. */
const TABLE_SIZE = 4096

const VALID_AUTHORITY = /^[A-Za-z0-9\-._~!$&'()*+,;=:@%[\]]*$/

/** What the authority should have been: the host:port part of a URL-ish value. */
export function repairAuthority(value: string, fallback: string): string {
  const stripped = value.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').split('/')[0] ?? ''
  return stripped && VALID_AUTHORITY.test(stripped) ? stripped : fallback
}

interface PendingBlock {
  streamId: number
  endStream: boolean
  fragments: Buffer[]
  raw: Buffer[]
  /** Frame payload bytes so far. */
  bytes: number
}

/** A HEADERS frame's header-block fragment, without padding and priority; undefined if malformed. */
function headerFragment(payload: Buffer, flags: number): Buffer | undefined {
  let pad = 0
  if (flags & FLAG_PADDED) {
    if (payload.length < 1) return undefined
    pad = payload[0]!
    payload = payload.subarray(1)
  }
  if (flags & FLAG_PRIORITY) {
    if (payload.length < 5) return undefined
    payload = payload.subarray(5)
  }
  return pad > payload.length ? undefined : payload.subarray(0, payload.length - pad)
}

export class AuthorityShim extends Duplex {
  private inbound: Buffer = Buffer.alloc(0)
  private prefaceSeen = false
  private mode: 'undecided' | 'pass' | 'rewrite' = 'undecided'
  private block: PendingBlock | null = null
  private readonly decoder = hpack.decompressor.create({ table: { size: TABLE_SIZE } })
  private readonly encoder = hpack.compressor.create({ table: { size: TABLE_SIZE } })

  /**
   * `initial`: bytes already read from the socket (by routeConnection), handled first.
   * `acksToDrop`: SETTINGS acknowledgements the client owes routeConnection, not the server.
   */
  constructor(
    private readonly socket: Socket,
    private readonly fallbackAuthority: string,
    initial?: Buffer,
    private acksToDrop = 0,
  ) {
    super()
    socket.on('data', (chunk: Buffer) => this.fromClient(chunk))
    socket.on('end', () => this.push(null))
    socket.on('error', (err) => this.destroy(err))
    socket.on('close', () => this.destroy())
    if (initial?.length) this.fromClient(initial)
  }

  // Socket-like fields that HTTP/2 and grpc-js read from the connection they are given.
  get remoteAddress() {
    return this.socket.remoteAddress
  }
  get remotePort() {
    return this.socket.remotePort
  }
  get remoteFamily() {
    return this.socket.remoteFamily
  }
  get localAddress() {
    return this.socket.localAddress
  }
  get localPort() {
    return this.socket.localPort
  }
  setNoDelay(v?: boolean) {
    this.socket.setNoDelay(v)
    return this
  }
  setKeepAlive(enable?: boolean, delay?: number) {
    this.socket.setKeepAlive(enable, delay)
    return this
  }
  setTimeout(ms: number, cb?: () => void) {
    this.socket.setTimeout(ms, cb)
    return this
  }

  override _read(): void {
    this.socket.resume()
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.socket.write(chunk, cb)
  }

  /**
   * HTTP/2 hands over a response's frames (headers, data, trailers) together: they leave in one
   * writev. Without this, each frame would wait for the previous one's write callback and go out
   * in a system call and a TCP segment of its own, waking the client once per frame.
   */
  override _writev(chunks: Array<{ chunk: Buffer }>, cb: (err?: Error | null) => void): void {
    const s = this.socket
    s.cork()
    for (let i = 0; i < chunks.length - 1; i++) s.write(chunks[i]!.chunk)
    s.write(chunks[chunks.length - 1]!.chunk, cb)
    s.uncork()
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.socket.end(cb)
  }

  override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
    this.socket.destroy()
    cb(err)
  }

  private emitToServer(b: Buffer) {
    if (!this.push(b)) this.socket.pause()
  }

  private fromClient(chunk: Buffer) {
    if (this.mode === 'pass' && this.acksToDrop === 0) return this.emitToServer(chunk)
    this.inbound = this.inbound.length ? Buffer.concat([this.inbound, chunk]) : chunk
    try {
      this.drain()
    } catch (err) {
      this.destroy(err as Error)
    }
  }

  private drain() {
    if (!this.prefaceSeen) {
      if (this.inbound.length < PREFACE_LENGTH) return
      this.emitToServer(this.inbound.subarray(0, PREFACE_LENGTH))
      this.inbound = this.inbound.subarray(PREFACE_LENGTH)
      this.prefaceSeen = true
    }
    while ((this.mode !== 'pass' || this.acksToDrop > 0) && this.inbound.length >= 9) {
      const length = this.inbound.readUIntBE(0, 3)
      // Our server announces the default SETTINGS_MAX_FRAME_SIZE; a larger frame is an error, not something to wait for.
      if (length > MAX_FRAME) throw new ShimProtocolError(`a frame of ${length} bytes is over the maximum frame size ${MAX_FRAME}`)
      if (this.inbound.length < 9 + length) return
      const frame = this.inbound.subarray(0, 9 + length)
      this.inbound = this.inbound.subarray(9 + length)
      const type = frame[3]!
      const flags = frame[4]!
      const streamId = frame.readUInt32BE(5) & 0x7fffffff
      if (this.block && (type !== FRAME_CONTINUATION || streamId !== this.block.streamId)) {
        throw new ShimProtocolError('a header block was interrupted by another frame')
      }
      if (type === FRAME_HEADERS) {
        const payload = headerFragment(frame.subarray(9), flags)
        if (!payload) throw new ShimProtocolError('a HEADERS frame with more padding than payload')
        this.block = { streamId, endStream: Boolean(flags & FLAG_END_STREAM), fragments: [payload], raw: [frame], bytes: length }
        if (flags & FLAG_END_HEADERS) this.finishBlock()
      } else if (type === FRAME_CONTINUATION && this.block) {
        this.block.fragments.push(frame.subarray(9))
        this.block.raw.push(frame)
        this.block.bytes += length
        if (this.block.bytes > MAX_HEADER_BLOCK || this.block.raw.length > MAX_BLOCK_FRAMES) {
          throw new ShimProtocolError(`a header block of more than ${MAX_HEADER_BLOCK} bytes or ${MAX_BLOCK_FRAMES} frames`)
        }
        if (flags & FLAG_END_HEADERS) this.finishBlock()
      } else if (type === FRAME_CONTINUATION) {
        throw new ShimProtocolError('CONTINUATION without a header block')
      } else if (type === FRAME_SETTINGS && flags & FLAG_ACK && streamId === 0 && this.acksToDrop > 0) {
        // The acknowledgement of routeConnection's SETTINGS: the server never sent them.
        this.acksToDrop--
      } else this.emitToServer(frame)
    }
    if (this.mode === 'pass' && this.acksToDrop === 0 && this.inbound.length) {
      const rest = this.inbound
      this.inbound = Buffer.alloc(0)
      this.emitToServer(rest)
    }
  }

  private decode(block: Buffer): { name: string; value: string }[] {
    this.decoder.write(block)
    this.decoder.execute()
    const headers: { name: string; value: string }[] = []
    for (let h = this.decoder.read(); h; h = this.decoder.read()) headers.push({ name: h.name, value: h.value })
    return headers
  }

  private finishBlock() {
    const block = this.block!
    this.block = null
    if (this.mode === 'pass') {
      // Still reading frames only to find an acknowledgement to drop: the block goes as it came.
      for (const f of block.raw) this.emitToServer(f)
      return
    }
    const headers = this.decode(Buffer.concat(block.fragments))
    const authority = headers.find((h) => h.name === ':authority')
    if (this.mode === 'undecided') {
      if (!authority || VALID_AUTHORITY.test(authority.value)) {
        // A well-behaved client: from here on the bytes go through untouched.
        this.mode = 'pass'
        for (const f of block.raw) this.emitToServer(f)
        return
      }
      this.mode = 'rewrite'
    }
    if (authority && !VALID_AUTHORITY.test(authority.value)) authority.value = repairAuthority(authority.value, this.fallbackAuthority)
    this.encoder.write(headers)
    const chunks: Buffer[] = []
    for (let b = this.encoder.read(); b; b = this.encoder.read()) chunks.push(b)
    this.emitHeaders(block.streamId, block.endStream, Buffer.concat(chunks))
  }

  private emitHeaders(streamId: number, endStream: boolean, block: Buffer) {
    for (let off = 0, first = true; first || off < block.length; first = false) {
      const part = block.subarray(off, off + MAX_FRAME)
      off += part.length
      const last = off >= block.length
      const header = Buffer.alloc(9)
      header.writeUIntBE(part.length, 0, 3)
      header[3] = first ? FRAME_HEADERS : FRAME_CONTINUATION
      header[4] = (last ? FLAG_END_HEADERS : 0) | (first && endStream ? FLAG_END_STREAM : 0)
      header.writeUInt32BE(streamId, 5)
      this.emitToServer(Buffer.concat([header, part]))
    }
  }
}

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1')

/** What a client sent first: its first header block, and where its SETTINGS acknowledgement was. */
export interface FirstBytes {
  /** HPACK bytes of the first header block. */
  block: Buffer
  /** Offset and length of the first SETTINGS acknowledgement, if it came before the block. */
  ack: { at: number; length: number } | undefined
}

/**
 * The first header block in a client's first bytes: `more` while the bytes so far end before it
 * is whole, or `odd` for anything the shim should handle (no preface, a frame over the size limit,
 * an interrupted or endless block).
 */
export function firstHeaderBlock(buf: Buffer): FirstBytes | 'more' | 'odd' {
  const n = Math.min(buf.length, PREFACE_LENGTH)
  if (!buf.subarray(0, n).equals(PREFACE.subarray(0, n))) return 'odd'
  if (buf.length < PREFACE_LENGTH) return 'more'
  let off = PREFACE_LENGTH
  let block: Buffer[] | null = null
  let ack: FirstBytes['ack']
  let streamId = 0
  let bytes = 0
  while (off + 9 <= buf.length) {
    const length = buf.readUIntBE(off, 3)
    if (length > MAX_FRAME) return 'odd'
    if (off + 9 + length > buf.length) return 'more'
    const at = off
    const type = buf[off + 3]!
    const flags = buf[off + 4]!
    const id = buf.readUInt32BE(off + 5) & 0x7fffffff
    let payload = buf.subarray(off + 9, off + 9 + length)
    off += 9 + length
    if (block) {
      if (type !== FRAME_CONTINUATION || id !== streamId) return 'odd'
    } else if (type === FRAME_HEADERS) {
      const fragment = headerFragment(payload, flags)
      if (!fragment) return 'odd'
      payload = fragment
      block = []
      streamId = id
    } else if (type === FRAME_CONTINUATION) return 'odd'
    else {
      if (type === FRAME_SETTINGS && flags & FLAG_ACK && id === 0 && !ack) ack = { at, length: 9 + length }
      continue
    }
    block.push(payload)
    bytes += payload.length
    if (bytes > MAX_HEADER_BLOCK || block.length > MAX_BLOCK_FRAMES) return 'odd'
    if (flags & FLAG_END_HEADERS) return { block: Buffer.concat(block), ack }
  }
  return 'more'
}

/** authorityIsValid, with a block that does not decode counted as invalid (the shim will say why). */
function authorityIsValidSafe(block: Buffer): boolean {
  try {
    return authorityIsValid(block)
  } catch {
    return false
  }
}

/** Whether a header block's :authority (if any) is one Node's HTTP/2 accepts. */
function authorityIsValid(block: Buffer): boolean {
  const d = hpack.decompressor.create({ table: { size: TABLE_SIZE } })
  d.write(block)
  d.execute()
  for (let h = d.read(); h; h = d.read()) if (h.name === ':authority') return VALID_AUTHORITY.test(h.value)
  return true
}

const SETTINGS_MAX_CONCURRENT_STREAMS = 0x3

/**
 * The SETTINGS frame routeConnection sends as the server's preface: the same limit the gRPC server
 * announces next (so a client never sees more streams allowed than the server will take), nothing else.
 */
export function prefaceSettings(maxConcurrentStreams?: number): Buffer {
  const limit = maxConcurrentStreams !== undefined && Number.isInteger(maxConcurrentStreams) && maxConcurrentStreams >= 0 && maxConcurrentStreams <= 0xffffffff
  const f = Buffer.alloc(limit ? 15 : 9)
  f.writeUIntBE(limit ? 6 : 0, 0, 3)
  f[3] = FRAME_SETTINGS
  if (limit) {
    f.writeUInt16BE(SETTINGS_MAX_CONCURRENT_STREAMS, 9)
    f.writeUInt32BE(maxConcurrentStreams, 11)
  }
  return f
}

/**
 * How long a new connection may take to send its first request before the shim takes it (a client
 * that connects early and calls later gets the shim, which serves it as well, only slower).
 */
export const FIRST_REQUEST_WAIT_MS = 250
/** More than a preface, SETTINGS and one full header block: past this the shim decides. */
const PEEK_LIMIT = PREFACE_LENGTH + 2 * MAX_HEADER_BLOCK

/**
 * Hands a new client connection to `plain` (the socket itself) when its first request has a valid
 * authority and came after the acknowledgement of our SETTINGS, and to `shimmed` otherwise.
 */
export function routeConnection(
  socket: Socket,
  fallbackAuthority: string,
  plain: (s: Socket) => void,
  shimmed: (s: AuthorityShim) => void,
  opts: { settings?: Buffer; waitMs?: number } = {},
): void {
  let seen: Buffer = Buffer.alloc(0)
  let decided = false
  const stop = (): Buffer => {
    decided = true
    clearTimeout(timer)
    socket.removeListener('data', onData)
    socket.removeListener('end', onGone)
    socket.removeListener('close', onGone)
    const all = seen
    seen = Buffer.alloc(0)
    return all
  }
  const toShim = (): void => {
    // The client owes one acknowledgement for the SETTINGS sent below; the shim drops it.
    shimmed(new AuthorityShim(socket, fallbackAuthority, stop(), 1))
  }
  const onGone = (): void => {
    if (decided) return
    stop()
    socket.destroy()
  }
  const onData = (chunk: Buffer): void => {
    seen = seen.length ? Buffer.concat([seen, chunk]) : chunk
    const first = firstHeaderBlock(seen)
    if (first === 'more' && seen.length <= PEEK_LIMIT) return
    if (typeof first === 'string' || !first.ack || !authorityIsValidSafe(first.block)) return toShim()
    const all = stop()
    const { at, length } = first.ack
    socket.pause()
    socket.unshift(Buffer.concat([all.subarray(0, at), all.subarray(at + length)]))
    plain(socket)
  }
  const timer = setTimeout(() => {
    if (!decided) toShim()
  }, opts.waitMs ?? FIRST_REQUEST_WAIT_MS)
  timer.unref()
  socket.on('data', onData)
  socket.once('end', onGone)
  socket.once('close', onGone)
  socket.write(opts.settings ?? prefaceSettings())
}
