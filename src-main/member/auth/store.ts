/**
 * Users, roles and key permissions with etcd's rules and errors. Changes come from the log, so
 * every member holds the same auth state. Tokens: "simple" tokens are learned by every member
 * through the log (valid for --auth-token-ttl after last use, on this member's monotonic clock);
 * JWTs (--auth-token jwt,…) carry the user and auth revision and are checked by signature.
 */
import { status } from '@grpc/grpc-js'
import { EtcdError, Errors } from '../errors'
import { allows, mergePermissions, type MergedPermissions } from './permissions'
import type { JwtTokens } from './tokens'
import { verifyPassword } from './passwords'

export type PermType = 'READ' | 'WRITE' | 'READWRITE'

export interface Permission {
  permType: PermType
  /** latin1 binary strings, like mvcc keys. range_end '' = single key; '\0' = to the end. */
  key: string
  rangeEnd: string
}

interface User {
  name: string
  /** A bcrypt hash (or `scrypt$<salt hex>$<hash hex>` from older members), or '' for a user without password. */
  password: string
  roles: string[]
}

interface Role {
  name: string
  perms: Permission[]
}

/** Who a request is made by, and the auth revision it was checked at (etcd's AuthInfo). */
export interface AuthInfo {
  username: string
  revision: number
}

const ROOT = 'root'
/** etcd's --auth-token-ttl default for simple tokens, in seconds. */
export const DEFAULT_TOKEN_TTL_S = 300

export class AuthStore {
  enabled = false
  /** Bumped on every change so cached tokens see a consistent view (etcd's auth revision). */
  revision = 1
  private readonly users = new Map<string, User>()
  private readonly roles = new Map<string, Role>()
  /** Simple tokens, learned from the log; `expires` is on this member's monotonic clock. */
  private readonly tokens = new Map<string, { user: string; expires: number }>()
  /** Merged permissions per user, rebuilt after every change. */
  private permCache = new Map<string, MergedPermissions>()
  /** How long a simple token stays valid after its last use (--auth-token-ttl). */
  tokenTtlMs = DEFAULT_TOKEN_TTL_S * 1000
  /** Set with --auth-token jwt,…: tokens are JWTs, checked by signature instead of by lookup. */
  jwt: JwtTokens | undefined

  /** The clock simple tokens expire on: monotonic, so a wall-clock jump expires nothing. */
  constructor(private readonly monotonicMs: () => number = () => performance.now()) {}

  private bump(): void {
    this.revision++
    this.permCache.clear()
  }

  enable(): void {
    const root = this.users.get(ROOT)
    if (!root) throw Errors.rootUserNotExist()
    if (!root.roles.includes(ROOT)) throw Errors.rootRoleNotExist()
    this.enabled = true
    this.bump()
  }

  disable(): void {
    this.enabled = false
    this.tokens.clear()
    this.bump()
  }

  userAdd(name: string, hashedPassword: string): void {
    if (!name) throw Errors.userEmpty()
    if (this.users.has(name)) throw Errors.userAlreadyExist()
    this.users.set(name, { name, password: hashedPassword, roles: [] })
    this.bump()
  }

  userDelete(name: string): void {
    if (this.enabled && name === ROOT) throw Errors.invalidAuthMgmt()
    if (!this.users.delete(name)) throw Errors.userNotFound()
    for (const [t, v] of this.tokens) if (v.user === name) this.tokens.delete(t)
    this.bump()
  }

  userChangePassword(name: string, hashedPassword: string): void {
    const u = this.users.get(name)
    if (!u) throw Errors.userNotFound()
    u.password = hashedPassword
    // etcd's invalidateUser: whoever logged in with the old password must log in again.
    for (const [t, v] of this.tokens) if (v.user === name) this.tokens.delete(t)
    this.bump()
  }

  userGrantRole(user: string, role: string): void {
    const u = this.users.get(user)
    if (!u) throw Errors.userNotFound()
    if (role !== ROOT && !this.roles.has(role)) throw Errors.roleNotFound()
    if (!u.roles.includes(role)) {
      u.roles.push(role)
      u.roles.sort()
    }
    this.bump()
  }

  userRevokeRole(user: string, role: string): void {
    if (this.enabled && user === ROOT && role === ROOT) throw Errors.invalidAuthMgmt()
    const u = this.users.get(user)
    if (!u) throw Errors.userNotFound()
    const i = u.roles.indexOf(role)
    if (i < 0) throw Errors.roleNotGranted()
    u.roles.splice(i, 1)
    this.bump()
  }

  userGet(name: string): string[] {
    const u = this.users.get(name)
    if (!u) throw Errors.userNotFound()
    return [...u.roles]
  }

  userList(): string[] {
    return [...this.users.keys()].sort()
  }

  roleAdd(name: string): void {
    if (!name) throw Errors.roleEmpty()
    if (this.roles.has(name)) throw Errors.roleAlreadyExist()
    this.roles.set(name, { name, perms: [] })
    this.bump()
  }

  roleDelete(name: string): void {
    if (this.enabled && name === ROOT) throw Errors.invalidAuthMgmt()
    if (!this.roles.delete(name)) throw Errors.roleNotFound()
    for (const u of this.users.values()) u.roles = u.roles.filter((r) => r !== name)
    this.bump()
  }

  roleGet(name: string): Permission[] {
    const r = this.roles.get(name)
    if (!r) throw Errors.roleNotFound()
    return r.perms.map((p) => ({ ...p }))
  }

  roleList(): string[] {
    return [...this.roles.keys()].sort()
  }

  roleGrantPermission(name: string, perm: Permission): void {
    const r = this.roles.get(name)
    if (!r) throw Errors.roleNotFound()
    const same = r.perms.findIndex((p) => p.key === perm.key && p.rangeEnd === perm.rangeEnd)
    if (same >= 0) r.perms[same] = perm
    else r.perms.push(perm)
    r.perms.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    this.bump()
  }

