/**
 * `--auth-token`: which tokens a member hands out after a login, with etcd's syntax.
 *
 *   simple                                     random tokens every member learns through the log
 *                                              (valid for --auth-token-ttl after last use)
 *   jwt,pub-key=F,priv-key=F,sign-method=M[,ttl=D]
 *                                              signed JSON Web Tokens carrying the user name, the
 *                                              auth revision and an expiry; any member holding the
 *                                              key verifies them without shared state
 *
 * Sign methods as etcd's JWT library names them: RS256/384/512, PS256/384/512, ES256/384/512,
 * HS256/384/512. A member given only a public key verifies tokens but cannot issue them.
 */
import { createHmac, createPrivateKey, createPublicKey, sign, timingSafeEqual, verify, type KeyObject } from 'node:crypto'
import { readFileSync } from 'node:fs'

export type TokenConfig = { kind: 'simple' } | ({ kind: 'jwt' } & JwtOptions)

export interface JwtOptions {
  signMethod: string
  publicKeyFile: string
  privateKeyFile: string
  ttlMs: number
}

const DEFAULT_JWT_TTL_MS = 5 * 60_000

/** Go's time.ParseDuration for the forms people write: 300ms, 30s, 5m, 1h30m, 1.5h. */
export function parseGoDuration(v: string): number | undefined {
  if (!/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(v)) return undefined
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }
  let total = 0
  for (const m of v.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) total += Number(m[1]) * unit[m[2]!]!
  return total
}

/** Parses the value of --auth-token; throws an Error with a one-line reason. */
export function parseAuthToken(v: string): TokenConfig {
  const [kind, ...opts] = v.split(',')
  if (kind === 'simple') {
    if (opts.length) throw new Error(`--auth-token simple takes no options (got ${opts.join(',')})`)
    return { kind: 'simple' }
  }
  if (kind !== 'jwt') throw new Error(`unknown token type "${kind}" for --auth-token (want simple or jwt,...)`)
  const o = new Map<string, string>()
  for (const kv of opts) {
    const eq = kv.indexOf('=')
    if (eq <= 0) throw new Error(`--auth-token jwt option "${kv}" is not key=value`)
    o.set(kv.slice(0, eq), kv.slice(eq + 1))
  }
  for (const k of o.keys()) if (!['pub-key', 'priv-key', 'sign-method', 'ttl'].includes(k)) throw new Error(`unknown --auth-token jwt option "${k}" (known: pub-key, priv-key, sign-method, ttl)`)
  const signMethod = o.get('sign-method') ?? ''
  if (!ALGS[signMethod]) throw new Error(`--auth-token jwt needs sign-method= one of ${Object.keys(ALGS).join(', ')} (got "${signMethod}")`)
  let ttlMs = DEFAULT_JWT_TTL_MS
  if (o.has('ttl')) {
    const t = parseGoDuration(o.get('ttl')!)
    if (t === undefined || t <= 0) throw new Error(`--auth-token jwt ttl "${o.get('ttl')}" is not a duration like 5m`)
    ttlMs = t
  }
  const cfg = { kind: 'jwt' as const, signMethod, publicKeyFile: o.get('pub-key') ?? '', privateKeyFile: o.get('priv-key') ?? '', ttlMs }
  if (!cfg.publicKeyFile && !cfg.privateKeyFile) throw new Error('--auth-token jwt needs pub-key= and/or priv-key=')
  return cfg
}

interface Alg {
  family: 'RS' | 'PS' | 'ES' | 'HS'
  hash: 'sha256' | 'sha384' | 'sha512'
}

const ALGS: Record<string, Alg> = Object.fromEntries(
  (['RS', 'PS', 'ES', 'HS'] as const).flatMap((family) => (['256', '384', '512'] as const).map((bits) => [`${family}${bits}`, { family, hash: `sha${bits}` as Alg['hash'] }])),
)

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url')

/** The claims a token carries, as etcd writes them. */
export interface TokenClaims {
  username: string
  revision: number
}

/** Signs and verifies etcd-style JWTs with one key pair (or one HMAC secret). */
export class JwtTokens {
  private readonly alg: Alg
  private readonly privateKey: KeyObject | Buffer | undefined
  private readonly publicKey: KeyObject | Buffer | undefined

