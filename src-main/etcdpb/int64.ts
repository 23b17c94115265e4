/**
 * Quicker decimal conversions for protobufjs's 64-bit integers.
 *
 * Messages carry every int64/uint64 as a decimal string (`longs: String`, see load.ts). protobufjs
 * turns such a string into bits with long.js's `Long.fromString`, and bits back into a string with
 * `Long.prototype.toString`. Both work in 24-bit pieces and make a new Long for every step. A put
 * made about a dozen of these conversions on the leader (the request ID, the proposer and the auth
 * revision of the proposal, the response header), and they were about an eighth of what the leader
 * allocated per put.
 *
 * Those two functions, and protobufjs's `LongBits.from` (which the encoders call for every 64-bit
 * field, and which went through a Long), are replaced, once, by versions that give the same result
 * for every input:
 * - a decimal string of up to 20 digits is parsed with Number (up to 15 characters, always exact) or
 *   BigInt, reduced modulo 2^64 as long.js does;
 * - a value whose magnitude is below 2^53 is printed with String(number); a larger one through BigInt.
 * Anything else (another radix, a sign or character long.js treats its own way) goes to the originals.
 * test/unit/rpc/int64.test.ts compares all three with the originals on random and edge values.
 */
import protobuf from 'protobufjs'

interface LongLike {
  low: number
  high: number
  unsigned: boolean
}
interface LongBitsClass {
  new (lo: number, hi: number): { lo: number; hi: number }
  from(value: unknown): { lo: number; hi: number }
  zero: { lo: number; hi: number }
}
interface LongClass {
  fromString(str: string, unsigned?: boolean | number, radix?: number): LongLike
  fromBits(low: number, high: number, unsigned?: boolean): LongLike
  prototype: { toString(this: LongLike, radix?: number): string }
}

const TWO_32 = 4294967296
/** A decimal integer of up to 20 digits, which the quick paths take. */
export const DECIMAL = /^-?\d{1,20}$/

/** long.js's own conversions, kept for the inputs the quick paths leave to them (and for the test). */
export const longJs: { fromString?: LongClass['fromString']; toString?: LongClass['prototype']['toString']; bitsFrom?: LongBitsClass['from'] } = {}

/** Two 32-bit halves of 64-bit two's complement. */
export interface Bits {
  lo: number
  hi: number
}

/** A safe integer as two 32-bit halves (two's complement for a negative one). */
export function numberBits(n: number): Bits {
  return { lo: n >>> 0, hi: Math.floor(n / TWO_32) >>> 0 }
}

/** A bigint as two 32-bit halves, modulo 2^64 (as long.js wraps). */
export function bigintBits(v: bigint): Bits {
  const u = BigInt.asUintN(64, v)
  return { lo: Number(u & 0xffffffffn), hi: Number(u >> 32n) }
}

/** A decimal string of up to 20 digits (DECIMAL) as two 32-bit halves, modulo 2^64. */
export function decimalBits(str: string): Bits {
  // Up to 15 characters is below 2^53: exact as a double.
  return str.length <= 15 ? numberBits(Number(str)) : bigintBits(BigInt(str))
}

export function installInt64FastPaths(): void {
  const Long = protobuf.util.Long as unknown as LongClass | undefined
  if (!Long || longJs.fromString) return
  const fromString = Long.fromString
  const toString = Long.prototype.toString
  longJs.fromString = fromString
  longJs.toString = toString

  Long.fromString = function quickFromString(str: string, unsigned?: boolean | number, radix?: number): LongLike {
    let u = unsigned
    let r = radix
    if (typeof u === 'number') {
      r = u
      u = false
    }
    if ((r === undefined || r === 10) && typeof str === 'string' && DECIMAL.test(str)) {
      const b = decimalBits(str)
      return Long.fromBits(b.lo | 0, b.hi | 0, !!u)
    }
    return fromString.call(Long, str, unsigned, radix)
  }

  // What the encoders call for every 64-bit field: straight from a decimal string to the bits,
  // without the Long in between. (The writers change the bits they get, so each call makes new ones.)
  const LongBits = protobuf.util.LongBits as unknown as LongBitsClass
  const bitsFrom = LongBits.from
  longJs.bitsFrom = bitsFrom
  LongBits.from = function quickBitsFrom(value: unknown): { lo: number; hi: number } {
    if (typeof value === 'string' && DECIMAL.test(value)) {
      const b = decimalBits(value)
      return b.lo === 0 && b.hi === 0 ? LongBits.zero : new LongBits(b.lo, b.hi)
    }
    return bitsFrom(value)
  }

  Long.prototype.toString = function quickToString(this: LongLike, radix?: number): string {
    if (radix === undefined || radix === 10) {
      const hi = this.high
      const lo = this.low >>> 0
      // |value| < 2^53: hi * 2^32 + lo is exact as a double.
      if (this.unsigned ? hi >= 0 && hi < 0x200000 : hi >= -0x200000 && hi < 0x200000) return String(hi * TWO_32 + lo)
      const bits = (BigInt(hi >>> 0) << 32n) | BigInt(lo)
      return (this.unsigned ? bits : BigInt.asIntN(64, bits)).toString()
    }
    return toString.call(this, radix)
  }
}
