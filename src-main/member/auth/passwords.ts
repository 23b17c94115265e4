/**
 * Password hashing and checking for the API, off the Raft loop. A member runs Raft, the apply path
 * and every client request on one thread; a cost-10 bcrypt takes a few hundred milliseconds of
 * JavaScript, so it runs in slices between other work (bcrypt.ts) and at most HASH_PARALLELISM
 * at a time, the rest waiting their turn. The log only ever holds the hash: passwords are hashed
 * before they are proposed (as etcd 3.5 does), so applying an entry never hashes.
 */
import { scrypt, timingSafeEqual } from 'node:crypto'
import { bcryptHash, bcryptVerifyAsync, isBcryptHash } from './bcrypt'

/** Hashes computed at once; more wait (a login flood cannot take the whole CPU from Raft). */
const HASH_PARALLELISM = 2

let running = 0
const queue: Array<() => void> = []

async function limited<T>(work: () => Promise<T>): Promise<T> {
  if (running >= HASH_PARALLELISM) await new Promise<void>((resolve) => queue.push(resolve))
  running++
  try {
    return await work()
  } finally {
    running--
    queue.shift()?.()
  }
}

/** A new password's bcrypt hash at `cost` (--bcrypt-cost), as etcd stores it. */
export function hashPassword(password: string, cost: number): Promise<string> {
  return limited(() => bcryptHash(password, cost))
}

/**
 * Does `password` match `stored`? bcrypt hashes (ours and etcd's); `scrypt$salt$hash` from members
 * of earlier Raftdeck versions still verify. An empty stored password (a user added with
 * --no-password) matches nothing.
 */
export function verifyPassword(stored: string, password: string): Promise<boolean> {
  if (!stored) return Promise.resolve(false)
  if (isBcryptHash(stored)) return limited(() => bcryptVerifyAsync(stored, password))
  const [kind, salt, hash] = stored.split('$')
  if (kind !== 'scrypt' || !salt || !hash) return Promise.resolve(false)
  return new Promise((resolve) =>
    scrypt(password, Buffer.from(salt, 'hex'), 32, (err, got) => {
      const want = Buffer.from(hash, 'hex')
      resolve(!err && got.length === want.length && timingSafeEqual(got, want))
    }),
  )
}
