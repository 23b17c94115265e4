/** Glue between grpc-js handlers and the member: error mapping and the auth context. */
import * as grpc from '@grpc/grpc-js'
import type { AuthInfo, AuthStore } from '../auth/store'
import { EtcdError } from '../errors'
import type { AuthSource } from '../server/ports'

export function toServiceError(err: unknown): Partial<grpc.StatusObject> {
  if (err instanceof EtcdError) return { code: err.code, details: err.message }
  return { code: grpc.status.UNKNOWN, details: err instanceof Error ? err.message : String(err) }
}

type UnaryCall<Req> = grpc.ServerUnaryCall<Req, unknown>

/** A unary handler from an async function; EtcdErrors become etcd's status code and message. */
export function unary<Req, Res>(ctx: { log(line: string): void }, fn: (req: Req, call: UnaryCall<Req>) => Promise<Res>): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    fn(call.request, call).then(
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
