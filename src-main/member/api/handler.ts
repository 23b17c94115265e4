/** Glue between grpc-js handlers and the member: error mapping and the auth context. */
import * as grpc from '@grpc/grpc-js'
import { simpleTokenIndex, type AuthInfo, type AuthStore } from '../auth/store'
import { EtcdError } from '../errors'
import type { ApiContext, AuthSource } from '../server/ports'

export function toServiceError(err: unknown): Partial<grpc.StatusObject> {
  if (err instanceof EtcdError) return { code: err.code, details: err.message }
  return { code: grpc.status.UNKNOWN, details: err instanceof Error ? err.message : String(err) }
}

type UnaryCall<Req> = grpc.ServerUnaryCall<Req, unknown>

/** How long a call waits for this member to apply the login its simple token names. */
const TOKEN_INDEX_WAIT_MS = 5_000

/**
 * A call whose simple token names a login this member has not applied yet waits for it (up to
 * TOKEN_INDEX_WAIT_MS), as etcd does, so a token from one member works at once on the others.
 * Undefined when there is nothing to wait for.
 */
export function tokenIndexWait(ctx: Pick<ApiContext, 'state' | 'appliedAtLeast'>, metadata: grpc.Metadata): Promise<boolean> | undefined {
  const token = tokenOf(metadata)
  if (token === undefined || ctx.state.auth.jwt) return undefined
  const index = simpleTokenIndex(token)
  return index > ctx.state.appliedIndex ? ctx.appliedAtLeast(index, TOKEN_INDEX_WAIT_MS) : undefined
}

/** A unary handler from an async function; EtcdErrors become etcd's status code and message. */
export function unary<Req, Res>(ctx: Pick<ApiContext, 'log' | 'state' | 'appliedAtLeast'>, fn: (req: Req, call: UnaryCall<Req>) => Promise<Res>): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const wait = tokenIndexWait(ctx, call.metadata)
    ;(wait ? wait.then(() => fn(call.request, call)) : fn(call.request, call)).then(
      (res) => callback(null, res),
      (err: unknown) => {
        if (!(err instanceof EtcdError)) ctx.log(`internal error in ${call.getPath()}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`)
        callback(toServiceError(err) as grpc.ServiceError)
      },
    )
  }
}

/** The `token` metadata etcd clients send after a login. */
function tokenOf(metadata: grpc.Metadata): string | undefined {
  const t = metadata.get('token')[0]
  return t === undefined ? undefined : String(t)
}

/**
 * Who is calling (etcd's AuthInfoFromCtx): undefined when auth is off (everything allowed); an
 * anonymous caller (no token) has user '' and revision 0; an invalid token fails the call.
 */
export function authInfoOf(auth: AuthStore, metadata: grpc.Metadata): AuthInfo | undefined {
  return auth.authInfo(tokenOf(metadata))
}

/** Admin-only calls (etcd's IsAdminPermitted): auth management, Hash, HashKV, Defragment, Snapshot… */
export function requireAdmin(auth: AuthStore, metadata: grpc.Metadata): void {
  const ai = authInfoOf(auth, metadata)
  if (ai) auth.checkAdmin(ai)
}

/** Permission check for a key range in etcd's encoding (range_end bytes as sent), as etcd checks before serving or proposing. */
export function requirePermission(auth: AuthStore, metadata: grpc.Metadata, need: 'READ' | 'WRITE', key: Buffer, rangeEnd: Buffer): void {
  const ai = authInfoOf(auth, metadata)
  if (ai) auth.checkOp(ai, need, key.toString('latin1'), rangeEnd.toString('latin1'))
}

/**
 * The identity a client's proposal carries into the log (etcd's RequestHeader): the token's user
 * and auth revision, asked again for every attempt. Every member checks it again when it applies
 * the entry. Without a token (or with auth off) the request is anonymous; an invalid token fails
 * the call.
 */
export function authOf(auth: AuthStore, metadata: grpc.Metadata): AuthSource {
  return () => authInfoOf(auth, metadata) ?? { username: '', revision: 0 }
}