  constructor(
    private readonly cfg: JwtOptions,
    private readonly nowMs: () => number = Date.now,
  ) {
    this.alg = ALGS[cfg.signMethod]!
    const read = (f: string, what: string): Buffer => {
      try {
        return readFileSync(f)
      } catch (err) {
        throw new Error(`--auth-token jwt: cannot read ${what} ${f}: ${(err as Error).message}`)
      }
    }
    if (this.alg.family === 'HS') {
      // etcd keys HMAC with the bytes of the private key file.
      if (!cfg.privateKeyFile) throw new Error(`--auth-token jwt with ${cfg.signMethod} needs priv-key= (the HMAC secret)`)
      this.privateKey = read(cfg.privateKeyFile, 'priv-key')
      this.publicKey = this.privateKey
      return
    }
    try {
      this.privateKey = cfg.privateKeyFile ? createPrivateKey(read(cfg.privateKeyFile, 'priv-key')) : undefined
      this.publicKey = cfg.publicKeyFile ? createPublicKey(read(cfg.publicKeyFile, 'pub-key')) : this.privateKey ? createPublicKey(this.privateKey) : undefined
    } catch (err) {
      throw new Error(`--auth-token jwt: ${(err as Error).message}`)
    }
    const want = this.alg.family === 'ES' ? 'ec' : 'rsa'
    for (const k of [this.privateKey, this.publicKey]) {
      if (k && k.asymmetricKeyType !== want && !(want === 'rsa' && k.asymmetricKeyType === 'rsa-pss')) {
        throw new Error(`--auth-token jwt: ${cfg.signMethod} needs an ${want.toUpperCase()} key, got ${k.asymmetricKeyType}`)
      }
    }
  }

  /** Can this member issue tokens (it has the private key)? */
  get canSign(): boolean {
    return this.privateKey !== undefined
  }

  sign(claims: TokenClaims): string {
    if (!this.privateKey) throw new Error('jwt: this member has only the public key and cannot issue tokens')
    const header = b64url(JSON.stringify({ alg: this.cfg.signMethod, typ: 'JWT' }))
    const payload = b64url(JSON.stringify({ exp: Math.floor((this.nowMs() + this.cfg.ttlMs) / 1000), revision: claims.revision, username: claims.username }))
    const input = `${header}.${payload}`
    return `${input}.${b64url(this.signature(input))}`
  }

  private signature(input: string): Buffer {
    const { family, hash } = this.alg
    if (family === 'HS') return createHmac(hash, this.privateKey as Buffer).update(input).digest()
    const key = this.privateKey as KeyObject
    if (family === 'ES') return sign(hash, Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' })
    if (family === 'PS') return sign(hash, Buffer.from(input), { key, padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength: hashBytes(hash) })
    return sign(hash, Buffer.from(input), key)
  }

  /** The claims of a valid, unexpired token signed with our key; undefined for anything else. */
  verify(token: string): TokenClaims | undefined {
    const parts = token.split('.')
    if (parts.length !== 3) return undefined
    const [h, p, s] = parts as [string, string, string]
    let header: { alg?: unknown }
    let claims: { username?: unknown; revision?: unknown; exp?: unknown }
    try {
      header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as typeof header
      claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as typeof claims
    } catch {
      return undefined
    }
    // As etcd: a token signed with another method than ours is invalid (no "alg: none" tricks).
    if (header.alg !== this.cfg.signMethod || !this.publicKey) return undefined
    const input = Buffer.from(`${h}.${p}`)
    const sig = Buffer.from(s, 'base64url')
    const { family, hash } = this.alg
    let ok: boolean
    try {
      if (family === 'HS') {
        const want = createHmac(hash, this.publicKey as Buffer).update(input).digest()
        ok = want.length === sig.length && timingSafeEqual(want, sig)
      } else if (family === 'ES') ok = verify(hash, input, { key: this.publicKey as KeyObject, dsaEncoding: 'ieee-p1363' }, sig)
      else if (family === 'PS') ok = verify(hash, input, { key: this.publicKey as KeyObject, padding: 6, saltLength: -2 /* auto */ }, sig)
      else ok = verify(hash, input, this.publicKey as KeyObject, sig)
    } catch {
      return undefined
    }
    if (!ok) return undefined
    if (typeof claims.username !== 'string' || typeof claims.revision !== 'number' || !Number.isSafeInteger(claims.revision) || claims.revision < 0) return undefined
    if (typeof claims.exp === 'number' && claims.exp * 1000 < this.nowMs()) return undefined
    return { username: claims.username, revision: claims.revision }
  }
}

function hashBytes(hash: Alg['hash']): number {
  return hash === 'sha256' ? 32 : hash === 'sha384' ? 48 : 64
}
