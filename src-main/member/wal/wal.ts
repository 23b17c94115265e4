/**
 * The write-ahead log: Raft entries, hard state and snapshot marks, appended to segment files and
 * made durable once per batch (group commit: an O_DSYNC write, or a write and fdatasync) before
 * anything is acknowledged.
 *
 * Layout: `<wal-dir>/<seq:16 hex>-<first index:16 hex>.wal`. Every segment begins with the
 * metadata record (member and cluster ID) and the hard state current when it was cut, so old
 * segments can be deleted after a snapshot without losing anything needed to restart.
 */
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import { decodeRecord, encodeRecord, RecordType } from './record'
import {
  decodeEntry,
  decodeHardState,
  decodeMetadata,
  decodeSnapshotMark,
  encodeEntry,
  encodeHardState,
  encodeMetadata,
  encodeSnapshotMark,
  type WalEntry,
  type WalHardState,
  type WalMetadata,
  type WalSnapshotMark,
} from './payloads'

export const SEGMENT_SIZE = 64 * 1024 * 1024
/** Preallocation step: small enough that a fresh member does not write 64 MB of zeros at once. */
const PREALLOC_CHUNK = 4 * 1024 * 1024

/** What an operator can do about a damaged WAL, as etcd's docs advise. */
const RECOVERY_HINT =
  'To recover, remove this member from the cluster (etcdctl member remove <id>), move its data dir aside, and add it back as a new member (etcdctl member add, then start it with --initial-cluster-state existing) so it catches up from the leader; or restore the whole cluster from a snapshot (raftdeck snapshot restore).'

/** The WAL is damaged (not merely torn by a crash): the member must not start on it. */
export class WalCorruptError extends Error {}

export interface WalReplay {
  metadata: WalMetadata
  hardState: WalHardState
  /** Entries after the newest snapshot mark, in index order, conflicts already resolved. */
  entries: WalEntry[]
  snapshot: WalSnapshotMark
  /** Set when the last segment ended in a torn record (a write a crash interrupted) that was cut off. */
  tornTail?: string
}

interface Segment {
  seq: number
  firstIndex: number
  file: string
}

function segmentName(seq: number, firstIndex: number): string {
  return `${seq.toString(16).padStart(16, '0')}-${firstIndex.toString(16).padStart(16, '0')}.wal`
}

function parseSegmentName(name: string): { seq: number; firstIndex: number } | undefined {
  const m = /^([0-9a-f]{16})-([0-9a-f]{16})\.wal$/.exec(name)
  return m ? { seq: parseInt(m[1]!, 16), firstIndex: parseInt(m[2]!, 16) } : undefined
}

/**
 * Segments are appended through a descriptor opened with O_DSYNC where the platform has it: each
 * write returns once its data is durable, so a batch costs one trip to libuv's thread pool (write
 * and flush together) instead of two (write, then fdatasync). Every write to a segment must be
 * durable anyway (records that need not be wait in memory for the next durable batch). Elsewhere
 * a write is followed by fdatasync.
 */
const O_DSYNC: number | undefined = process.platform === 'linux' ? fs.constants.O_DSYNC : undefined

function openForAppend(file: string): number {
  return fs.openSync(file, fs.constants.O_RDWR | (O_DSYNC ?? 0))
}

/** Makes what was written to `fd` durable, unless the descriptor already does that per write. */
function flushData(fd: number): Promise<void> {
  if (O_DSYNC !== undefined) return Promise.resolve()
  return new Promise<void>((res, rej) => fs.fdatasync(fd, (err) => (err ? rej(err) : res())))
}

async function fsyncDir(dir: string): Promise<void> {
  const fd = await fsp.open(dir, 'r')
  try {
    await fd.sync()
  } finally {
    await fd.close()
  }
}

export async function walExists(dir: string): Promise<boolean> {
  try {
    return (await fsp.readdir(dir)).some((n) => parseSegmentName(n) !== undefined)
  } catch {
    return false
  }
}

interface PendingBatch {
  frames: Buffer[]
  /** Some record of the batch must be durable before its waiters hear of it. */
  sync: boolean
  /** Index of the last entry in the batch (0: none). */
  lastIndex: number
  waiters: Array<{ resolve: () => void; reject: (e: unknown) => void }>
  /** A snapshot mark: after this batch, start a new segment and drop the segments it covers. */
  snapshot?: WalSnapshotMark
}

