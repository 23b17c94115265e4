/**
 * Users, roles and key permissions with etcd's rules and errors. Changes come from the log, so
 * every member holds the same auth state; tokens are member-local ("simple" tokens, as etcd's
 * default), which is why a client authenticates against the member it talks to.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto'
import { Errors } from '../errors'
import { bcryptVerifyAsync, isBcryptHash } from './bcrypt'

export type PermType = 'READ' | 'WRITE' | 'READWRITE'

export interface Permission {
  permType: PermType
  /** latin1 binary strings, like mvcc keys. range_end '' = single key; '\0' = to the end. */
  key: string
  rangeEnd: string
}

interface User {
  name: string
  /** `scrypt$<salt hex>$<hash hex>`, or '' for a user without password. */
  password: string
  roles: string[]
}

interface Role {
  name: string
  perms: Permission[]
}

const ROOT = 'root'

/** scrypt on libuv's thread pool: tens of milliseconds of CPU that must not run on the member's thread. */
function scryptAsync(password: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(password, salt, 32, (err, key) => (err ? reject(err) : resolve(key))))
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16)
  return `scrypt$${salt.toString('hex')}$${(await scryptAsync(password, salt)).toString('hex')}`
}

async function checkPassword(stored: string, password: string): Promise<boolean> {
  // Users restored from a real etcd snapshot keep etcd's bcrypt hashes (checked in slices).
  if (isBcryptHash(stored)) return bcryptVerifyAsync(stored, password)
  const [kind, salt, hash] = stored.split('$')
  if (kind !== 'scrypt' || !salt || !hash) return false
  const got = await scryptAsync(password, Buffer.from(salt, 'hex'))
  return timingSafeEqual(got, Buffer.from(hash, 'hex'))
}

export class AuthStore {
  enabled = false
  /** Bumped on every change so cached tokens see a consistent view (etcd's auth revision). */
  revision = 1
  private readonly users = new Map<string, User>()
  private readonly roles = new Map<string, Role>()
  private readonly tokens = new Map<string, { user: string; expires: number }>()

  private bump(): void {
    this.revision++
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

  /** Checks a login before it is proposed; returns a fresh token to propose with it. */
  async checkPassword(name: string, password: string, index: number): Promise<string> {
    if (!this.enabled) throw Errors.authNotEnabled()
    const u = this.users.get(name)
    if (!u || !u.password || !(await checkPassword(u.password, password))) throw Errors.authFailed()
    return `${randomBytes(8).toString('hex')}.${index}`
  }

  /** Applied on every member: the token is valid cluster-wide for five minutes after last use. */
  assignToken(name: string, token: string): void {
    this.tokens.set(token, { user: name, expires: Date.now() + 5 * 60_000 })
  }

  /** User behind a token, or throws etcd's invalid-token error. */
  userOfToken(token: string | undefined): string {
    const t = token ? this.tokens.get(token) : undefined
    if (!t || t.expires < Date.now() || !this.users.has(t.user)) throw Errors.invalidAuthToken()
    t.expires = Date.now() + 5 * 60_000
    return t.user
  }

  isAdmin(user: string): boolean {
    return this.users.get(user)?.roles.includes(ROOT) ?? false
  }

  /**
   * The check made when a request is applied (etcd's isOpPermitted): with auth on, the request must
   * name a user, its auth revision must not be older than the store's (permissions may have
   * changed since it was checked; the proposer retries with a fresh revision), and the user must
   * hold `need` on the range at this point of the log.
   */
  checkOp(ai: { username: string; revision: number }, need: 'READ' | 'WRITE', key: string, rangeEnd: string): void {
    if (!this.enabled) return
    if (ai.revision === 0) throw Errors.userEmpty()
    if (ai.revision < this.revision) throw Errors.authOldRevision()
    if (!this.permitted(ai.username, need, key, rangeEnd)) throw Errors.permissionDenied()
  }

  /** Auth management at apply time (etcd's IsAdminPermitted): only a user with the root role. */
  checkAdmin(ai: { username: string; revision: number }): void {
    if (!this.enabled) return
    if (!ai.username) throw Errors.userEmpty()
    const u = this.users.get(ai.username)
    if (!u) throw Errors.userNotFound()
    if (!u.roles.includes(ROOT)) throw Errors.permissionDenied()
  }

  /** Does `user` hold `need` on [key, rangeEnd)? Root may do anything. */
  permitted(user: string, need: 'READ' | 'WRITE', key: string, rangeEnd: string): boolean {
    const u = this.users.get(user)
    if (!u) return false
    if (u.roles.includes(ROOT)) return true
    for (const roleName of u.roles) {
      for (const p of this.roles.get(roleName)?.perms ?? []) {
        if (p.permType !== 'READWRITE' && p.permType !== need) continue
        if (covers(p, key, rangeEnd)) return true
      }
    }
    return false
  }

  toJSON() {
    return { enabled: this.enabled, revision: this.revision, users: [...this.users.values()], roles: [...this.roles.values()] }
  }

  restore(s: ReturnType<AuthStore['toJSON']>): void {
    this.enabled = s.enabled
    this.revision = s.revision
    this.users.clear()
    this.roles.clear()
    for (const u of s.users) this.users.set(u.name, { ...u, roles: [...u.roles] })
    for (const r of s.roles) this.roles.set(r.name, { ...r, perms: r.perms.map((p) => ({ ...p })) })
  }
}

/** Does permission p cover the request range [key, end)? ('' end = single key, '\0' = open end). */
function covers(p: Permission, key: string, end: string): boolean {
  const open = '\u0000'
  if (p.rangeEnd === '') return end === '' && key === p.key
  const pEndOpen = p.rangeEnd === open
  if (key < p.key) return false
  if (end === '') return pEndOpen || key < p.rangeEnd
  if (end === open) return pEndOpen
  return pEndOpen || end <= p.rangeEnd
}
