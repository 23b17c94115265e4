// Positional byte sources the reader pulls pages from. The file source keeps a small LRU
// of fixed-size blocks, so memory stays bounded no matter how big the snapshot is, while
// the sequential walks that status and check do still read the disk in large chunks.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs'

export interface ByteSource {
  /** Total bytes available. */
  readonly size: number
  /**
   * Returns `length` bytes at `offset`. The result may share memory with a cache: callers
   * must not modify it. Throws RangeError when the range is outside the source.
   */
  read(offset: number, length: number): Uint8Array
  close(): void
}

export class MemorySource implements ByteSource {
  constructor(private readonly bytes: Uint8Array) {}
  get size(): number {
    return this.bytes.length
  }
  read(offset: number, length: number): Uint8Array {
    if (offset < 0 || length < 0 || offset + length > this.bytes.length) {
      throw new RangeError(`read of ${length} bytes at ${offset} is outside the ${this.bytes.length}-byte buffer`)
    }
    return this.bytes.subarray(offset, offset + length)
  }
  close(): void {}
}

export interface FileSourceOptions {
  /** Bytes per cached block (default 256 KiB). */
  blockSize?: number
  /** Blocks kept in memory (default 32, i.e. 8 MiB with the default block size). */
  maxBlocks?: number
  /** Treat the file as this long (e.g. to hide a snapshot's SHA-256 trailer). */
  limit?: number
}

export class FileSource implements ByteSource {
  readonly size: number
  private readonly fd: number
  private readonly blockSize: number
  private readonly maxBlocks: number
  // Map iteration order is insertion order, which makes it a compact LRU.
  private readonly blocks = new Map<number, Uint8Array>()
  private closed = false
  /** Bytes read from disk, for the benchmark and for tests that prove bounded reads. */
  bytesRead = 0

  constructor(path: string, options: FileSourceOptions = {}) {
    this.fd = openSync(path, 'r')
    try {
      const fileSize = fstatSync(this.fd).size
      this.size = options.limit === undefined ? fileSize : Math.min(options.limit, fileSize)
    } catch (e) {
      closeSync(this.fd)
      throw e
    }
    this.blockSize = options.blockSize ?? 256 * 1024
    this.maxBlocks = Math.max(2, options.maxBlocks ?? 32)
  }

  read(offset: number, length: number): Uint8Array {
    if (this.closed) throw new Error('read from a closed file source')
    if (offset < 0 || length < 0 || offset + length > this.size) {
      throw new RangeError(`read of ${length} bytes at ${offset} is outside the ${this.size}-byte file`)
    }
    const first = Math.floor(offset / this.blockSize)
    const last = Math.floor((offset + length - 1) / this.blockSize)
    if (length === 0) return new Uint8Array(0)
    if (first === last) {
      const block = this.block(first)
      const start = offset - first * this.blockSize
      return block.subarray(start, start + length)
    }
    // Spans blocks (overflow pages, big values): copy out, and read very large spans
    // straight from disk so they do not flush the whole cache.
    const out = new Uint8Array(length)
    if (length > this.blockSize * (this.maxBlocks / 2)) {
      this.readInto(out, offset)
      return out
    }
    let written = 0
    for (let b = first; b <= last; b++) {
      const block = this.block(b)
      const blockStart = b * this.blockSize
      const from = Math.max(offset, blockStart) - blockStart
      const to = Math.min(offset + length, blockStart + block.length) - blockStart
      out.set(block.subarray(from, to), written)
      written += to - from
    }
    return out
  }

  /** Bytes currently held by the block cache; never more than maxBlocks × blockSize. */
  get cachedBytes(): number {
    let n = 0
    for (const b of this.blocks.values()) n += b.length
    return n
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    this.blocks.clear()
    closeSync(this.fd)
  }

  private block(index: number): Uint8Array {
    const hit = this.blocks.get(index)
    if (hit) {
      this.blocks.delete(index)
      this.blocks.set(index, hit)
      return hit
    }
    const start = index * this.blockSize
    const len = Math.min(this.blockSize, this.size - start)
    const buf = new Uint8Array(len)
    this.readInto(buf, start)
    if (this.blocks.size >= this.maxBlocks) {
      const oldest = this.blocks.keys().next().value as number
      this.blocks.delete(oldest)
    }
    this.blocks.set(index, buf)
    return buf
  }

  private readInto(buf: Uint8Array, position: number): void {
    let done = 0
    while (done < buf.length) {
      const n = readSync(this.fd, buf, done, buf.length - done, position + done)
      if (n === 0) throw new RangeError(`unexpected end of file at ${position + done}`)
      done += n
      this.bytesRead += n
    }
  }
}
