// Auth as etcd 3.4 does it: permissions combine across roles, a password change ends the user's
// sessions, simple tokens expire on a monotonic clock, JWTs (--auth-token jwt,…) carry the user
// and the auth revision, and password hashing leaves the event loop free.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import { bcryptVerify } from '../../../src-main/member/auth/bcrypt'
import { hashPassword, verifyPassword } from '../../../src-main/member/auth/passwords'
import { AuthStore } from '../../../src-main/member/auth/store'
import { JwtTokens, parseAuthToken } from '../../../src-main/member/auth/tokens'
import { parseMemberFlags } from '../../../src-main/member/config'

const keysDir = mkdtempSync(path.join(os.tmpdir(), 'rd-jwt-'))
afterAll(() => rmSync(keysDir, { recursive: true, force: true }))
afterEach(() => {
  vi.useRealTimers()
})

/** An auth store with root and user `u` (roles as given), auth enabled. */
function store(monotonic?: () => number): AuthStore {
  const a = new AuthStore(monotonic)
  a.userAdd('root', 'x')
  a.userGrantRole('root', 'root')
  a.userAdd('u', 'x')
  a.enable()
  return a
}

describe('permissions', () => {
  it("combine across roles: two roles' adjacent ranges allow a request spanning both", () => {
    const a = store()
    a.roleAdd('ac')
    a.roleAdd('ce')
    a.roleGrantPermission('ac', { permType: 'READ', key: 'a', rangeEnd: 'c' })
    a.roleGrantPermission('ce', { permType: 'READWRITE', key: 'c', rangeEnd: 'e' })
    a.userGrantRole('u', 'ac')
    a.userGrantRole('u', 'ce')
    expect(a.permitted('u', 'READ', 'a', 'e')).toBe(true)
    expect(a.permitted('u', 'READ', 'b', 'd')).toBe(true)
    expect(a.permitted('u', 'WRITE', 'b', 'd')).toBe(false)
    expect(a.permitted('u', 'WRITE', 'c', 'e')).toBe(true)
    expect(a.permitted('u', 'READ', 'a', 'f')).toBe(false)
    // A gap between the roles' ranges is not covered.
    a.roleRevokePermission('ce', 'c', 'e')
    a.roleGrantPermission('ce', { permType: 'READ', key: 'd', rangeEnd: 'e' })
    expect(a.permitted('u', 'READ', 'a', 'e')).toBe(false)
    expect(a.permitted('u', 'READ', 'd', '')).toBe(true)
    expect(a.permitted('u', 'READ', 'c', '')).toBe(false)
  })

  it('treats "\\0" as the end of the keyspace and a single-key permission as one key', () => {
    const a = store()
    a.roleAdd('r')
    a.roleGrantPermission('r', { permType: 'READ', key: 'm', rangeEnd: '\u0000' })
    a.roleGrantPermission('r', { permType: 'WRITE', key: 'k', rangeEnd: '' })
    a.userGrantRole('u', 'r')
    expect(a.permitted('u', 'READ', 'm', '\u0000')).toBe(true)
    expect(a.permitted('u', 'READ', 'zzz', '')).toBe(true)
    expect(a.permitted('u', 'READ', 'a', '\u0000')).toBe(false)
    expect(a.permitted('u', 'WRITE', 'k', '')).toBe(true)
    expect(a.permitted('u', 'WRITE', 'k', 'l')).toBe(false)
    expect(a.permitted('u', 'WRITE', 'k\u0000', '')).toBe(false)
  })
})

describe('simple tokens', () => {
  it('end when the password changes', () => {
    const a = store()
    a.assignToken('u', 'tok.1')
    a.assignToken('root', 'tok.2')
    expect(a.authInfo('tok.1')?.username).toBe('u')
    a.userChangePassword('u', 'y')
    expect(() => a.authInfo('tok.1')).toThrow('etcdserver: invalid auth token')
    expect(a.authInfo('tok.2')?.username).toBe('root')
  })

  it('expire after --auth-token-ttl of disuse on the monotonic clock; a wall-clock jump changes nothing', () => {
    let mono = 0
    const a = store(() => mono)
    a.tokenTtlMs = 300_000
    a.assignToken('u', 'tok.1')
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 24 * 3600_000)
    expect(a.authInfo('tok.1')?.username).toBe('u')
    mono += 299_000
    expect(a.authInfo('tok.1')?.username).toBe('u')
    // Each use renews it; 300 s without one ends it.
    mono += 300_001
    expect(() => a.authInfo('tok.1')).toThrow('invalid auth token')
  })
})

