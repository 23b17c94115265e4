/** Glue between grpc-js handlers and the member: error mapping and the auth context. */
import * as grpc from '@grpc/grpc-js'
import type { AuthStore } from '../auth/store'
import { EtcdError, Errors } from '../errors'
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

/**
 * Who is calling, when auth is enabled: the user behind the `token` metadata etcd clients send.
 * Returns undefined when auth is off (everything allowed).
 */
export function callerOf(auth: AuthStore, metadata: grpc.Metadata): string | undefined {
  if (!auth.enabled) return undefined
  const token = metadata.get('token')[0]
  if (token === undefined) throw Errors.userEmpty()
  return auth.userOfToken(String(token))
}

export function requireAdmin(auth: AuthStore, metadata: grpc.Metadata): void {
  const user = callerOf(auth, metadata)
  if (user !== undefined && !auth.isAdmin(user)) throw Errors.permissionDenied()
}

/** Permission check for a key range in etcd's encoding (range_end bytes as sent). */
export function requirePermission(auth: AuthStore, metadata: grpc.Metadata, need: 'READ' | 'WRITE', key: Buffer, rangeEnd: Buffer): void {
  const user = callerOf(auth, metadata)
  if (user === undefined) return
  if (!auth.permitted(user, need, key.toString('latin1'), rangeEnd.toString('latin1'))) throw Errors.permissionDenied()
}

/**
 * The identity a client's proposal carries into the log (etcd's AuthInfoFromCtx): the token's user
 * and the auth revision now. Every member checks it again when it applies the entry. Without a
 * token (or with auth off) the request is anonymous; an invalid token fails the call.
 */
export function authOf(auth: AuthStore, metadata: grpc.Metadata): AuthSource {
  return () => {
    const token = metadata.get('token')[0]
    if (!auth.enabled || token === undefined) return { username: '', revision: 0 }
    return { username: auth.userOfToken(String(token)), revision: auth.revision }
  }
}
