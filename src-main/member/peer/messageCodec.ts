/**
 * Binary encoding of Raft messages between members (our own format, versioned by its first
 * byte). Numbers that are Raft terms and indexes are written as float64: exact up to 2^53,
 * which no log reaches; member IDs are uint64.
 */
import { MessageType, type ConfState, type Entry, type Message, type Snapshot } from '../../raft/index'

const VERSION = 1
const TYPES = Object.values(MessageType) as string[]

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
    this.ensure(8)
    this.cur.writeBigUInt64LE(BigInt(v), this.off)
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

class Reader {
  off = 0
  constructor(private readonly b: Buffer) {}
  u8(): number {
    return this.b[this.off++]!
  }
  u32(): number {
    const v = this.b.readUInt32LE(this.off)
    this.off += 4
    return v
  }
  f64(): number {
    const v = this.b.readDoubleLE(this.off)
    this.off += 8
    return v
  }
  id(): string {
    const v = this.b.readBigUInt64LE(this.off)
    this.off += 8
    return v.toString()
  }
  bytes(): Uint8Array {
    const n = this.u32()
    const v = this.b.subarray(this.off, this.off + n)
    this.off += n
    return v
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
  for (let n = r.u32(); n > 0; n--) voters.push(r.id())
  const learners: string[] = []
  for (let n = r.u32(); n > 0; n--) learners.push(r.id())
  return { voters, learners }
}

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

export function decodeMessage(b: Buffer): Message {
  const r = new Reader(b)
  if (r.u8() !== VERSION) throw new Error('peer: unknown message version')
  const type = TYPES[r.u8()] as Message['type']
  const to = r.id()
  const from = r.id()
  const term = r.f64()
  const logTerm = r.f64()
  const index = r.f64()
  const commit = r.f64()
  const reject = r.u8() === 1
  const rejectHint = r.f64()
  const context = r.u8() === 1 ? Buffer.from(r.bytes()) : null
  const entries: Entry[] = []
  for (let n = r.u32(); n > 0; n--) {
    const eTerm = r.f64()
    const eIndex = r.f64()
    const eType = r.u8() as Entry['type']
    entries.push({ term: eTerm, index: eIndex, type: eType, data: Buffer.from(r.bytes()) })
  }
  let snapshot: Snapshot | null = null
  if (r.u8() === 1) {
    const index2 = r.f64()
    const term2 = r.f64()
    const confState = readConfState(r)
    snapshot = { metadata: { index: index2, term: term2, confState }, data: Buffer.from(r.bytes()) }
  }
  return { type, to, from, term, logTerm, index, entries, commit, reject, rejectHint, context, snapshot }
}