describe('JWT tokens (--auth-token jwt,…)', () => {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: keysDir, stdio: ['ignore', 'ignore', 'pipe'] })
  openssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'rsa.key')
  openssl('pkey', '-in', 'rsa.key', '-pubout', '-out', 'rsa.pub')
  openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ec.key')
  openssl('ec', '-in', 'ec.key', '-pubout', '-out', 'ec.pub')
  writeFileSync(path.join(keysDir, 'hmac.key'), 'a shared secret')
  const k = (f: string) => path.join(keysDir, f)

  it('parses etcd\'s flag syntax and refuses what etcd refuses', () => {
    expect(parseAuthToken('simple')).toEqual({ kind: 'simple' })
    expect(parseAuthToken(`jwt,pub-key=${k('rsa.pub')},priv-key=${k('rsa.key')},sign-method=RS256,ttl=10m`)).toMatchObject({ kind: 'jwt', signMethod: 'RS256', ttlMs: 600_000 })
    expect(() => parseAuthToken('jwt,sign-method=RS256')).toThrow('needs pub-key= and/or priv-key=')
    expect(() => parseAuthToken(`jwt,priv-key=${k('rsa.key')},sign-method=none`)).toThrow('sign-method=')
    expect(() => parseAuthToken('oauth')).toThrow('unknown token type')
    expect(() => parseMemberFlags(['--auth-token', 'jwt,foo=bar,sign-method=RS256'])).toThrow('unknown --auth-token jwt option "foo"')
    expect(() => parseMemberFlags(['--bcrypt-cost', '3'])).toThrow('--bcrypt-cost must be between 4 and 31')
  })

  for (const [method, priv, pub] of [
    ['RS256', 'rsa.key', 'rsa.pub'],
    ['PS384', 'rsa.key', 'rsa.pub'],
    ['ES256', 'ec.key', 'ec.pub'],
    ['HS512', 'hmac.key', ''],
  ] as const) {
    it(`${method}: signs tokens with the user, the auth revision and an expiry; refuses tampered, foreign-alg and expired ones`, () => {
      let now = Date.now()
      const jwt = new JwtTokens({ signMethod: method, privateKeyFile: k(priv), publicKeyFile: pub ? k(pub) : '', ttlMs: 60_000 }, () => now)
      const token = jwt.sign({ username: 'u', revision: 7 })
      const [h, p] = token.split('.')
      expect(JSON.parse(Buffer.from(h!, 'base64url').toString())).toEqual({ alg: method, typ: 'JWT' })
      expect(JSON.parse(Buffer.from(p!, 'base64url').toString())).toMatchObject({ username: 'u', revision: 7 })
      expect(jwt.verify(token)).toEqual({ username: 'u', revision: 7 })
      const forged = `${h}.${Buffer.from(JSON.stringify({ username: 'root', revision: 7 })).toString('base64url')}.${token.split('.')[2]}`
      expect(jwt.verify(forged)).toBeUndefined()
      const none = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${p}.`
      expect(jwt.verify(none)).toBeUndefined()
      now += 61_000
      expect(jwt.verify(token)).toBeUndefined()
    })
  }

  it('a verify-only member (public key only) checks tokens it cannot issue', () => {
    const signer = new JwtTokens({ signMethod: 'ES256', privateKeyFile: k('ec.key'), publicKeyFile: '', ttlMs: 60_000 })
    const verifier = new JwtTokens({ signMethod: 'ES256', privateKeyFile: '', publicKeyFile: k('ec.pub'), ttlMs: 60_000 })
    expect(verifier.canSign).toBe(false)
    expect(verifier.verify(signer.sign({ username: 'u', revision: 3 }))).toEqual({ username: 'u', revision: 3 })
  })

  it('a token issued before an auth change is "revision of auth store is old" (the client logs in again)', () => {
    const a = store()
    a.jwt = new JwtTokens({ signMethod: 'RS256', privateKeyFile: k('rsa.key'), publicKeyFile: '', ttlMs: 60_000 })
    a.roleAdd('r')
    a.roleGrantPermission('r', { permType: 'READ', key: 'a', rangeEnd: 'z' })
    a.userGrantRole('u', 'r')
    const info = a.authInfo(a.jwt.sign({ username: 'u', revision: a.revision }))!
    expect(() => a.checkOp(info, 'READ', 'b', '')).not.toThrow()
    a.roleAdd('other')
    expect(() => a.checkOp(info, 'READ', 'b', '')).toThrow('etcdserver: revision of auth store is old')
    expect(() => a.authInfo('not.a.token')).toThrow('invalid auth token')
  })
})

describe('password hashing', () => {
  it('uses bcrypt at --bcrypt-cost, verifiable by etcd\'s rules, and leaves the event loop free while it hashes', async () => {
    let turns = 0
    const ticker = setInterval(() => turns++, 1)
    const t0 = performance.now()
    const hash = await hashPassword('secret', 10)
    const took = performance.now() - t0
    clearInterval(ticker)
    expect(hash).toMatch(/^\$2a\$10\$[./A-Za-z0-9]{53}$/)
    expect(bcryptVerify(hash, 'secret')).toBe(true)
    expect(await verifyPassword(hash, 'nope')).toBe(false)
    // A blocking hash lets no timer run until it is done; a sliced one lets them run throughout.
    expect(turns).toBeGreaterThan(Math.min(20, took / 20))
  })
})
