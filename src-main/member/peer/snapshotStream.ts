/**
 * A snapshot on its own peer connection, as etcd sends one on its own HTTP request, so a large
 * state never queues heartbeats and appends behind it on the message link.
 *
 * Sender → receiver, all as `[u32 LE length][payload]` frames on a fresh peer connection (TLS for
 * https peer URLs, as the message link):
 *   1. hello `{from, to, clusterId, snapshot: {size}}` (JSON, checked by hello.ts and the transport
 *      like any hello: this cluster, this member, a known sender);
 *   2. the MsgSnap itself (messageCodec; its snapshot data is empty);
 *   3. the snapshot file in chunks of at most CHUNK bytes, `size` bytes in all.
 * The receiver writes the chunks to `<name>.part` as they come (the socket is paused while a write
 * is pending: backpressure all the way to the sender's disk reads), checks size and CRC, makes the
 * file durable under its name, and only then steps the MsgSnap into Raft. It answers with one
 * frame `{ok, error?}`; the sender reports the outcome to Raft (reportSnapshot).
 *
 * Neither side ever holds more than a chunk or two of the file, whatever its size.
 */
import type net from 'node:net'
import { MessageType, type Message } from '../../raft/index'
import { sendFrame, frameReader, MAX_HELLO_FRAME } from './framing'
import type { Hello } from './hello'
import { dialPeer, type PeerTls } from './tls'
import { decodeMessage, encodeMessage } from './messageCodec'
import type { IncomingSnapshot, OutgoingSnapshot, PeerHandler, SnapshotFiles } from './transport'

/** Largest chunk frame (the snapshotter reads 1 MiB at a time). */
export const CHUNK = 1024 * 1024
/** Largest frame on a snapshot connection after its hello: a chunk, or the MsgSnap (metadata only). */
export const SNAPSHOT_FRAME = CHUNK + 64 * 1024
/** A snapshot connection silent for this long is given up (either side). */
const IDLE_MS = 30_000

export interface SnapshotHello {
  from: string
  to: string
  clusterId: string
  snapshot: { size: number }
}

type ParsedSnapshotHello = Extract<Hello, { kind: 'snapshot' }>

function writeFrame(sock: net.Socket, payload: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (sock.destroyed) return reject(new Error('connection closed'))
    if (sendFrame(sock, payload)) return resolve()
    const done = (err?: Error): void => {
      sock.off('drain', onDrain)
      sock.off('close', onClose)
      if (err) reject(err)
      else resolve()
    }
    const onDrain = (): void => done()
    const onClose = (): void => done(new Error('connection closed'))
    sock.once('drain', onDrain)
    sock.once('close', onClose)
  })
}

/**
 * Streams the snapshot file that `m` names to the peer at `url`; resolves true once the peer has it
 * durable and has handed the message to Raft.
 */
export async function sendSnapshot(opts: { url: string; m: Message; files: SnapshotFiles; localId: string; clusterId: string; tls?: PeerTls }): Promise<boolean> {
  const { m } = opts
  const meta = m.snapshot!.metadata
  const file: OutgoingSnapshot = await opts.files.open(meta.term, meta.index)
  const sock = dialPeer(opts.url, opts.tls)
  sock.setNoDelay(true)
  sock.setTimeout(IDLE_MS, () => sock.destroy(new Error('snapshot connection idle')))
  try {
    const answer = new Promise<boolean>((resolve, reject) => {
      sock.on(
        'data',
        frameReader(
          (f) => {
            try {
              resolve((JSON.parse(f.toString()) as { ok?: boolean }).ok === true)
            } catch {
              resolve(false)
            }
            sock.end()
          },
          reject,
          () => MAX_HELLO_FRAME,
        ),
      )
      sock.once('error', reject)
      sock.once('close', () => reject(new Error('connection closed before the peer answered')))
    })
    answer.catch(() => {})
    await new Promise<void>((resolve, reject) => {
      sock.once(opts.url.startsWith('https:') ? 'secureConnect' : 'connect', resolve)
      sock.once('error', reject)
    })
    const hello: SnapshotHello = { from: opts.localId, to: m.to, clusterId: opts.clusterId, snapshot: { size: file.size } }
    await writeFrame(sock, Buffer.from(JSON.stringify(hello)))
    await writeFrame(sock, encodeMessage(m))
    for await (const chunk of file.chunks()) {
      for (let off = 0; off < chunk.length; off += CHUNK) await writeFrame(sock, chunk.subarray(off, off + CHUNK))
    }
    return await answer
  } finally {
    sock.setTimeout(0)
    if (!sock.destroyed) sock.end()
    await file.close()
  }
}

