// Little-endian and big-endian integer helpers over Uint8Array, plus byte ordering.
// Page ids and counts are u64 on disk but always far below 2^53 in a real file, so they
// are carried as numbers; values that can really use 64 bits (ids, revisions) use bigint.

export function u16le(b: Uint8Array, off: number): number {
  return b[off]! | (b[off + 1]! << 8)
}

export function u32le(b: Uint8Array, off: number): number {
  return (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24)) >>> 0
}

/** u64 as a number; exact below 2^53, which covers every page id and offset we can address. */
export function u64le(b: Uint8Array, off: number): number {
  return u32le(b, off) + u32le(b, off + 4) * 0x1_0000_0000
}

export function u64leBig(b: Uint8Array, off: number): bigint {
  return (BigInt(u32le(b, off + 4)) << 32n) | BigInt(u32le(b, off))
}

export function putU16le(b: Uint8Array, off: number, v: number): void {
  b[off] = v & 0xff
  b[off + 1] = (v >>> 8) & 0xff
}

export function putU32le(b: Uint8Array, off: number, v: number): void {
  b[off] = v & 0xff
  b[off + 1] = (v >>> 8) & 0xff
  b[off + 2] = (v >>> 16) & 0xff
  b[off + 3] = (v >>> 24) & 0xff
}

export function putU64le(b: Uint8Array, off: number, v: number | bigint): void {
  const big = BigInt.asUintN(64, BigInt(v))
  putU32le(b, off, Number(big & 0xffff_ffffn))
  putU32le(b, off + 4, Number(big >> 32n))
}

const u32be = (b: Uint8Array, off: number): number => ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0

export function u64beBig(b: Uint8Array, off: number): bigint {
  const hi = u32be(b, off)
  const lo = u32be(b, off + 4)
  // Most values (revisions, indexes) fit in 53 bits: one BigInt conversion instead of two shifts.
  if (hi < 0x20_0000) return BigInt(hi * 0x1_0000_0000 + lo)
  return (BigInt(hi) << 32n) | BigInt(lo)
}

export function putU64be(b: Uint8Array, off: number, v: bigint): void {
  let x = BigInt.asUintN(64, v)
  for (let i = 7; i >= 0; i--) {
    b[off + i] = Number(x & 0xffn)
    x >>= 8n
  }
}

/** memcmp order, the order bbolt keeps keys in. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!
    if (d !== 0) return d
  }
  return a.length - b.length
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()
export const utf8 = (s: string): Uint8Array => encoder.encode(s)
export const fromUtf8 = (b: Uint8Array): string => decoder.decode(b)

export function toHex(b: Uint8Array): string {
  let s = ''
  for (let i = 0; i < b.length; i++) s += b[i]!.toString(16).padStart(2, '0')
  return s
}
