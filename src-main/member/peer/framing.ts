/**
 * The peer port's byte stream: `[u32 LE length][payload]` frames, and the host/port of a peer URL.
 * Shared by the transport and by a joining member's cluster query.
 *
 * Everything here reads bytes a stranger may have sent: a length prefix is a claim, not a fact, so
 * every reader has a limit and reports a frame over it instead of buffering it.
 */

/** Largest frame accepted from a peer (a snapshot message is one frame today). */
export const MAX_FRAME = 512 * 1024 * 1024

/** Largest frame before a connection has identified itself: a hello or a cluster query is tiny. */
export const MAX_HELLO_FRAME = 64 * 1024

export function hostPort(url: string): { host: string; port: number } {
  const u = new URL(url)
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)) }
}

export class FrameTooLarge extends Error {
  constructor(
    readonly length: number,
    readonly limit: number,
  ) {
    super(`frame of ${length} bytes is over the limit of ${limit} bytes`)
  }
}

/**
 * Splits a byte stream into frames. `limit()` is asked for every frame, so a connection can accept
 * larger frames once it has identified itself. A frame over the limit is an error and nothing after
 * it is read (the stream can no longer be trusted to be in step); `onFrame` returning false stops
 * reading too (the connection is being dropped).
 *
 * The pieces of a frame that spans many socket reads are kept as they arrive and joined once, when
 * the frame is complete: each byte is copied at most once, however large the frame.
 */
export function frameReader(onFrame: (f: Buffer) => boolean | void, onError: (e: Error) => void, limit: () => number = () => MAX_FRAME): (chunk: Buffer) => void {
  let buf: Buffer = Buffer.alloc(0)
  let failed = false
  /** Pieces of an incomplete frame whose length is known (and already checked), and their total. */
  let pieces: Buffer[] = []
  let have = 0
  let need = 0
  return (chunk) => {
    if (failed) return
    if (need > 0) {
      pieces.push(chunk)
      have += chunk.length
      if (have < need) return
      buf = Buffer.concat(pieces, have)
      pieces = []
      have = 0
      need = 0
    } else buf = buf.length ? Buffer.concat([buf, chunk]) : chunk
    let off = 0
    while (buf.length - off >= 4) {
      const len = buf.readUInt32LE(off)
      const max = limit()
      if (len > max) {
        failed = true
        buf = Buffer.alloc(0)
        onError(new FrameTooLarge(len, max))
        return
      }
      if (buf.length - off - 4 < len) {
        // Wait for the rest of this frame without joining buffers on every read.
        const rest = buf.subarray(off)
        pieces = [rest]
        have = rest.length
        need = 4 + len
        buf = Buffer.alloc(0)
        return
      }
      const f = buf.subarray(off + 4, off + 4 + len)
      off += 4 + len
      if (onFrame(f) === false) {
        failed = true
        buf = Buffer.alloc(0)
        return
      }
    }
    buf = off === buf.length ? Buffer.alloc(0) : buf.subarray(off)
  }
}

/** The two buffers of one frame (header, payload), written in order. */
export function frame(payload: Buffer): Buffer[] {
  const h = Buffer.allocUnsafe(4)
  h.writeUInt32LE(payload.length, 0)
  return [h, payload]
}

/** Payloads up to this size are copied behind their header; larger ones are written as two buffers. */
const COPY_BELOW = 64 * 1024

/** The socket calls `sendFrame` needs (a net.Socket or a TLS socket). */
export interface FrameSink {
  write(chunk: Buffer): boolean
  cork(): void
  uncork(): void
}

/**
 * Writes one frame as one write to the socket, so it leaves in one system call and, with Nagle off,
 * one TCP segment: writing the header and the payload separately costs two syscalls, two segments
 * and often two wake-ups of the reader, per Raft message. Returns what `write` returns.
 */
export function sendFrame(sock: FrameSink, payload: Buffer): boolean {
  if (payload.length < COPY_BELOW) {
    const b = Buffer.allocUnsafe(4 + payload.length)
    b.writeUInt32LE(payload.length, 0)
    payload.copy(b, 4)
    return sock.write(b)
  }
  // A large payload is not copied: corked, header and payload go out together in one writev.
  const [h, p] = frame(payload)
  sock.cork()
  sock.write(h!)
  const ok = sock.write(p!)
  sock.uncork()
  return ok
}
