/** Glue between grpc-js handlers and the server: error mapping and the auth context. */
import * as grpc from '@grpc/grpc-js'
import { EtcdError, Errors } from '../errors'
import type { EtcdServer } from '../server/etcdServer'

export function toServiceError(err: unknown): Partial<grpc.StatusObject> {
  if (err instanceof EtcdError) return { code: err.code, details: err.message }
  return { code: grpc.status.UNKNOWN, details: err instanceof Error ? err.message : String(err) }
}

type UnaryCall<Req> = grpc.ServerUnaryCall<Req, unknown>

/** A unary handler from an async function; EtcdErrors become etcd's status code and message. */
export function unary<Req, Res>(server: EtcdServer, fn: (req: Req, call: UnaryCall<Req>) => Promise<Res>): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    fn(call.request, call).then(
      (res) => callback(null, res),
      (err: unknown) => {
        if (!(err instanceof EtcdError)) server.log(`internal error in ${call.getPath()}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`)
        callback(toServiceError(err) as grpc.ServiceError)
      },
    )
  }
}

/**
 * Who is calling, when auth is enabled: the user behind the `token` metadata etcd clients send.
 * Returns undefined when auth is off (everything allowed).
 */
export function callerOf(server: EtcdServer, metadata: grpc.Metadata): string | undefined {
  const auth = server.sm.auth
  if (!auth.enabled) return undefined
  const token = metadata.get('token')[0]
  if (token === undefined) throw Errors.userEmpty()
  return auth.userOfToken(String(token))
}

export function requireAdmin(server: EtcdServer, metadata: grpc.Metadata): void {
  const user = callerOf(server, metadata)
  if (user !== undefined && !server.sm.auth.isAdmin(user)) throw Errors.permissionDenied()
}

/** Permission check for a key range in etcd's encoding (range_end bytes as sent). */
export function requirePermission(server: EtcdServer, metadata: grpc.Metadata, need: 'READ' | 'WRITE', key: Buffer, rangeEnd: Buffer): void {
  const user = callerOf(server, metadata)
  if (user === undefined) return
  if (!server.sm.auth.permitted(user, need, key.toString('latin1'), rangeEnd.toString('latin1'))) throw Errors.permissionDenied()
}