export class Wal {
  private fd: number
  private size: number
  private segments: Segment[]
  private pending: PendingBatch | undefined
  private flushing = false
  private hardState: WalHardState
  private lastIndex: number
  private closed = false
  /** File length reserved with zeros; records are written below it. */
  private allocated = 0
  /** Segment size that triggers a cut (etcd: 64 MB); smaller in tests. */
  segmentBytes = SEGMENT_SIZE
  /** fdatasync count and total time, for the debug stream and benchmarks. */
  readonly stats = { syncs: 0, syncMs: 0, records: 0 }

  private constructor(
    private readonly dir: string,
    private readonly metadata: WalMetadata,
    segments: Segment[],
    fd: number,
    size: number,
    hardState: WalHardState,
    lastIndex: number,
  ) {
    this.segments = segments
    this.fd = fd
    this.size = size
    this.hardState = hardState
    this.lastIndex = lastIndex
  }

  /** A new WAL in an empty (or missing) directory. */
  static async create(dir: string, metadata: WalMetadata): Promise<Wal> {
    await fsp.mkdir(dir, { recursive: true })
    if (await walExists(dir)) throw new Error(`wal: ${dir} already holds a WAL`)
    const hs: WalHardState = { term: 0, vote: '0', commit: 0 }
    const seg = await Wal.writeSegmentHead(dir, 0, 1, metadata, hs, { index: 0, term: 0 })
    const fd = openForAppend(seg.file)
    const wal = new Wal(dir, metadata, [seg], fd, fs.fstatSync(fd).size, hs, 0)
    wal.allocated = wal.size
    return wal
  }

  /** A segment's first records, written to a temp file, synced, then renamed into place. */
  private static async writeSegmentHead(dir: string, seq: number, firstIndex: number, metadata: WalMetadata, hs: WalHardState, snap: WalSnapshotMark): Promise<Segment> {
    const file = path.join(dir, segmentName(seq, firstIndex))
    const tmp = `${file}.tmp`
    const head = Buffer.concat([
      encodeRecord(RecordType.Metadata, encodeMetadata(metadata)),
      encodeRecord(RecordType.Snapshot, encodeSnapshotMark(snap)),
      encodeRecord(RecordType.HardState, encodeHardState(hs)),
    ])
    const fh = await fsp.open(tmp, 'w')
    try {
      await fh.write(head)
      await fh.datasync()
    } finally {
      await fh.close()
    }
    await fsp.rename(tmp, file)
    await fsyncDir(dir)
    return { seq, firstIndex, file }
  }

