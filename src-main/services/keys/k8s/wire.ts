// A protobuf wire-format reader: just enough to walk fields of Kubernetes objects by number. It never
// throws on hostile input without saying where (values come from a cluster we do not control).

export const WireType = { Varint: 0, Fixed64: 1, Bytes: 2, Fixed32: 5 } as const
export type WireType = 0 | 1 | 2 | 3 | 4 | 5

export interface WireField {
  no: number
  wire: WireType
  /** Varint values as bigint (64-bit safe). */
  varint?: bigint
  bytes?: Uint8Array
  /** The raw 8 or 4 bytes of a fixed field. */
  fixed?: Uint8Array
}

export class WireError extends Error {}

export function readVarint(buf: Uint8Array, pos: number): [bigint, number] {
  let result = 0n
  let shift = 0n
  for (let i = 0; i < 10; i++) {
    if (pos >= buf.length) throw new WireError(`truncated varint at byte ${pos}`)
    const b = buf[pos++]!
    result |= BigInt(b & 0x7f) << shift
    if ((b & 0x80) === 0) return [result, pos]
    shift += 7n
  }
  throw new WireError(`varint longer than 10 bytes at byte ${pos}`)
}

/** Every field of one message, in wire order. Throws WireError when the bytes are not a message. */
export function readFields(buf: Uint8Array): WireField[] {
  const out: WireField[] = []
  let pos = 0
  while (pos < buf.length) {
    const [tag, p] = readVarint(buf, pos)
    pos = p
    const no = Number(tag >> 3n)
    const wire = Number(tag & 7n) as WireType
    if (no < 1 || no > 536_870_911) throw new WireError(`invalid field number ${no}`)
    switch (wire) {
      case WireType.Varint: {
        const [v, q] = readVarint(buf, pos)
        pos = q
        out.push({ no, wire, varint: v })
        break
      }
      case WireType.Fixed64:
        if (pos + 8 > buf.length) throw new WireError('truncated fixed64')
        out.push({ no, wire, fixed: buf.subarray(pos, pos + 8) })
        pos += 8
        break
      case WireType.Fixed32:
        if (pos + 4 > buf.length) throw new WireError('truncated fixed32')
        out.push({ no, wire, fixed: buf.subarray(pos, pos + 4) })
        pos += 4
        break
      case WireType.Bytes: {
        const [len, q] = readVarint(buf, pos)
        const end = q + Number(len)
        if (len > BigInt(buf.length) || end > buf.length) throw new WireError(`field ${no} runs past the end`)
        out.push({ no, wire, bytes: buf.subarray(q, end) })
        pos = end
        break
      }
      default:
        throw new WireError(`unsupported wire type ${wire} (field ${no})`)
    }
  }
  return out
}

/** A 64-bit integer as a JS number when exact, else as a decimal string. */
export function intValue(v: bigint, signed: boolean): number | string {
  const n = signed ? BigInt.asIntN(64, v) : BigInt.asUintN(64, v)
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString()
}
