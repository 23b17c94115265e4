/**
 * Binary encoding of Raft messages between members (our own format, versioned by its first
 * byte). Numbers that are Raft terms and indexes are written as float64: exact up to 2^53,
 * which no log reaches; member IDs are uint64.
 */
import { EntryType, MessageType, type ConfState, type Entry, type Message, type Snapshot } from '../../raft/index'

const VERSION = 1
const TYPES = Object.values(MessageType) as string[]

/**
 * Member IDs are decimal strings in Raft's messages and uint64 on the wire. Every message carries
 * two, and the same few IDs recur, so both directions are cached instead of going through a BigInt
 * and a new string each time. The caches are emptied when they reach MAX_CACHED_IDS: IDs read come
 * from the wire, and a peer must not be able to grow them.
 */
const MAX_CACHED_IDS = 64
const U64_MAX = 0xffff_ffff_ffff_ffffn
/** Decimal ID → its low and high 32 bits. */
const halvesById = new Map<string, readonly [number, number]>()
/** High 32 bits → low 32 bits → decimal ID. */
const idsByHalves = new Map<number, Map<number, string>>()
let idsCached = 0

function idHalves(id: string): readonly [number, number] {
  let h = halvesById.get(id)
  if (h === undefined) {
    const n = BigInt(id)
    if (n < 0n || n > U64_MAX) throw new RangeError(`member ID ${id} is not a uint64`)
    h = [Number(n & 0xffff_ffffn), Number(n >> 32n)]
    if (halvesById.size >= MAX_CACHED_IDS) halvesById.clear()
    halvesById.set(id, h)
  }
  return h
}

function idFromHalves(lo: number, hi: number): string {
  let byLo = idsByHalves.get(hi)
  let id = byLo?.get(lo)
  if (id === undefined) {
    id = ((BigInt(hi) << 32n) | BigInt(lo)).toString()
    if (idsCached >= MAX_CACHED_IDS) {
      idsByHalves.clear()
      idsCached = 0
      byLo = undefined
    }
    if (byLo === undefined) {
      byLo = new Map()
      idsByHalves.set(hi, byLo)
    }
    byLo.set(lo, id)
    idsCached++
  }
  return id
}

class Writer {
  private parts: Buffer[] = []
  private cur = Buffer.allocUnsafe(256)
  private off = 0
  private ensure(n: number): void {
    if (this.off + n <= this.cur.length) return
    this.parts.push(this.cur.subarray(0, this.off))
    this.cur = Buffer.allocUnsafe(Math.max(256, n))
    this.off = 0
  }
  u8(v: number): void {
    this.ensure(1)
    this.cur[this.off++] = v
  }
  u32(v: number): void {
    this.ensure(4)
    this.cur.writeUInt32LE(v, this.off)
    this.off += 4
  }
  f64(v: number): void {
    this.ensure(8)
    this.cur.writeDoubleLE(v, this.off)
    this.off += 8
  }
  id(v: string): void {
    const [lo, hi] = idHalves(v)
    this.ensure(8)
    this.cur.writeUInt32LE(lo, this.off)
    this.cur.writeUInt32LE(hi, this.off + 4)
    this.off += 8
  }
  bytes(b: Uint8Array): void {
    this.u32(b.byteLength)
    if (b.byteLength > 64) {
      this.parts.push(this.cur.subarray(0, this.off))
      this.parts.push(Buffer.from(b.buffer, b.byteOffset, b.byteLength))
      this.cur = Buffer.allocUnsafe(256)
      this.off = 0
      return
    }
    this.ensure(b.byteLength)
    this.cur.set(b, this.off)
    this.off += b.byteLength
  }
  finish(): Buffer {
    this.parts.push(this.cur.subarray(0, this.off))
    return this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts)
  }
}

/** A peer's bytes are untrusted: every read is bounds-checked and every number checked for sense. */
export class MalformedMessage extends Error {}

class Reader {
  off = 0
  constructor(private readonly b: Buffer) {}
  private need(n: number): void {
    if (this.off + n > this.b.length) throw new MalformedMessage(`truncated at byte ${this.off} (${n} more needed, ${this.b.length - this.off} left)`)
  }
  u8(): number {
    this.need(1)
    return this.b[this.off++]!
  }
  u32(): number {
    this.need(4)
    const v = this.b.readUInt32LE(this.off)
    this.off += 4
    return v
  }
  /** A Raft term or index: a whole number that a float64 holds exactly. */
  index(what: string): number {
    this.need(8)
    const v = this.b.readDoubleLE(this.off)
    this.off += 8
    if (!Number.isSafeInteger(v) || v < 0) throw new MalformedMessage(`${what} ${v} is not a log position`)
    return v
  }
  id(): string {
    this.need(8)
    const id = idFromHalves(this.b.readUInt32LE(this.off), this.b.readUInt32LE(this.off + 4))
    this.off += 8
    return id
  }
  bytes(): Uint8Array {
    const n = this.u32()
    this.need(n)
    const v = this.b.subarray(this.off, this.off + n)
    this.off += n
    return v
  }
  /** A count of items that each take at least `minBytes`: more than the bytes left cannot be. */
  count(minBytes: number, what: string): number {
    const n = this.u32()
    if (n * minBytes > this.b.length - this.off) throw new MalformedMessage(`${n} ${what} cannot fit in ${this.b.length - this.off} bytes`)
    return n
  }
  end(): void {
    if (this.off !== this.b.length) throw new MalformedMessage(`${this.b.length - this.off} bytes after the message`)
  }
}

