/**
 * Snapshot files: `<snap-dir>/<term:16 hex>-<index:16 hex>.snap`, each `[u32 LE CRC-32][data]`.
 *
 * Everything streams: a snapshot is written from chunks (CRC computed as they pass, stored at
 * offset 0 at the end), read back in chunks (the CRC checked when the last one has been read), sent
 * to a peer from an open file and received from a peer into a temp file. No step holds the whole
 * file in memory and no size limit applies beyond the file system's (files over 4 GiB included).
 *
 * A file is written to `<name>.tmp` (or `<name>.part` when received), synced, renamed and the
 * directory synced, so a crash leaves either the old set or the new file complete. A file whose
 * CRC fails is skipped at start (and renamed .broken).
 */
import fsp from 'node:fs/promises'
import path from 'node:path'
import { crc32 } from 'node:zlib'

/** A snapshot file on disk. */
export interface SnapshotRef {
  index: number
  term: number
  file: string
}

/** An open snapshot file, for sending: it stays readable until closed, even if deleted meanwhile. */
export interface OpenSnapshot extends SnapshotRef {
  /** Bytes of the whole file (CRC included): what goes over the wire. */
  size: number
  /** The file's bytes in chunks, from the start. */
  chunks(): AsyncIterable<Buffer>
  close(): Promise<void>
}

/** A snapshot arriving from a peer: the file's bytes (CRC first), in chunks of any size. */
export interface SnapshotReceiver {
  write(chunk: Buffer): Promise<void>
  /** Checks the CRC and the size, makes the file durable under its name; throws if it is bad. */
  commit(): Promise<SnapshotRef>
  /** Drops what was received. */
  abort(): Promise<void>
}

/** The CRC of a snapshot file does not match its contents (or it is too short). */
export class SnapshotCorruptError extends Error {}

const KEEP = 2
/** Read and write unit. */
export const IO_CHUNK = 1024 * 1024

function name(term: number, index: number): string {
  return `${term.toString(16).padStart(16, '0')}-${index.toString(16).padStart(16, '0')}.snap`
}

function parse(n: string): { term: number; index: number } | undefined {
  const m = /^([0-9a-f]{16})-([0-9a-f]{16})\.snap$/.exec(n)
  return m ? { term: parseInt(m[1]!, 16), index: parseInt(m[2]!, 16) } : undefined
}

async function fsyncDir(dir: string): Promise<void> {
  const dfh = await fsp.open(dir, 'r')
  try {
    await dfh.sync()
  } finally {
    await dfh.close()
  }
}

/** Writes all of `b` at `pos`. */
async function writeAt(fh: fsp.FileHandle, b: Buffer, pos: number): Promise<void> {
  let off = 0
  while (off < b.length) {
    const { bytesWritten } = await fh.write(b, off, b.length - off, pos + off)
    off += bytesWritten
  }
}

/** `want` bytes of the file at `pos`, in a buffer of their own. */
async function readChunk(fh: fsp.FileHandle, pos: number, want: number, size: number): Promise<Buffer> {
  const b = Buffer.allocUnsafe(want)
  let got = 0
  while (got < want) {
    const { bytesRead } = await fh.read(b, got, want - got, pos + got)
    if (bytesRead === 0) throw new SnapshotCorruptError(`snap: file ended at ${pos + got} of ${size} bytes`)
    got += bytesRead
  }
  return b
}

/**
 * The chunks of a file from `start` to its end, IO_CHUNK at a time, each in its own buffer. The
 * next chunk is read while the caller works on the current one (a restart decodes a large snapshot:
 * the disk and the decoder overlap).
 */
