// Writes a stream of chunks to a new file in order, in large batches, off the main thread.
//
// etcd sends a snapshot in 32 KiB messages. One write(2) per message on the main thread kept the
// process busy with syscalls; holding on to the messages until a batched write took them was worse
// (they outlive V8's young generation and each one is an external allocation, so the collector works
// harder and memory grows). So the chunks are copied into a few buffers of 1 MiB that are allocated
// once and reused; a full buffer is one positioned write in libuv's thread pool while the next one
// fills. When every buffer is waiting for the disk, write() returns a promise and the caller pauses
// its source until it settles: memory stays at BUFFERS × BATCH_BYTES whatever the file's size.
//
// The first failed write fails every later call and finish(). abort() waits for the writes in
// flight before it closes and removes the file (closing first could let a late write land in
// whatever file reuses the descriptor).

import { open, rm, type FileHandle } from 'node:fs/promises'

const BATCH_BYTES = 1024 * 1024
const BUFFERS = 3

export class SnapshotWriter {
  private readonly free: Buffer[] = []
  private current: Buffer | null = null
  private fill = 0
  /** File offset of `current`'s first byte. */
  private position = 0
  private readonly inFlight = new Set<Promise<void>>()
  private error: unknown = null
  private waiter: { promise: Promise<void>; resolve(): void } | null = null

  private constructor(
    private readonly handle: FileHandle,
    readonly path: string,
  ) {
    for (let i = 0; i < BUFFERS; i++) this.free.push(Buffer.allocUnsafeSlow(BATCH_BYTES))
  }

  /** Creates `file` (it must not exist), readable by its owner only. */
  static async create(file: string): Promise<SnapshotWriter> {
    return new SnapshotWriter(await open(file, 'wx', 0o600), file)
  }

  /** Bytes accepted so far (written or queued). */
  get bytes(): number {
    return this.position + this.fill
  }

  /**
   * Takes a copy of `chunk`. Undefined: go on. A promise: every buffer is waiting for the disk; wait
   * for it before the next write (it settles when one is free again, or when a write failed).
   */
  write(chunk: Uint8Array): Promise<void> | undefined {
    if (this.error) return Promise.reject(this.error)
    let off = 0
    while (off < chunk.length) {
      if (!this.current) {
        const next = this.free.pop()
        // Only after a promise was ignored: the caller did not wait. Never drop data; grow instead.
        this.current = next ?? Buffer.allocUnsafeSlow(BATCH_BYTES)
        this.fill = 0
      }
      const n = Math.min(chunk.length - off, BATCH_BYTES - this.fill)
      this.current.set(off === 0 && n === chunk.length ? chunk : chunk.subarray(off, off + n), this.fill)
      this.fill += n
      off += n
      if (this.fill === BATCH_BYTES) this.flush()
    }
    if (this.free.length > 0 || this.current) return undefined
    if (!this.waiter) {
      let resolve!: () => void
      const promise = new Promise<void>((r) => (resolve = r))
      this.waiter = { promise, resolve }
    }
    return this.waiter.promise
  }

  private flush(): void {
    const buf = this.current
    if (!buf || this.fill === 0) return
    const bytes = this.fill
    const position = this.position
    this.current = null
    this.fill = 0
    this.position += bytes
    const p: Promise<void> = this.writeAll(buf, bytes, position).then(
      () => this.settled(p, buf, null),
      (err: unknown) => this.settled(p, buf, err),
    )
    this.inFlight.add(p)
  }

  private settled(p: Promise<void>, buf: Buffer, err: unknown): void {
    this.inFlight.delete(p)
    if (this.free.length < BUFFERS) this.free.push(buf)
    if (err && !this.error) this.error = err
    if (this.waiter) {
      const w = this.waiter
      this.waiter = null
      // The caller learns about a failure from its next write(), or from finish().
      w.resolve()
    }
  }

  /** A positioned write, repeated for the rest if the kernel took fewer bytes (it may, near a full disk). */
  private async writeAll(buf: Buffer, bytes: number, position: number): Promise<void> {
    let done = 0
    while (done < bytes) {
      const { bytesWritten } = await this.handle.write(buf, done, bytes - done, position + done)
      if (bytesWritten === 0) throw new Error(`could not write to ${this.path} (0 bytes written)`)
      done += bytesWritten
    }
  }

  private async drain(): Promise<void> {
    while (this.inFlight.size) await Promise.all([...this.inFlight])
  }

  /**
   * Writes what is left, waits for every write, checks the length, fsyncs and closes. `meanwhile`
   * runs once every byte is in the file, while the fsync (tens of milliseconds for a large file) is
   * in flight in the thread pool; its result is returned. If it throws, the fsync is waited for and
   * the error passed on (abort() then removes the file).
   */
  async finish<T = undefined>(expectedBytes: number, meanwhile: () => T = () => undefined as T): Promise<T> {
    if (!this.error) this.flush()
    await this.drain()
    if (this.error) throw this.error
    if (this.position !== expectedBytes) throw new Error(`${this.path}: ${this.position} bytes written, expected ${expectedBytes}`)
    const syncing = this.handle.sync()
    let result: T
    try {
      result = meanwhile()
    } catch (err) {
      await syncing.catch(() => {})
      throw err
    }
    await syncing
    await this.handle.close()
    return result
  }

  /** Stops: waits for the writes in flight, closes and removes the file. Never throws. */
  async abort(): Promise<void> {
    this.current = null
    this.fill = 0
    await this.drain()
    await this.handle.close().catch(() => {})
    await rm(this.path, { force: true }).catch(() => {})
  }
}
