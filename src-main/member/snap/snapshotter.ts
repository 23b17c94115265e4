/**
 * Snapshot files: `<snap-dir>/<term:16 hex>-<index:16 hex>.snap`, each `[u32 LE CRC-32][data]`.
 * Written to a temp file, synced, renamed and the directory synced, so a crash leaves either the
 * old set or the new file complete. A file whose CRC fails is skipped (and renamed .broken).
 */
import fsp from 'node:fs/promises'
import path from 'node:path'
import { crc32 } from 'node:zlib'

export interface SnapshotFile {
  index: number
  term: number
  data: Buffer
}

const KEEP = 2

function name(term: number, index: number): string {
  return `${term.toString(16).padStart(16, '0')}-${index.toString(16).padStart(16, '0')}.snap`
}

function parse(n: string): { term: number; index: number } | undefined {
  const m = /^([0-9a-f]{16})-([0-9a-f]{16})\.snap$/.exec(n)
  return m ? { term: parseInt(m[1]!, 16), index: parseInt(m[2]!, 16) } : undefined
}

export class Snapshotter {
  constructor(readonly dir: string) {}

  async save(index: number, term: number, data: Buffer): Promise<void> {
    await fsp.mkdir(this.dir, { recursive: true })
    const file = path.join(this.dir, name(term, index))
    const tmp = `${file}.tmp`
    const head = Buffer.allocUnsafe(4)
    head.writeUInt32LE(crc32(data), 0)
    const fh = await fsp.open(tmp, 'w')
    try {
      await fh.writev([head, data])
      await fh.datasync()
    } finally {
      await fh.close()
    }
    await fsp.rename(tmp, file)
    const dfh = await fsp.open(this.dir, 'r')
    try {
      await dfh.sync()
    } finally {
      await dfh.close()
    }
    await this.purge()
  }

  private async list(): Promise<Array<{ file: string; term: number; index: number }>> {
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

  private async purge(): Promise<void> {
    const all = await this.list()
    for (const old of all.slice(KEEP)) await fsp.rm(old.file, { force: true })
  }

  /** Newest snapshot whose CRC checks out, at or below `maxIndex` when given. */
  async loadNewest(maxIndex = Infinity): Promise<SnapshotFile | undefined> {
    for (const s of await this.list()) {
      if (s.index > maxIndex) continue
      const buf = await fsp.readFile(s.file)
      if (buf.length >= 4 && crc32(buf.subarray(4)) === buf.readUInt32LE(0)) return { index: s.index, term: s.term, data: buf.subarray(4) }
      await fsp.rename(s.file, `${s.file}.broken`)
    }
    return undefined
  }
}
