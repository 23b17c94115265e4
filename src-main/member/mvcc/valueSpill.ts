/**
 * Values of superseded revisions, moved out of memory into files.
 *
 * Why: the store keeps every revision since the last compaction, and nearly all of them are history
 * (a key written 15 times keeps 14 old values), which only a read at an old revision, a watcher
 * catching up from one, HashKV or a snapshot ever looks at. etcd keeps them in its bbolt file, in
 * the page cache rather than in its heap; kept in memory, they made a member's RSS grow with the
 * history (docs/member.md, "History on disk"). A revision's value is moved here a while after a
 * newer revision of its key superseded it (the store decides when: MvccStore.spillValuesTo); the
 * revision then reads it back from the file when asked (KeyRevision.value).
 *
 * The files are a cache of what the store holds, not durable state: a member rebuilds its store from
 * its snapshot and WAL. Each file is unlinked the moment it is created, so nothing is left behind by
 * a crash, and its space is given back when its descriptor is closed, which happens once no revision
 * refers to it any more (compaction dropped them all, or a snapshot install replaced the store): a
 * FinalizationRegistry closes it then. Batches are appended, so bytes once handed out are never
 * written again, and nothing is ever synced: the page cache is all it needs.
 *
 * A failed write (a full disk) leaves the values where they were and stops spilling, with one line
 * in the member's log: memory instead of disk, nothing lost.
 */