  roleRevokePermission(name: string, key: string, rangeEnd: string): void {
    const r = this.roles.get(name)
    if (!r) throw Errors.roleNotFound()
    const i = r.perms.findIndex((p) => p.key === key && p.rangeEnd === rangeEnd)
    if (i < 0) throw Errors.permissionNotGranted()
    r.perms.splice(i, 1)
    this.bump()
  }

  // ---- member-local: tokens and checks ----

  /** Checks a login before it is proposed (etcd's CheckPassword); hashing runs off the Raft loop. */
  async checkPassword(name: string, password: string): Promise<void> {
    if (!this.enabled) throw Errors.authNotEnabled()
    const u = this.users.get(name)
    // etcd 3.4 answers this one with its auth store's own error (code UNKNOWN).
    if (u && !u.password) throw new EtcdError(status.UNKNOWN, 'auth: authentication failed, password was given for no password user')
    if (!u || !(await verifyPassword(u.password, password))) throw Errors.authFailed()
    // The user may have been deleted or changed while the hash was computed.
    if (this.users.get(name) !== u || !this.enabled) throw Errors.authFailed()
  }

  /** Applied on every member: a simple token, valid cluster-wide until unused for --auth-token-ttl. */
  assignToken(name: string, token: string): void {
    // As etcd's Authenticate at apply: the login was checked before proposing, but the user may be gone.
    if (!this.enabled) throw Errors.authNotEnabled()
    const u = this.users.get(name)
    if (!u || !u.password) throw Errors.authFailed()
    if (!token || this.jwt) return
    this.tokens.set(token, { user: name, expires: this.monotonicMs() + this.tokenTtlMs })
  }

  /**
   * Who a request is made by (etcd's AuthInfoFromCtx): undefined while auth is off (but a token
   * that is not valid still fails, as in etcd); a request without a token is anonymous (`username ''`, revision 0); an unknown or expired token fails
   * with "invalid auth token". Simple tokens are checked at the current auth revision, JWTs at the
   * revision they were issued at (after any auth change they get "revision of auth store is old"
   * and the client logs in again, as with etcd).
   */
  authInfo(token: string | undefined): AuthInfo | undefined {
    if (!this.enabled) {
      // As etcd 3.4: a token is checked even while auth is off (all simple tokens ended when it
      // was turned off), though nothing is then checked against it.
      if (token !== undefined && !(this.jwt ? this.jwt.verify(token) : this.tokens.has(token))) throw Errors.invalidAuthToken()
      return undefined
    }
    if (token === undefined) return { username: '', revision: 0 }
    if (this.jwt) {
      const claims = this.jwt.verify(token)
      if (!claims) throw Errors.invalidAuthToken()
      return claims
    }
    const t = token ? this.tokens.get(token) : undefined
    const now = this.monotonicMs()
    if (!t || t.expires < now || !this.users.has(t.user)) throw Errors.invalidAuthToken()
    t.expires = now + this.tokenTtlMs
    return { username: t.user, revision: this.revision }
  }

  isAdmin(user: string): boolean {
    return this.users.get(user)?.roles.includes(ROOT) ?? false
  }

  hasRole(user: string, role: string): boolean {
    return this.users.get(user)?.roles.includes(role) ?? false
  }

  /**
   * The check made for a key request, before proposing and again when it is applied (etcd's
   * isOpPermitted): with auth on, the request must name a user, its auth revision must not be
   * older than the store's (permissions may have changed since it was checked; the proposer retries
   * with a fresh revision), and the user must hold `need` on the range at this point of the log.
   */
  checkOp(ai: AuthInfo, need: 'READ' | 'WRITE', key: string, rangeEnd: string): void {
    if (!this.enabled) return
    if (ai.revision === 0) throw Errors.userEmpty()
    if (ai.revision < this.revision) throw Errors.authOldRevision()
    if (!this.permitted(ai.username, need, key, rangeEnd)) throw Errors.permissionDenied()
  }

  /** Admin-only requests (etcd's IsAdminPermitted): only a user with the root role. */
  checkAdmin(ai: AuthInfo): void {
    if (!this.enabled) return
    if (!ai.username) throw Errors.userEmpty()
    const u = this.users.get(ai.username)
    if (!u) throw Errors.userNotFound()
    if (!u.roles.includes(ROOT)) throw Errors.permissionDenied()
  }

  /**
   * Does `user` hold `need` on [key, rangeEnd)? Root may do anything; everyone else's permissions
   * from all their roles combine (permissions.ts).
   */
  permitted(user: string, need: 'READ' | 'WRITE', key: string, rangeEnd: string): boolean {
    const u = this.users.get(user)
    if (!u) return false
    if (u.roles.includes(ROOT)) return true
    let merged = this.permCache.get(user)
    if (!merged) {
      merged = mergePermissions(u.roles.flatMap((r) => this.roles.get(r)?.perms ?? []))
      this.permCache.set(user, merged)
    }
    return allows(merged, need, key, rangeEnd)
  }

  toJSON() {
    return { enabled: this.enabled, revision: this.revision, users: [...this.users.values()], roles: [...this.roles.values()] }
  }

  restore(s: ReturnType<AuthStore['toJSON']>): void {
    this.permCache.clear()
    this.enabled = s.enabled
    this.revision = s.revision
    this.users.clear()
    this.roles.clear()
    for (const u of s.users) this.users.set(u.name, { ...u, roles: [...u.roles] })
    for (const r of s.roles) this.roles.set(r.name, { ...r, perms: r.perms.map((p) => ({ ...p })) })
  }
}