async function* readChunks(fh: fsp.FileHandle, start: number, size: number): AsyncGenerator<Buffer> {
  let pos = start
  let next: Promise<Buffer> | undefined
  const ahead = (): Promise<Buffer> | undefined => {
    if (pos >= size) return undefined
    const want = Math.min(IO_CHUNK, size - pos)
    const p = readChunk(fh, pos, want, size)
    // A read ahead that fails while the caller is busy is reported when the caller gets to it, not
    // as an unhandled rejection in between (which would end the process).
    p.catch(() => {})
    pos += want
    return p
  }
  next = ahead()
  try {
    while (next) {
      const b = await next
      next = ahead()
      yield b
    }
  } finally {
    // Stopped early: the read in flight must end before the caller closes the file.
    await next?.catch(() => {})
  }
}

export class Snapshotter {
  constructor(readonly dir: string) {}

  fileFor(term: number, index: number): string {
    return path.join(this.dir, name(term, index))
  }

  /**
   * Writes a snapshot from its data chunks (pulled one at a time, so a generator that encodes on
   * demand never runs ahead of the disk). A chunk is written before the next is pulled, so its
   * producer may write the next one into the same buffer. Returns the file's size.
   */
  async save(index: number, term: number, chunks: Iterable<Buffer> | AsyncIterable<Buffer>): Promise<number> {
    await fsp.mkdir(this.dir, { recursive: true })
    const file = this.fileFor(term, index)
    const tmp = `${file}.tmp`
    const fh = await fsp.open(tmp, 'w')
    let size = 4
    try {
      let crc = 0
      for await (const c of chunks) {
        // An empty chunk is the producer asking for a turn of the event loop (see encodeRecordChunks).
        if (c.length === 0) {
          await new Promise<void>((resolve) => setImmediate(resolve))
          continue
        }
        crc = crc32(c, crc)
        await writeAt(fh, c, size)
        size += c.length
      }
      const head = Buffer.allocUnsafe(4)
      head.writeUInt32LE(crc >>> 0, 0)
      await writeAt(fh, head, 0)
      await fh.datasync()
    } catch (err) {
      await fh.close().catch(() => {})
      await fsp.rm(tmp, { force: true })
      throw err
    }
    await fh.close()
    await fsp.rename(tmp, file)
    await fsyncDir(this.dir)
    await this.purge()
    return size
  }

  /** A copy of another member's snapshot file (a restore writes one and copies it). */
  async copyFrom(source: string, index: number, term: number): Promise<void> {
    await fsp.mkdir(this.dir, { recursive: true })
    const file = this.fileFor(term, index)
    const tmp = `${file}.tmp`
    await fsp.copyFile(source, tmp)
    const fh = await fsp.open(tmp, 'r+')
    try {
      await fh.datasync()
    } finally {
      await fh.close()
    }
    await fsp.rename(tmp, file)
    await fsyncDir(this.dir)
  }

  /** Snapshot files, newest first. */
  async list(): Promise<SnapshotRef[]> {
    let names: string[] = []
    try {
      names = await fsp.readdir(this.dir)
    } catch {
      return []
    }
    return names
      .map((n) => ({ n, p: parse(n) }))
      .filter((x) => x.p)
      .map((x) => ({ file: path.join(this.dir, x.n), ...x.p! }))
      .sort((a, b) => b.index - a.index)
  }

  /** Keeps the KEEP newest files (a file still being sent stays readable through its open handle). */
  private async purge(): Promise<void> {
    const all = await this.list()
    for (const old of all.slice(KEEP)) await fsp.rm(old.file, { force: true })
  }

  /** Leftovers of writes or receives that a crash interrupted. */
  async removeTemporaries(): Promise<void> {
    let names: string[] = []
    try {
      names = await fsp.readdir(this.dir)
    } catch {
      return
    }
    for (const n of names) if (n.endsWith('.snap.tmp') || n.endsWith('.snap.part')) await fsp.rm(path.join(this.dir, n), { force: true })
  }