  /**
   * Open an existing WAL and replay it. A torn record at the end of the last segment (a crash in
   * the middle of a write) is cut off with a warning; a corrupt record anywhere, or a torn one in
   * an older segment, throws WalCorruptError with a recovery hint (etcd refuses to start too).
   */
  static async open(dir: string): Promise<{ wal: Wal; replay: WalReplay }> {
    const names = (await fsp.readdir(dir)).filter((n) => parseSegmentName(n)).sort()
    for (const n of await fsp.readdir(dir)) if (n.endsWith('.wal.tmp')) await fsp.rm(path.join(dir, n), { force: true })
    if (names.length === 0) throw new Error(`wal: no segments in ${dir}`)
    const segments: Segment[] = names.map((n) => ({ ...parseSegmentName(n)!, file: path.join(dir, n) }))
    let metadata: WalMetadata | undefined
    let hardState: WalHardState = { term: 0, vote: '0', commit: 0 }
    let snapshot: WalSnapshotMark = { index: 0, term: 0 }
    let entries: WalEntry[] = []
    let tornTail: string | undefined
    let lastGood = 0
    for (let s = 0; s < segments.length; s++) {
      const seg = segments[s]!
      const buf = await fsp.readFile(seg.file)
      let off = 0
      for (;;) {
        const r = decodeRecord(buf, off)
        if (!r.ok) {
          // Preallocated space after the last record is zeros: the clean end of the log.
          if (r.reason === 'end' || isZero(buf, off)) break
          const isLast = s === segments.length - 1
          const where = `${path.basename(seg.file)} offset ${off}`
          if (r.reason === 'corrupt') throw new WalCorruptError(`wal: corrupt record at ${where} (CRC mismatch with every sector written: damage, not a crash); refusing to start. ${RECOVERY_HINT}`)
          if (!isLast) throw new WalCorruptError(`wal: torn record at ${where}, but it is not the last segment; refusing to start. ${RECOVERY_HINT}`)
          tornTail = `wal: torn record at ${where} (${buf.length - off} bytes after it dropped)`
          break
        }
        const { type, payload } = r.record
        if (type === RecordType.Metadata) {
          const m = decodeMetadata(payload)
          if (metadata && (m.memberId !== metadata.memberId || m.clusterId !== metadata.clusterId)) throw new Error(`wal: segment ${seg.file} belongs to another member`)
          metadata = m
        } else if (type === RecordType.HardState) {
          hardState = decodeHardState(payload)
        } else if (type === RecordType.Snapshot) {
          const mark = decodeSnapshotMark(payload)
          if (mark.index >= snapshot.index) {
            snapshot = mark
            entries = entries.filter((e) => e.index > mark.index)
          }
        } else if (type === RecordType.Entry) {
          const e = decodeEntry(payload)
          if (e.index <= snapshot.index) {
            // Already covered by a snapshot.
          } else {
            // A later write of the same index replaces the old suffix (Raft log truncation).
            const first = entries.length ? entries[0]!.index : e.index
            if (e.index < first + entries.length) entries.length = Math.max(0, e.index - first)
            if (entries.length && e.index !== entries[entries.length - 1]!.index + 1) {
              throw new Error(`wal: gap in entries at index ${e.index} in ${path.basename(seg.file)}`)
            }
            entries.push(e)
          }
        }
        off = r.record.end
      }
      lastGood = off
      if (tornTail && s === segments.length - 1) {
        // Cut the garbage so new records follow the last good one.
        await fsp.truncate(seg.file, lastGood)
      }
    }
    if (!metadata) throw new Error(`wal: no metadata record in ${dir}`)
    const last = segments[segments.length - 1]!
    const fd = openForAppend(last.file)
    const lastIndex = entries.length ? entries[entries.length - 1]!.index : snapshot.index
    // Appends continue right after the last good record (the file may be preallocated further).
    const wal = new Wal(dir, metadata, segments, fd, lastGood, hardState, lastIndex)
    wal.allocated = fs.fstatSync(fd).size
    wal.snapMark = snapshot
    wal.writtenIndex = lastIndex
    return { wal, replay: { metadata, hardState, entries, snapshot, ...(tornTail ? { tornTail } : {}) } }
  }

  /**
   * Append a hard state and entries. Resolves once they are on disk (when `sync`). Calls made
   * while a write is in flight are merged into the next write: one fdatasync for all of them.
   *
   * Records that need not be durable (`sync` false: a hard state whose commit index moved, which
   * Raft can learn again after a crash) resolve at once and wait in memory for the next durable
   * batch, as etcd's buffered WAL writer does: a commit never costs a write of its own.
   */
  save(hardState: WalHardState | null, entries: readonly WalEntry[], sync = true): Promise<void> {
    if (this.closed) return Promise.reject(new Error('wal: closed'))
    const frames: Buffer[] = []
    for (const e of entries) frames.push(encodeRecord(RecordType.Entry, encodeEntry(e)))
    if (hardState) {
      frames.push(encodeRecord(RecordType.HardState, encodeHardState(hardState)))
      this.hardState = hardState
    }
    if (entries.length) this.lastIndex = entries[entries.length - 1]!.index
    if (frames.length === 0) return Promise.resolve()
    this.stats.records += frames.length
    const batch = this.batch()
    for (const f of frames) batch.frames.push(f)
    if (entries.length) batch.lastIndex = entries[entries.length - 1]!.index
    if (!sync) return Promise.resolve()
    return this.flushBatch(batch)
  }

  private batch(): PendingBatch {
    return (this.pending ??= { frames: [], sync: false, lastIndex: 0, waiters: [] })
  }

