// A simple token from a login on one member must work at once on a member that has not applied that
// login yet: the call waits for the login's log index (etcd's isValidSimpleToken), and a made-up
// index leaves no waiter behind.
import * as grpc from '@grpc/grpc-js'
import { describe, expect, it } from 'vitest'
import { AuthStore, simpleTokenIndex, simpleTokenKey } from '../../../src-main/member/auth/store'
import { authInfoOf, unary } from '../../../src-main/member/api/handler'
import { AppliedWaiters } from '../../../src-main/member/server/waiters'

function member() {
  const auth = new AuthStore()
  auth.userAdd('root', '')
  auth.roleAdd('root')
  auth.userGrantRole('root', 'root')
  auth.enable()
  const waiters = new AppliedWaiters()
  const state = { auth, appliedIndex: 10 }
  const ctx = {
    state: state as never,
    log: () => {},
    appliedAtLeast: (index: number, ms: number) => waiters.waitUpTo(index, state.appliedIndex, ms),
  }
  /** Applies entries up to `index`, the last of which may be a login. */
  const apply = (index: number, login?: { user: string; token: string }) => {
    if (login) auth.assignToken(login.user, login.token)
    state.appliedIndex = index
    waiters.applied(index)
  }
  return { auth, ctx, apply, waiters }
}

function call(handler: grpc.handleUnaryCall<unknown, unknown>, token: string): Promise<{ err: grpc.ServiceError | null; res: unknown }> {
  const metadata = new grpc.Metadata()
  metadata.set('token', token)
  return new Promise((resolve) => {
    handler({ request: {}, metadata, getPath: () => '/test' } as never, ((err: grpc.ServiceError | null, res: unknown) => resolve({ err, res })) as never)
  })
}

describe('simple tokens name the log index of their login', () => {
  it('splits a token into the login it names and the index to wait for', () => {
    expect(simpleTokenKey('abcdef.42')).toBe('abcdef')
    expect(simpleTokenIndex('abcdef.42')).toBe(42)
    expect(simpleTokenIndex('abcdef')).toBe(0)
    expect(simpleTokenIndex('abc.4x')).toBe(0)
    expect(simpleTokenKey('nodot')).toBe('nodot')
  })

  it('a token is known by its login whatever index it names', () => {
    const { auth } = member()
    auth.userAdd('u', 'hash')
    auth.assignToken('u', 'feed.9')
    expect(authInfoOf(auth, md('feed.12'))?.username).toBe('u')
    expect(() => authInfoOf(auth, md('beef.12'))).toThrow('invalid auth token')
  })

  it('a call with a token from a login not applied here yet waits for it, then succeeds', async () => {
    const { auth, ctx, apply } = member()
    auth.userAdd('u', 'hash')
    const handler = unary(ctx, async (_req, c) => authInfoOf(auth, c.metadata)?.username)
    const pending = call(handler, 'cafe.12')
    let settled = false
    void pending.then(() => (settled = true))
    await new Promise((r) => setImmediate(r))
    expect(settled).toBe(false) // without the wait this answers "invalid auth token" at once
    apply(11)
    await new Promise((r) => setImmediate(r))
    expect(settled).toBe(false)
    apply(12, { user: 'u', token: 'cafe.9' })
    const { err, res } = await pending
    expect(err).toBeNull()
    expect(res).toBe('u')
  })

  it('an index that never comes times out and leaves no waiter behind', async () => {
    const waiters = new AppliedWaiters()
    expect(await waiters.waitUpTo(1e12, 10, 20)).toBe(false)
    // The timed-out waiter is gone: applying far ahead resolves nothing and throws nothing.
    expect((waiters as unknown as { waiting: unknown[] }).waiting).toHaveLength(0)
    expect(await waiters.waitUpTo(5, 10, 20)).toBe(true)
  })
})

function md(token: string): grpc.Metadata {
  const m = new grpc.Metadata()
  m.set('token', token)
  return m
}