  /**
   * The data of a snapshot file in chunks; the CRC is checked once the last chunk has been read (a
   * mismatch throws SnapshotCorruptError then, so a reader must not use what it built before the
   * end).
   */
  async *read(ref: SnapshotRef): AsyncGenerator<Buffer> {
    const fh = await fsp.open(ref.file, 'r')
    try {
      const size = (await fh.stat()).size
      if (size < 4) throw new SnapshotCorruptError(`snap: ${path.basename(ref.file)} is ${size} bytes`)
      const head = Buffer.allocUnsafe(4)
      await fh.read(head, 0, 4, 0)
      let crc = 0
      for await (const c of readChunks(fh, 4, size)) {
        crc = crc32(c, crc)
        yield c
      }
      if (crc >>> 0 !== head.readUInt32LE(0)) throw new SnapshotCorruptError(`snap: CRC mismatch in ${path.basename(ref.file)}`)
    } finally {
      await fh.close()
    }
  }

  /**
   * Loads the newest snapshot at or below `maxIndex` with `load`, which gets its data chunks. A
   * file whose CRC fails (or that `load` rejects as undecodable) is renamed .broken and the next
   * older one is tried.
   */
  async loadNewest<T>(maxIndex: number, load: (chunks: AsyncIterable<Buffer>, ref: SnapshotRef) => Promise<T>): Promise<{ ref: SnapshotRef; value: T } | undefined> {
    for (const ref of await this.list()) {
      if (ref.index > maxIndex) continue
      try {
        return { ref, value: await load(this.read(ref), ref) }
      } catch (err) {
        if (!(err instanceof SnapshotCorruptError)) throw err
        await fsp.rename(ref.file, `${ref.file}.broken`)
      }
    }
    return undefined
  }

  /** The snapshot file at (term, index), opened for sending. */
  async open(term: number, index: number): Promise<OpenSnapshot> {
    const file = this.fileFor(term, index)
    const fh = await fsp.open(file, 'r')
    const size = (await fh.stat()).size
    let closed = false
    return {
      index,
      term,
      file,
      size,
      chunks: () => readChunks(fh, 0, size),
      close: async () => {
        if (closed) return
        closed = true
        await fh.close()
      },
    }
  }

  /** Where a snapshot sent by a peer is received: `<name>.part`, renamed once complete and checked. */
  receiver(term: number, index: number, size: number): SnapshotReceiver {
    const file = this.fileFor(term, index)
    const part = `${file}.part`
    let fh: fsp.FileHandle | undefined
    let written = 0
    let crc = 0
    let head: Buffer = Buffer.alloc(0)
    const open = async (): Promise<fsp.FileHandle> => {
      if (!fh) {
        await fsp.mkdir(this.dir, { recursive: true })
        fh = await fsp.open(part, 'w')
      }
      return fh
    }
    return {
      write: async (chunk) => {
        if (written + chunk.length > size) throw new SnapshotCorruptError(`snap: received more than the ${size} bytes announced`)
        const h = await open()
        // The first 4 bytes are the CRC of the rest.
        if (head.length < 4) {
          const need = 4 - head.length
          head = Buffer.concat([head, chunk.subarray(0, need)])
          if (chunk.length > need) crc = crc32(chunk.subarray(need), crc)
        } else crc = crc32(chunk, crc)
        await writeAt(h, chunk, written)
        written += chunk.length
      },
      commit: async () => {
        const h = await open()
        try {
          if (written !== size) throw new SnapshotCorruptError(`snap: received ${written} of ${size} bytes`)
          if (head.length < 4 || (crc >>> 0) !== head.readUInt32LE(0)) throw new SnapshotCorruptError('snap: CRC mismatch in a received snapshot')
          await h.datasync()
        } catch (err) {
          await h.close().catch(() => {})
          fh = undefined
          await fsp.rm(part, { force: true })
          throw err
        }
        await h.close()
        fh = undefined
        await fsp.rename(part, file)
        await fsyncDir(this.dir)
        return { index, term, file }
      },
      abort: async () => {
        await fh?.close().catch(() => {})
        fh = undefined
        await fsp.rm(part, { force: true })
      },
    }
  }
}
