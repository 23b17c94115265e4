/**
 * bcrypt, as etcd stores passwords (`$2a$10$…`, Go's golang.org/x/crypto/bcrypt): the textbook
 * EksBlowfish, for new hashes (--bcrypt-cost) and for checking them, including hashes from a real
 * etcd snapshot. The async forms cut the work into slices so a hash never blocks the event loop.
 *
 * Blowfish's initial P-array and S-boxes are the hexadecimal digits of π's fractional part.
 * Rather than carry 4 KiB of constants, they are computed once (Machin's formula in BigInt fixed
 * point, tens of milliseconds, in slices like the hash itself) the first time a bcrypt hash is
 * checked.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'

const WORDS = 18 + 4 * 256

let piWords: Uint32Array | undefined
/** The computation under way, shared: checks that start together step one series, not one each. */
let piUnderWay: Generator<void, Uint32Array> | undefined

/**
 * The first `WORDS` 32-bit words of π's fractional part in hex: 243f6a88 85a308d3 …, in steps: it
 * yields every few dozen terms of the series, so the async hash spreads this one-time work over
 * turns of the event loop too (at once, it held a member's thread for 40–90 ms on these machines).
 * Every caller advances the same computation.
 */
export function* blowfishConstantsSteps(): Generator<void, Uint32Array> {
  for (;;) {
    if (piWords) return piWords
    piUnderWay ??= piSeries()
    const r = piUnderWay.next()
    if (r.done) {
      piWords = r.value
      piUnderWay = undefined
      return r.value
    }
    yield
  }
}

function* piSeries(): Generator<void, Uint32Array> {
  const bits = BigInt(WORDS * 32 + 64)
  const one = 1n << bits
  // arctan(1/x) in fixed point: sum of (-1)^k / ((2k+1) x^(2k+1)).
  function* arctanInv(x: bigint): Generator<void, bigint> {
    const x2 = x * x
    let power = one / x
    let sum = power
    for (let k = 1n; power !== 0n; k++) {
      power /= x2
      const term = power / (2n * k + 1n)
      sum = k % 2n ? sum - term : sum + term
      if (k % 64n === 0n) yield
    }
    return sum
  }
  const pi = 16n * (yield* arctanInv(5n)) - 4n * (yield* arctanInv(239n))
  const frac = pi & (one - 1n)
  const out = new Uint32Array(WORDS)
  for (let i = 0; i < WORDS; i++) out[i] = Number((frac >> (bits - 32n * BigInt(i + 1))) & 0xffffffffn)
  return out
}

/**
 * Blowfish state as bcrypt uses it. Words live in Int32Arrays and every sum is truncated with `| 0`,
 * so V8 keeps the hot loop in 32-bit integers (a Uint32Array's values above 2^31 become doubles).
 */
class Blowfish {
  readonly p: Int32Array
  readonly s: Int32Array
  /** The block being encrypted. */
  l = 0
  r = 0

  /** `c`: the constants from blowfishConstantsSteps. */
  constructor(c: Uint32Array) {
    this.p = new Int32Array(c.buffer.slice(0, 18 * 4))
    this.s = new Int32Array(c.buffer.slice(18 * 4))
  }

  /**
   * Encrypts the block (l, r) in place. F is written out inline: this loop runs about a million
   * times for a cost-10 hash.
   */
  encrypt(): void {
    const p = this.p
    const s = this.s
    let l = this.l ^ p[0]!
    let r = this.r
    for (let i = 1; i <= 16; i += 2) {
      r ^= ((((s[l >>> 24]! + s[256 | ((l >>> 16) & 0xff)]!) | 0) ^ s[512 | ((l >>> 8) & 0xff)]!) + s[768 | (l & 0xff)]!) ^ p[i]!
      l ^= ((((s[r >>> 24]! + s[256 | ((r >>> 16) & 0xff)]!) | 0) ^ s[512 | ((r >>> 8) & 0xff)]!) + s[768 | (r & 0xff)]!) ^ p[i + 1]!
    }
    this.l = r ^ p[17]!
    this.r = l
  }

  /** bcrypt's ExpandKey: key into P, then re-encrypt P and S mixing in the salt (none for expand0). */
  expand(key: Uint8Array, salt: Uint8Array | null): void {
    let j = 0
    const p = this.p
    for (let i = 0; i < 18; i++) {
      let w = 0
      for (let k = 0; k < 4; k++) {
        w = (w << 8) | key[j]!
        j = (j + 1) % key.length
      }
      p[i] = p[i]! ^ w
    }
    // The salt is 16 bytes: four words, used in turn across P and then S.
    let s0 = 0
    let s1 = 0
    let s2 = 0
    let s3 = 0
    if (salt) {
      s0 = (salt[0]! << 24) | (salt[1]! << 16) | (salt[2]! << 8) | salt[3]!
      s1 = (salt[4]! << 24) | (salt[5]! << 16) | (salt[6]! << 8) | salt[7]!
      s2 = (salt[8]! << 24) | (salt[9]! << 16) | (salt[10]! << 8) | salt[11]!
      s3 = (salt[12]! << 24) | (salt[13]! << 16) | (salt[14]! << 8) | salt[15]!
    }
    this.l = 0
    this.r = 0
    let c = 0
    const fill = (arr: Int32Array): void => {
      for (let i = 0; i < arr.length; i += 2) {
        if (salt) {
          this.l ^= c === 0 ? s0 : s2
          this.r ^= c === 0 ? s1 : s3
          c ^= 1
        }
        this.encrypt()
        arr[i] = this.l
        arr[i + 1] = this.r
      }
    }
    fill(p)
    fill(this.s)
  }
}

const ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
const INDEX = new Map([...ALPHABET].map((c, i) => [c, i]))