function writeConfState(w: Writer, c: ConfState): void {
  w.u32(c.voters.length)
  for (const v of c.voters) w.id(v)
  w.u32(c.learners.length)
  for (const v of c.learners) w.id(v)
}

function readConfState(r: Reader): ConfState {
  const voters: string[] = []
  for (let n = r.count(8, 'voters'); n > 0; n--) voters.push(r.id())
  const learners: string[] = []
  for (let n = r.count(8, 'learners'); n > 0; n--) learners.push(r.id())
  return { voters, learners }
}

/** Message types a member handles only from itself (ticks, local reports): never from the network. */
const LOCAL_ONLY = new Set<string>([MessageType.Hup, MessageType.Beat, MessageType.CheckQuorum, MessageType.Unreachable, MessageType.SnapStatus])
const ENTRY_TYPES = new Set<number>(Object.values(EntryType))

export function encodeMessage(m: Message): Buffer {
  const w = new Writer()
  w.u8(VERSION)
  w.u8(TYPES.indexOf(m.type))
  w.id(m.to)
  w.id(m.from)
  w.f64(m.term)
  w.f64(m.logTerm)
  w.f64(m.index)
  w.f64(m.commit)
  w.u8(m.reject ? 1 : 0)
  w.f64(m.rejectHint)
  if (m.context) {
    w.u8(1)
    w.bytes(m.context)
  } else w.u8(0)
  w.u32(m.entries.length)
  for (const e of m.entries) {
    w.f64(e.term)
    w.f64(e.index)
    w.u8(e.type)
    w.bytes(e.data)
  }
  if (m.snapshot) {
    w.u8(1)
    w.f64(m.snapshot.metadata.index)
    w.f64(m.snapshot.metadata.term)
    writeConfState(w, m.snapshot.metadata.confState)
    w.bytes(m.snapshot.data)
  } else w.u8(0)
  return w.finish()
}

/**
 * Decodes one message from a peer. Throws MalformedMessage for anything that is not a whole,
 * well-formed message of a type peers exchange: the caller drops it with a log line.
 */
export function decodeMessage(b: Buffer): Message {
  const r = new Reader(b)
  const version = r.u8()
  if (version !== VERSION) throw new MalformedMessage(`unknown message version ${version}`)
  const typeIndex = r.u8()
  const type = TYPES[typeIndex] as Message['type'] | undefined
  if (type === undefined || LOCAL_ONLY.has(type)) throw new MalformedMessage(`message type ${type ?? typeIndex} is not sent between members`)
  const to = r.id()
  const from = r.id()
  const term = r.index('term')
  const logTerm = r.index('log term')
  const index = r.index('index')
  const commit = r.index('commit')
  const reject = flag(r.u8(), 'reject')
  const rejectHint = r.index('reject hint')
  const context = flag(r.u8(), 'context') ? Buffer.from(r.bytes()) : null
  const entries: Entry[] = []
  // An entry takes at least 21 bytes: term, index, type and an empty data length.
  for (let n = r.count(21, 'entries'); n > 0; n--) {
    const eTerm = r.index('entry term')
    const eIndex = r.index('entry index')
    const eType = r.u8()
    if (!ENTRY_TYPES.has(eType)) throw new MalformedMessage(`unknown entry type ${eType}`)
    entries.push({ term: eTerm, index: eIndex, type: eType as Entry['type'], data: Buffer.from(r.bytes()) })
  }
  let snapshot: Snapshot | null = null
  if (flag(r.u8(), 'snapshot')) {
    const index2 = r.index('snapshot index')
    const term2 = r.index('snapshot term')
    const confState = readConfState(r)
    snapshot = { metadata: { index: index2, term: term2, confState }, data: Buffer.from(r.bytes()) }
  }
  r.end()
  return { type, to, from, term, logTerm, index, entries, commit, reject, rejectHint, context, snapshot }
}

function flag(v: number, what: string): boolean {
  if (v > 1) throw new MalformedMessage(`${what} flag is ${v}`)
  return v === 1
}
