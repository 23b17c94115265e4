/**
 * bcrypt password checks, for users restored from a real etcd snapshot: etcd stores bcrypt hashes
 * (`$2a$10$…`, Go's golang.org/x/crypto/bcrypt) while our members hash new passwords with scrypt.
 * Only verification is needed, so this is the textbook EksBlowfish, verify-only.
 *
 * Blowfish's initial P-array and S-boxes are the hexadecimal digits of π's fractional part.
 * Rather than carry 4 KiB of constants, they are computed once (Machin's formula in BigInt fixed
 * point, well under 100 ms) the first time a bcrypt hash is checked.
 */
import { timingSafeEqual } from 'node:crypto'

const WORDS = 18 + 4 * 256

let piWords: Uint32Array | undefined

/** The first `WORDS` 32-bit words of π's fractional part in hex: 243f6a88 85a308d3 … */
function blowfishConstants(): Uint32Array {
  if (piWords) return piWords
  const bits = BigInt(WORDS * 32 + 64)
  const one = 1n << bits
  // arctan(1/x) in fixed point: sum of (-1)^k / ((2k+1) x^(2k+1)).
  const arctanInv = (x: bigint): bigint => {
    const x2 = x * x
    let power = one / x
    let sum = power
    for (let k = 1n; power !== 0n; k++) {
      power /= x2
      const term = power / (2n * k + 1n)
      sum = k % 2n ? sum - term : sum + term
    }
    return sum
  }
  const pi = 16n * arctanInv(5n) - 4n * arctanInv(239n)
  const frac = pi & (one - 1n)
  const out = new Uint32Array(WORDS)
  for (let i = 0; i < WORDS; i++) out[i] = Number((frac >> (bits - 32n * BigInt(i + 1))) & 0xffffffffn)
  piWords = out
  return out
}

class Blowfish {
  readonly p: Uint32Array
  readonly s: Uint32Array
  private readonly lr = new Uint32Array(2)

  constructor() {
    const c = blowfishConstants()
    this.p = c.slice(0, 18)
    this.s = c.slice(18)
  }

  /**
   * Encrypts the block in lr[0..1] in place. F is written out inline: this loop runs about a
   * million times for a cost-10 hash. Sums may exceed 32 bits; the XORs wrap them back (ToInt32).
   */
  encrypt(lr: Uint32Array): void {
    const p = this.p
    const s = this.s
    let l = lr[0]! ^ p[0]!
    let r = lr[1]!
    for (let i = 1; i <= 16; i += 2) {
      r ^= (((s[l >>> 24]! + s[256 | ((l >>> 16) & 0xff)]!) ^ s[512 | ((l >>> 8) & 0xff)]!) + s[768 | (l & 0xff)]!) ^ p[i]!
      l ^= (((s[r >>> 24]! + s[256 | ((r >>> 16) & 0xff)]!) ^ s[512 | ((r >>> 8) & 0xff)]!) + s[768 | (r & 0xff)]!) ^ p[i + 1]!
    }
    lr[0] = (r ^ p[17]!) >>> 0
    lr[1] = l >>> 0
  }

