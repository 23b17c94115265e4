// A minimal protobuf wire codec: varints and length-delimited fields are all etcd's
// stored messages use (mvccpb, leasepb, authpb, etcdserverpb.AlarmMember). 64-bit
// integers are bigint so ids and revisions never lose precision.

export const WireType = { varint: 0, fixed64: 1, bytes: 2, fixed32: 5 } as const

export class ProtoWriter {
  private chunks: number[] = []
  private parts: Uint8Array[] = []

  private flush(): void {
    if (this.chunks.length) {
      this.parts.push(Uint8Array.from(this.chunks))
      this.chunks = []
    }
  }

  private varint(v: bigint): void {
    let x = BigInt.asUintN(64, v)
    while (x >= 0x80n) {
      this.chunks.push(Number(x & 0x7fn) | 0x80)
      x >>= 7n
    }
    this.chunks.push(Number(x))
  }

  private tag(field: number, wire: number): void {
    this.varint(BigInt((field << 3) | wire))
  }

  /** Writes an integer field, skipping zero as proto3 does for scalar defaults. */
  int(field: number, v: bigint | number): this {
    const b = BigInt(v)
    if (b === 0n) return this
    this.tag(field, WireType.varint)
    this.varint(b)
    return this
  }

  /** Writes a bytes/string field, skipping empty values (proto3 default). */
  bytes(field: number, v: Uint8Array | string): this {
    const b = typeof v === 'string' ? new TextEncoder().encode(v) : v
    if (b.length === 0) return this
    return this.bytesAlways(field, b)
  }

  /** Writes a bytes field even when empty: repeated elements must keep empty entries. */
  bytesAlways(field: number, b: Uint8Array): this {
    this.tag(field, WireType.bytes)
    this.varint(BigInt(b.length))
    this.flush()
    this.parts.push(b)
    return this
  }

  finish(): Uint8Array {
    this.flush()
    let n = 0
    for (const p of this.parts) n += p.length
    const out = new Uint8Array(n)
    let off = 0
    for (const p of this.parts) {
      out.set(p, off)
      off += p.length
    }
    return out
  }
}

export type ProtoField =
  | { field: number; wire: typeof WireType.varint; int: bigint }
  | { field: number; wire: typeof WireType.bytes; bytes: Uint8Array }
  | { field: number; wire: typeof WireType.fixed64 | typeof WireType.fixed32; raw: Uint8Array }

export class ProtoDecodeError extends Error {}

// Position after the last varint read by readVarintAt. Module state instead of a closure
// or a returned tuple: this runs once per field of every record in a large snapshot.
let varintEnd = 0

function readVarintAt(buf: Uint8Array, start: number): bigint {
  // Plain numbers for the first 7 bytes (49 bits): revisions, lengths and tags all fit,
  // and BigInt arithmetic per byte would dominate decoding a large db.
  let pos = start
  let low = 0
  let mult = 1
  for (let i = 0; i < 7; i++) {
    if (pos >= buf.length) throw new ProtoDecodeError('truncated varint')
    const byte = buf[pos++]!
    low += (byte & 0x7f) * mult
    if ((byte & 0x80) === 0) {
      varintEnd = pos
      return BigInt(low)
    }
    mult *= 128
  }
  let result = BigInt(low)
  let shift = 49n
  for (let i = 7; i < 10; i++) {
    if (pos >= buf.length) throw new ProtoDecodeError('truncated varint')
    const byte = buf[pos++]!
    result |= BigInt(byte & 0x7f) << shift
    if ((byte & 0x80) === 0) {
      varintEnd = pos
      return BigInt.asUintN(64, result)
    }
    shift += 7n
  }
  throw new ProtoDecodeError('varint longer than 10 bytes')
}

/** Small varints (tags, lengths) as numbers; throws above 2^49, which no tag or length in a db reaches. */
function readSmallVarintAt(buf: Uint8Array, start: number): number {
  let pos = start
  let v = 0
  let mult = 1
  for (let i = 0; i < 7; i++) {
    if (pos >= buf.length) throw new ProtoDecodeError('truncated varint')
    const byte = buf[pos++]!
    v += (byte & 0x7f) * mult
    if ((byte & 0x80) === 0) {
      varintEnd = pos
      return v
    }
    mult *= 128
  }
  throw new ProtoDecodeError('tag or length varint is implausibly large')
}

/** Decodes every field of a message, in order; unknown fields are returned too. */
export function decodeFields(buf: Uint8Array): ProtoField[] {
  const out: ProtoField[] = []
  let pos = 0
  while (pos < buf.length) {
    const key = readSmallVarintAt(buf, pos)
    pos = varintEnd
    const field = Math.floor(key / 8)
    const wire = key % 8
    if (field === 0) throw new ProtoDecodeError('field number 0')
    switch (wire) {
      case WireType.varint:
        out.push({ field, wire, int: readVarintAt(buf, pos) })
        pos = varintEnd
        break
      case WireType.bytes: {
        const len = readSmallVarintAt(buf, pos)
        pos = varintEnd
        if (pos + len > buf.length) throw new ProtoDecodeError(`field ${field} length ${len} runs past the message`)
        out.push({ field, wire, bytes: buf.subarray(pos, pos + len) })
        pos += len
        break
      }
      case WireType.fixed64:
      case WireType.fixed32: {
        const len = wire === WireType.fixed64 ? 8 : 4
        if (pos + len > buf.length) throw new ProtoDecodeError(`field ${field} runs past the message`)
        out.push({ field, wire, raw: buf.subarray(pos, pos + len) })
        pos += len
        break
      }
      default:
        throw new ProtoDecodeError(`unsupported wire type ${wire} for field ${field}`)
    }
  }
  return out
}

export const asInt64 = (v: bigint): bigint => BigInt.asIntN(64, v)