  /** Marks the batch durable-on-completion and makes sure the flush loop runs. */
  private flushBatch(batch: PendingBatch): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      batch.sync = true
      batch.waiters.push({ resolve, reject })
      if (!this.flushing) void this.flushLoop()
    })
  }

  private async flushLoop(): Promise<void> {
    this.flushing = true
    try {
      while (this.pending?.sync) {
        const batch = this.pending
        this.pending = undefined
        try {
          const data = batch.frames.length === 1 ? batch.frames[0]! : Buffer.concat(batch.frames)
          if (this.size + data.length > this.allocated) await this.preallocate(this.size + data.length)
          const t0 = performance.now()
          await writeAll(this.fd, data, this.size)
          this.size += data.length
          if (batch.lastIndex) this.writtenIndex = batch.lastIndex
          await flushData(this.fd)
          this.stats.syncs++
          this.stats.syncMs += performance.now() - t0
          if (batch.snapshot) await this.cutAfterSnapshot(batch.snapshot)
          else if (this.size >= this.segmentBytes) await this.cut()
          for (const w of batch.waiters) w.resolve()
        } catch (err) {
          for (const w of batch.waiters) w.reject(err)
        }
      }
    } finally {
      this.flushing = false
    }
  }

  /**
   * Extend the segment with zeros (written and synced once) so later fdatasyncs flush data only,
   * not a new file size and block allocation each time: etcd preallocates its 64 MB segments for
   * the same reason. Zeros after the last record read back as the clean end of the log.
   */
  private async preallocate(needed: number): Promise<void> {
    const target = Math.min(Math.max(needed, this.allocated + PREALLOC_CHUNK), Math.max(needed, this.segmentBytes + PREALLOC_CHUNK))
    const zeros = Buffer.alloc(target - this.allocated)
    await writeAll(this.fd, zeros, this.allocated)
    await flushData(this.fd)
    this.allocated = target
  }

  /** Start a new segment (after the current one fills up, or after a snapshot). */
  private async cut(): Promise<void> {
    const last = this.segments[this.segments.length - 1]!
    // Named after the entries actually written so far: records still waiting in memory go after it.
    const seg = await Wal.writeSegmentHead(this.dir, last.seq + 1, this.writtenIndex + 1, this.metadata, this.hardState, this.snapMark)
    fs.closeSync(this.fd)
    this.fd = openForAppend(seg.file)
    this.size = fs.fstatSync(this.fd).size
    this.allocated = this.size
    this.segments.push(seg)
  }

  private snapMark: WalSnapshotMark = { index: 0, term: 0 }
  /** Index of the last entry written to a segment (later ones may wait in memory). */
  private writtenIndex = 0

  /**
   * Record that a snapshot at `mark` is durable, then start a new segment and delete segments
   * whose entries all precede the snapshot (log compaction). The cut happens inside the write
   * loop, right after the mark is synced, so it never waits for the WAL to fall idle.
   */
  async saveSnapshot(mark: WalSnapshotMark): Promise<void> {
    if (this.closed) throw new Error('wal: closed')
    // A snapshot received from the leader may reach past our last entry.
    if (mark.index > this.lastIndex) this.lastIndex = mark.index
    const batch = this.batch()
    batch.frames.push(encodeRecord(RecordType.Snapshot, encodeSnapshotMark(mark)))
    if (!batch.snapshot || mark.index > batch.snapshot.index) batch.snapshot = mark
    await this.flushBatch(batch)
  }

  private async cutAfterSnapshot(mark: WalSnapshotMark): Promise<void> {
    if (mark.index >= this.snapMark.index) this.snapMark = mark
    if (mark.index > this.writtenIndex) this.writtenIndex = mark.index
    await this.cut()
    // A segment can go when the next one starts at or before the snapshot index + 1.
    while (this.segments.length > 1 && this.segments[1]!.firstIndex <= mark.index + 1) {
      const old = this.segments.shift()!
      await fsp.rm(old.file, { force: true })
    }
    await fsyncDir(this.dir)
  }

  private async waitIdle(): Promise<void> {
    while (this.flushing) await new Promise((r) => setImmediate(r))
  }

  /** Offset just after the last record in the current segment (the file may be longer: zeros). */
  get endOffset(): number {
    return this.size
  }

  segmentFiles(): string[] {
    return this.segments.map((s) => s.file)
  }

  async close(): Promise<void> {
    if (this.closed) return
    // Records waiting in memory (a commit index) go to disk too.
    if (this.pending) await this.flushBatch(this.pending).catch(() => {})
    await this.waitIdle()
    this.closed = true
    fs.closeSync(this.fd)
  }
}

function isZero(buf: Buffer, from: number): boolean {
  for (let i = from; i < buf.length; i++) if (buf[i] !== 0) return false
  return true
}

/** Write all of `data` at file position `at`. */
function writeAll(fd: number, data: Buffer, at: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const step = (off: number): void => {
      fs.write(fd, data, off, data.length - off, at + off, (err, n) => {
        if (err) return reject(err)
        if (off + n < data.length) step(off + n)
        else resolve()
      })
    }
    step(0)
  })
}