  /** bcrypt's ExpandKey: key into P, then re-encrypt P and S mixing in the salt (none for expand0). */
  expand(key: Uint8Array, salt: Uint8Array | null): void {
    let j = 0
    for (let i = 0; i < 18; i++) {
      let w = 0
      for (let k = 0; k < 4; k++) {
        w = ((w << 8) | key[j]!) >>> 0
        j = (j + 1) % key.length
      }
      this.p[i] = (this.p[i]! ^ w) >>> 0
    }
    // The salt is 16 bytes: four words, used in turn across P and then S.
    const sw = new Uint32Array(4)
    if (salt) for (let i = 0; i < 4; i++) sw[i] = ((salt[4 * i]! << 24) | (salt[4 * i + 1]! << 16) | (salt[4 * i + 2]! << 8) | salt[4 * i + 3]!) >>> 0
    const lr = this.lr
    lr[0] = 0
    lr[1] = 0
    let c = 0
    for (const arr of [this.p, this.s]) {
      for (let i = 0; i < arr.length; i += 2) {
        if (salt) {
          lr[0] = lr[0]! ^ sw[c & 3]!
          lr[1] = lr[1]! ^ sw[(c + 1) & 3]!
          c += 2
        }
        this.encrypt(lr)
        arr[i] = lr[0]!
        arr[i + 1] = lr[1]!
      }
    }
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
 * EksBlowfish setup, then the 64 encryptions of "OrpheanBeholderScryDoubt". A generator that pauses
 * between rounds of the cost loop (2^cost of them: about a million Blowfish encryptions at cost 10),
 * so the async check can give the event loop a turn now and then.
 */
function* hashSteps(password: string, cost: number, salt: Uint8Array): Generator<void, string> {
  // Go's bcrypt keys with the password bytes plus a terminating NUL.
  const pw = Buffer.from(password, 'utf8')
  const key = new Uint8Array(pw.length + 1)
  key.set(pw)
  const bf = new Blowfish()
  bf.expand(key, salt)
  const rounds = 2 ** cost
  for (let i = 0; i < rounds; i++) {
    bf.expand(key, null)
    bf.expand(salt, null)
    if ((i & 7) === 7) yield
  }
  const text = Buffer.from('OrpheanBeholderScryDoubt')
  const words = new Uint32Array(6)
  for (let i = 0; i < 6; i++) words[i] = text.readUInt32BE(4 * i)
  const lr = new Uint32Array(2)
  for (let i = 0; i < 64; i++) {
    for (let j = 0; j < 6; j += 2) {
      lr[0] = words[j]!
      lr[1] = words[j + 1]!
      bf.encrypt(lr)
      words[j] = lr[0]!
      words[j + 1] = lr[1]!
    }
  }
  const out = Buffer.alloc(24)
  for (let i = 0; i < 6; i++) out.writeUInt32BE(words[i]!, 4 * i)
  return encode64(out.subarray(0, 23))
}

/** The 31-character hash part for `password` with the cost and salt of `stored`. */
export function bcryptHashPart(password: string, cost: number, salt: Uint8Array): string {
  const steps = hashSteps(password, cost, salt)
  for (;;) {
    const r = steps.next()
    if (r.done) return r.value
  }
}

function parseHash(stored: string): { cost: number; salt: Uint8Array; want: Buffer } | undefined {
  const m = HASH_RE.exec(stored)
  if (!m) return undefined
  const cost = Number(m[2])
  if (cost < 4 || cost > 31) return undefined
  const salt = decode64(m[3]!, 16)
  if (!salt) return undefined
  return { cost, salt, want: Buffer.from(m[4]!) }
}

function matches(got: string, want: Buffer): boolean {
  const g = Buffer.from(got)
  return g.length === want.length && timingSafeEqual(g, want)
}

/** A bcrypt hash of `password` (`$2a$<cost>$<salt><hash>`), as etcd's bcrypt writes one (tests and tools). */
export function bcryptHash(password: string, cost: number, salt: Uint8Array): string {
  return `$2a$${String(cost).padStart(2, '0')}$${encode64(salt).slice(0, 22)}${bcryptHashPart(password, cost, salt)}`
}

/** Does `password` match the bcrypt hash `stored` (as etcd's CompareHashAndPassword)? */
export function bcryptVerify(stored: string, password: string): boolean {
  const h = parseHash(stored)
  return h ? matches(bcryptHashPart(password, h.cost, h.salt), h.want) : false
}

/**
 * The same check in slices of at most `sliceMs` with a turn of the event loop between them: a
 * cost-10 hash is about 100 ms of CPU in JavaScript, which a member must not spend in one go (its
 * Raft clock and its peers share the thread).
 */
export async function bcryptVerifyAsync(stored: string, password: string, sliceMs = 5): Promise<boolean> {
  const h = parseHash(stored)
  if (!h) return false
  const steps = hashSteps(password, h.cost, h.salt)
  let t0 = performance.now()
  for (;;) {
    const r = steps.next()
    if (r.done) return matches(r.value, h.want)
    if (performance.now() - t0 >= sliceMs) {
      await new Promise((resolve) => setImmediate(resolve))
      t0 = performance.now()
    }
  }
}