/**
 * The receiving side of one snapshot connection, after its hello: feed it every later frame. It
 * pauses `sock` while it writes, and closes it when done.
 */
export class SnapshotReceiveSession {
  private msg: Message | undefined
  private sink: IncomingSnapshot | undefined
  private received = 0
  private chain: Promise<void> = Promise.resolve()
  private failed = false

  constructor(
    private readonly sock: net.Socket,
    private readonly hello: ParsedSnapshotHello,
    private readonly localId: string,
    private readonly files: SnapshotFiles,
    private readonly handler: PeerHandler,
    private readonly log: (line: string) => void,
  ) {
    sock.setTimeout(IDLE_MS, () => this.fail(new Error('snapshot connection idle')))
    sock.once('close', () => {
      if (!this.failed && !this.done) void this.abort()
    })
  }

  private done = false

  /** Takes one frame; false once nothing more may come on this connection. */
  onFrame(f: Buffer): boolean {
    this.take(f)
    return !this.failed
  }

  private take(f: Buffer): void {
    if (this.failed) return
    if (this.done) return this.fail(new Error('data after the end of the snapshot'))
    if (!this.msg) {
      let m: Message
      try {
        m = decodeMessage(f)
      } catch (err) {
        return this.fail(err as Error)
      }
      if (m.type !== MessageType.Snap || !m.snapshot) return this.fail(new Error(`expected a snapshot message, got ${m.type}`))
      if (m.from !== this.hello.from || m.to !== this.localId) return this.fail(new Error(`snapshot message claims to be from ${m.from} to ${m.to}`))
      this.msg = m
      this.sink = this.files.receiver(m.snapshot.metadata.term, m.snapshot.metadata.index, this.hello.size)
      if (this.hello.size === 0) this.finish()
      return
    }
    const chunk = f
    this.received += chunk.length
    if (this.received > this.hello.size) return this.fail(new Error(`snapshot is longer than the ${this.hello.size} bytes announced`))
    this.sock.pause()
    this.chain = this.chain.then(() => this.sink!.write(chunk))
    const complete = this.received >= this.hello.size
    this.chain.then(
      () => {
        if (!complete && !this.failed) this.sock.resume()
      },
      (err: Error) => this.fail(err),
    )
    if (complete) this.finish()
  }

  private finish(): void {
    this.done = true
    this.chain = this.chain
      .then(() => this.sink!.commit())
      .then(
        () => {
          const m = this.msg!
          this.log(`received snapshot at index ${m.snapshot!.metadata.index} from ${BigInt(m.from).toString(16)} (${this.hello.size} bytes)`)
          this.handler.step(m)
          this.answer({ ok: true })
        },
        (err: Error) => {
          this.done = false
          this.fail(err)
        },
      )
  }

  private answer(a: { ok: boolean; error?: string }): void {
    this.sock.setTimeout(0)
    if (this.sock.destroyed) return
    sendFrame(this.sock, Buffer.from(JSON.stringify(a)))
    this.sock.end()
  }

  private async abort(): Promise<void> {
    await this.chain.catch(() => {})
    await this.sink?.abort()
  }

  fail(err: Error): void {
    if (this.failed) return
    this.failed = true
    this.log(`dropping snapshot from ${BigInt(this.hello.from).toString(16)}: ${err.message}`)
    this.answer({ ok: false, error: err.message })
    void this.abort()
  }
}
