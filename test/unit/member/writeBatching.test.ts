// The single-client write path counts system calls and wake-ups: a Raft message is one socket
// write, a gRPC response's frames leave together, and a WAL batch is one durable write.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Duplex } from 'node:stream'
import type { Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { AuthorityShim } from '../../../src-main/member/api/authorityShim'
import { frameReader, sendFrame, type FrameSink } from '../../../src-main/member/peer/framing'
import { Wal } from '../../../src-main/member/wal/wal'

/** Records what reaches the socket: every write call, and which of them happened while corked. */
class RecordingSink implements FrameSink {
  corked = 0
  /** One element per flush to the "kernel": the buffers that left together. */
  readonly flushes: Buffer[][] = []
  private held: Buffer[] = []
  write(chunk: Buffer): boolean {
    if (this.corked) this.held.push(chunk)
    else this.flushes.push([chunk])
    return true
  }
  cork(): void {
    this.corked++
  }
  uncork(): void {
    if (--this.corked === 0 && this.held.length) this.flushes.push(this.held.splice(0))
  }
}

describe('sendFrame', () => {
  it('writes a small frame as one buffer, header and payload together', () => {
    const sink = new RecordingSink()
    const payload = Buffer.from('a raft message')
    sendFrame(sink, payload)
    expect(sink.flushes).toHaveLength(1)
    expect(sink.flushes[0]).toHaveLength(1)
    const got: Buffer[] = []
    frameReader((f) => void got.push(Buffer.from(f)), (e) => {
      throw e
    })(sink.flushes[0]![0]!)
    expect(got).toEqual([payload])
  })

  it('writes a large frame without copying it, in one flush', () => {
    const sink = new RecordingSink()
    const payload = Buffer.alloc(200 * 1024, 7)
    sendFrame(sink, payload)
    expect(sink.flushes).toHaveLength(1)
    const [header, body] = sink.flushes[0]!
    expect(header!.readUInt32LE(0)).toBe(payload.length)
    expect(body).toBe(payload)
  })

  it('keeps several frames of one batch together when the caller corks', () => {
    const sink = new RecordingSink()
    sink.cork()
    sendFrame(sink, Buffer.from('one'))
    sendFrame(sink, Buffer.alloc(100 * 1024))
    sendFrame(sink, Buffer.from('three'))
    sink.uncork()
    expect(sink.flushes).toHaveLength(1)
    expect(sink.flushes[0]).toHaveLength(4)
  })
})

/** A stand-in for the client socket that counts the writes reaching it. */
class CountingSocket extends Duplex {
  readonly singles: Buffer[] = []
  readonly batches: Buffer[][] = []
  override _read(): void {}
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.singles.push(chunk)
    cb()
  }
  override _writev(chunks: Array<{ chunk: Buffer }>, cb: () => void): void {
    this.batches.push(chunks.map((c) => c.chunk))
    cb()
  }
}

describe('AuthorityShim', () => {
  it('passes the frames HTTP/2 writes together to the socket in one writev', async () => {
    const socket = new CountingSocket()
    const shim = new AuthorityShim(socket as unknown as Socket, '127.0.0.1:2379')
    const frames = [Buffer.from('headers'), Buffer.from('data'), Buffer.from('trailers')]
    // What Node's JS stream wrapper does with one write request of several buffers.
    shim.cork()
    const done = frames.map((f) => new Promise<void>((resolve, reject) => shim.write(f, (err) => (err ? reject(err) : resolve()))))
    shim.uncork()
    await Promise.all(done)
    expect(socket.singles).toEqual([])
    expect(socket.batches).toEqual([frames])
    shim.destroy()
  })
})

describe('wal segment writes', () => {
  const dirs: string[] = []
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true })
  })

  /** Open flags of this process's descriptor for `file` (Linux: /proc/self/fdinfo). */
  function openFlags(file: string): number | undefined {
    for (const fd of fs.readdirSync('/proc/self/fd')) {
      let target: string
      try {
        target = fs.readlinkSync(`/proc/self/fd/${fd}`)
      } catch {
        continue
      }
      if (target !== file) continue
      const m = /flags:\s+([0-7]+)/.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))
      if (m) return parseInt(m[1]!, 8)
    }
    return undefined
  }

  it.runIf(process.platform === 'linux')('appends through an O_DSYNC descriptor, so a batch is one durable write, also after a cut and a reopen', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rd-wal-dsync-'))
    dirs.push(dir)
    const meta = { memberId: '1', clusterId: '2' }
    const wal = await Wal.create(dir, meta)
    const flagsOf = () => openFlags(fs.realpathSync(wal.segmentFiles().at(-1)!))
    expect(flagsOf()! & fs.constants.O_DSYNC).toBe(fs.constants.O_DSYNC)
    await wal.save({ term: 1, vote: '1', commit: 1 }, [{ term: 1, index: 1, type: 0, data: Buffer.from('x') }])
    expect(wal.stats.syncs).toBe(1)
    // A snapshot mark cuts a new segment (the old one goes): it is opened the same way.
    const first = wal.segmentFiles()[0]
    await wal.saveSnapshot({ index: 1, term: 1 })
    expect(wal.segmentFiles()).not.toContain(first)
    expect(flagsOf()! & fs.constants.O_DSYNC).toBe(fs.constants.O_DSYNC)
    await wal.close()
    const { wal: reopened, replay } = await Wal.open(dir)
    expect(replay.hardState).toEqual({ term: 1, vote: '1', commit: 1 })
    expect(openFlags(fs.realpathSync(reopened.segmentFiles().at(-1)!))! & fs.constants.O_DSYNC).toBe(fs.constants.O_DSYNC)
    await reopened.close()
  })
})