/** bcrypt's base64 (own alphabet, no padding). */
function decode64(s: string, bytes: number): Uint8Array | undefined {
  const out = new Uint8Array(bytes)
  let bitBuf = 0
  let bitLen = 0
  let n = 0
  for (const ch of s) {
    const v = INDEX.get(ch)
    if (v === undefined) return undefined
    bitBuf = (bitBuf << 6) | v
    bitLen += 6
    if (bitLen >= 8) {
      bitLen -= 8
      if (n < bytes) out[n++] = (bitBuf >> bitLen) & 0xff
    }
  }
  return n === bytes ? out : undefined
}

function encode64(b: Uint8Array): string {
  let out = ''
  let bitBuf = 0
  let bitLen = 0
  for (const byte of b) {
    bitBuf = (bitBuf << 8) | byte
    bitLen += 8
    while (bitLen >= 6) {
      bitLen -= 6
      out += ALPHABET[(bitBuf >> bitLen) & 0x3f]
    }
    bitBuf &= (1 << bitLen) - 1
  }
  if (bitLen > 0) out += ALPHABET[(bitBuf << (6 - bitLen)) & 0x3f]
  return out
}

const HASH_RE = /^\$2([abxy]?)\$(\d\d)\$([./A-Za-z0-9]{22})([./A-Za-z0-9]{31})$/

export function isBcryptHash(stored: string): boolean {
  return HASH_RE.test(stored)
}

/**
 * EksBlowfish for `password` with `cost` and `salt`, in steps: it yields every few rounds so a
 * caller can spread one hash over many turns of the event loop (see bcryptHashPartAsync). Returns
 * the 31-character hash part.
 */
function* eksSteps(password: string, cost: number, salt: Uint8Array): Generator<void, string> {
  // Go's bcrypt keys with the password bytes plus a terminating NUL; Blowfish uses at most 72 of them.
  const pw = Buffer.from(password, 'utf8')
  const key = new Uint8Array(pw.length + 1)
  key.set(pw)
  const bf = new Blowfish(yield* blowfishConstantsSteps())
  bf.expand(key, salt)
  const rounds = 2 ** cost
  for (let i = 0; i < rounds; i++) {
    bf.expand(key, null)
    bf.expand(salt, null)
    if ((i & 3) === 3) yield
  }
  const text = Buffer.from('OrpheanBeholderScryDoubt')
  const words = new Int32Array(6)
  for (let i = 0; i < 6; i++) words[i] = text.readInt32BE(4 * i)
  for (let i = 0; i < 64; i++) {
    for (let j = 0; j < 6; j += 2) {
      bf.l = words[j]!
      bf.r = words[j + 1]!
      bf.encrypt()
      words[j] = bf.l
      words[j + 1] = bf.r
    }
  }
  const out = Buffer.alloc(24)
  for (let i = 0; i < 6; i++) out.writeInt32BE(words[i]!, 4 * i)
  return encode64(out.subarray(0, 23))
}

/** The 31-character hash part for `password` with `cost` and `salt`, computed at once. */
export function bcryptHashPart(password: string, cost: number, salt: Uint8Array): string {
  const steps = eksSteps(password, cost, salt)
  for (;;) {
    const r = steps.next()
    if (r.done) return r.value
  }
}

/**
 * The same, in slices of about `sliceMs` with a turn of the event loop between them: a cost-10
 * hash takes a few hundred milliseconds of JavaScript, which must not stall the Raft loop that
 * shares the thread (heartbeats, appends, reads) nor any other request.
 */
export async function bcryptHashPartAsync(password: string, cost: number, salt: Uint8Array, sliceMs = 3): Promise<string> {
  const steps = eksSteps(password, cost, salt)
  for (;;) {
    const t0 = performance.now()
    let r = steps.next()
    while (!r.done && performance.now() - t0 < sliceMs) r = steps.next()
    if (r.done) return r.value
    await new Promise<void>((resolve) => setImmediate(resolve))
  }
}

/** etcd's bounds for --bcrypt-cost (Go's bcrypt.MinCost and MaxCost). */
export const BCRYPT_MIN_COST = 4
export const BCRYPT_MAX_COST = 31
export const BCRYPT_DEFAULT_COST = 10

/** A new `$2a$` hash as Go's bcrypt.GenerateFromPassword makes it, without blocking the event loop. */
export async function bcryptHash(password: string, cost: number): Promise<string> {
  const salt = randomBytes(16)
  const part = await bcryptHashPartAsync(password, cost, salt)
  return `$2a$${String(cost).padStart(2, '0')}$${encode64(salt).slice(0, 22)}${part}`
}

function parseHash(stored: string): { cost: number; salt: Uint8Array; want: string } | undefined {
  const m = HASH_RE.exec(stored)
  if (!m) return undefined
  const cost = Number(m[2])
  if (cost < BCRYPT_MIN_COST || cost > BCRYPT_MAX_COST) return undefined
  const salt = decode64(m[3]!, 16)
  if (!salt) return undefined
  return { cost, salt, want: m[4]! }
}

const sameText = (a: string, b: string): boolean => {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/** Does `password` match the bcrypt hash `stored` (etcd's CompareHashAndPassword), without blocking the event loop? */
export async function bcryptVerifyAsync(stored: string, password: string): Promise<boolean> {
  const h = parseHash(stored)
  if (!h) return false
  return sameText(await bcryptHashPartAsync(password, h.cost, h.salt), h.want)
}

/** Does `password` match the bcrypt hash `stored` (as etcd's CompareHashAndPassword)? Blocks while it computes. */
export function bcryptVerify(stored: string, password: string): boolean {
  const h = parseHash(stored)
  if (!h) return false
  return sameText(bcryptHashPart(password, h.cost, h.salt), h.want)
}