import { randomBytes } from 'node:crypto'
import { closeSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs'
import path from 'node:path'
import type { KeyRevision } from './types'

/** One file's size: values are appended until the next batch would not fit. */
export const SEGMENT_BYTES = 64 * 1024 * 1024

const closeWhenUnreachable = new FinalizationRegistry<number>((fd) => {
  try {
    closeSync(fd)
  } catch {
    // Already closed: nothing to give back.
  }
})

let segmentsMade = 0

/** One unlinked file of spilled values; revisions that were moved into it refer to it. */
export class SpillSegment {
  /** Tells segments apart in a SpillReader's cache (unique in the process). */
  readonly serial = segmentsMade++

  constructor(private readonly fd: number) {
    closeWhenUnreachable.register(this, fd)
  }

  /** The `length` bytes at `at`, as a new buffer. */
  read(at: number, length: number): Buffer {
    const out = Buffer.allocUnsafe(length)
    this.readInto(out, 0, length, at, length)
    return out
  }

  /**
   * Reads into `out` at `off` the bytes at `at`: at least `need` of them, up to `length` (less only
   * where the file ends). Returns how many it read.
   */
  readInto(out: Uint8Array, off: number, length: number, at: number, need = length): number {
    let got = 0
    while (got < need) {
      const n = readSync(this.fd, out, off + got, length - got, at + got)
      if (n === 0) throw new Error(`value spill: file ends at ${at + got}, ${need - got} bytes short`)
      got += n
    }
    return got
  }

  /** Writes all of `data` at `at` (values become readable from here only after this returns). */
  write(data: Uint8Array, at: number): void {
    let done = 0
    while (done < data.length) done += writeSync(this.fd, data, done, data.length - done, at + done)
  }
}

/** A SpillReader's unit of reading. */
const READ_BLOCK = 128 * 1024
/** Blocks a SpillReader keeps (16 MiB). */
const READ_BLOCKS_KEPT = 128

/**
 * Reads spilled values for a walk over many of them (a snapshot's encoding goes through the whole
 * history), a block of the file at a time, keeping the blocks read most recently. A walk in
 * revision order meets the values in nearly the order they were spilled: a value is spilled a while
 * after its key is written again, so neighbours in revision order sit within a few MB of each
 * other in the file. One read per value was a system call and a buffer per value: 300,000 of them
 * for a snapshot of a long history (docs/member.md, "Snapshots one member at a time"). Blocks are
 * reused once evicted, and the reader holds nothing beyond the walk it serves.
 */
export class SpillReader {
  /** Cached blocks by segment serial and block number, least recently used first. */
  private readonly blocks = new Map<number, { data: Buffer; length: number }>()
  /** Reads from the files, for tests and measurements. */
  reads = 0

  /** Copies the `length` bytes at `at` in `segment` into `out` at `off`. */
  copy(segment: SpillSegment, at: number, length: number, out: Uint8Array, off: number): void {
    if (length > READ_BLOCK / 2) {
      this.reads++
      segment.readInto(out, off, length, at)
      return
    }
    let done = 0
    while (done < length) {
      const pos = at + done
      const start = pos - (pos % READ_BLOCK)
      const b = this.block(segment, start, at + length - start)
      const n = Math.min(length - done, start + b.length - pos)
      out.set(b.data.subarray(pos - start, pos - start + n), off + done)
      done += n
    }
  }

  /** The block of `segment` at `start`, read if needed: at least `need` bytes of it are there. */
  private block(segment: SpillSegment, start: number, need: number): { data: Buffer; length: number } {
    const key = segment.serial * 2 ** 24 + start / READ_BLOCK
    const hit = this.blocks.get(key)
    if (hit && hit.length >= Math.min(need, READ_BLOCK)) {
      this.blocks.delete(key)
      this.blocks.set(key, hit)
      return hit
    }
    if (hit) this.blocks.delete(key)
    let data: Buffer
    if (this.blocks.size >= READ_BLOCKS_KEPT) {
      const [oldest, evicted] = this.blocks.entries().next().value as [number, { data: Buffer }]
      this.blocks.delete(oldest)
      data = evicted.data
    } else {
      data = Buffer.allocUnsafeSlow(READ_BLOCK)
    }
    this.reads++
    // The last block of a segment still being written to may be short: read what is there.
    const length = segment.readInto(data, 0, READ_BLOCK, start, Math.min(need, READ_BLOCK))
    const b = { data, length }
    this.blocks.set(key, b)
    return b
  }
}

export class ValueSpill {
  private segment: SpillSegment | undefined
  private used = 0
  private stopped = false
  /** Values moved, and their bytes, since the start. */
  readonly stats = { values: 0, bytes: 0, segments: 0 }

  /**
   * `dir` is where the files are created (and at once unlinked); `log` hears the one line written
   * when a write fails and spilling stops. `segmentBytes` is for tests.
   */
  constructor(
    private readonly dir: string,
    private readonly log: (line: string) => void,
    private readonly segmentBytes = SEGMENT_BYTES,
  ) {}

  /** Whether spilling still works (it stops at the first failed write). */
  get active(): boolean {
    return !this.stopped
  }

  /**
   * Moves the values of `revs` to a file, in one write. Revisions already moved, and empty values,
   * are skipped. On a failed write nothing is moved and spilling stops.
   */
  spill(revs: readonly KeyRevision[]): void {
    if (this.stopped) return
    const moving: KeyRevision[] = []
    let total = 0
    for (const r of revs) {
      if (r.spilled || r.valueLength === 0) continue
      moving.push(r)
      total += r.valueLength
    }
    if (total === 0) return
    try {
      if (!this.segment || this.used + total > this.segmentBytes) this.newSegment()
      const data = Buffer.allocUnsafeSlow(total)
      let off = 0
      for (const r of moving) off += r.value.copy(data, off)
      this.segment!.write(data, this.used)
    } catch (err) {
      this.stopped = true
      this.log(`value spill: ${(err as Error).message}; old values stay in memory from now on (nothing was lost)`)
      return
    }
    let at = this.used
    for (const r of moving) {
      r.moveValueTo(this.segment!, at)
      at += r.valueLength
    }
    this.used = at
    this.stats.values += moving.length
    this.stats.bytes += total
  }

  private newSegment(): void {
    const file = path.join(this.dir, `.value-spill-${process.pid}-${this.stats.segments}-${randomBytes(4).toString('hex')}`)
    const fd = openSync(file, 'wx+', 0o600)
    try {
      unlinkSync(file)
    } catch (err) {
      closeSync(fd)
      throw err
    }
    this.segment = new SpillSegment(fd)
    this.used = 0
    this.stats.segments++
  }
}
