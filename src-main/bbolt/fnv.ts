// FNV-1a 64-bit, the checksum bbolt stores in each meta page. Only 56 bytes are ever
// hashed, so two 32-bit halves (avoiding BigInt in the loop) are plenty fast.

const PRIME_LO = 0x01b3 // 64-bit FNV prime is 0x00000100_000001b3
const OFFSET_HI = 0xcbf29ce4
const OFFSET_LO = 0x84222325

export function fnv1a64(bytes: Uint8Array): bigint {
  let hi = OFFSET_HI
  let lo = OFFSET_LO
  for (let i = 0; i < bytes.length; i++) {
    lo ^= bytes[i]!
    // (hi:lo) * (0x100:0x1b3) mod 2^64, done in 16-bit pieces of lo to stay exact.
    const loLow = lo & 0xffff
    const loHigh = lo >>> 16
    const a = loLow * PRIME_LO
    const b = loHigh * PRIME_LO + (a >>> 16)
    const newLo = ((b & 0xffff) << 16) | (a & 0xffff)
    const carry = Math.floor(b / 0x10000)
    // hi*0x1b3 + lo*0x100 (the 2^40 part lands in hi as lo<<8) + carry
    const newHi = (Math.imul(hi, PRIME_LO) + Math.imul(lo, 0x100) + carry) | 0
    lo = newLo >>> 0
    hi = newHi >>> 0
  }
  return (BigInt(hi) << 32n) | BigInt(lo)
}
