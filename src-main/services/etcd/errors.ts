// One place that turns gRPC failures into typed, user-facing errors with etcd's meaning. etcd puts its
// own error text in the status details ("etcdserver: …"); that text, not the gRPC code alone, says
// what happened.

import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js'
import { AppError, ErrorCode } from '../../shared'

/** etcd's failure kinds that the app reacts to differently. */
export type EtcdErrorKind =
  | 'unavailable'
  | 'timeout'
  | 'auth-failed'
  | 'auth-token-invalid'
  | 'auth-not-enabled'
  | 'permission-denied'
  | 'compacted'
  | 'future-revision'
  | 'request-too-large'
  | 'no-space'
  | 'no-leader'
  | 'not-leader'
  | 'lease-not-found'
  | 'member-not-found'
  | 'key-not-found'
  | 'unhealthy-cluster'
  | 'tls'
  | 'unimplemented'
  | 'invalid-argument'
  | 'other'

export class EtcdError extends AppError {
  constructor(
    readonly kind: EtcdErrorKind,
    code: ErrorCode,
    message: string,
    hint?: string,
    readonly grpcCode?: number,
  ) {
    super(code, message, hint, { etcd: kind, ...(grpcCode !== undefined ? { grpcCode } : {}) })
    this.name = 'EtcdError'
  }
}

const isServiceError = (e: unknown): e is ServiceError => typeof e === 'object' && e !== null && 'code' in e && 'details' in e

interface Rule {
  match: RegExp
  kind: EtcdErrorKind
  code: ErrorCode
  message: (detail: string) => string
  hint?: string
}

// Ordered: the first match wins. Patterns follow etcd 3.4's error strings (rpctypes).
const rules: Rule[] = [
  { match: /authentication failed, invalid user ID or password/, kind: 'auth-failed', code: ErrorCode.PermissionDenied, message: () => 'Authentication failed: wrong user name or password.', hint: 'Check the user name and password of this connection.' },
  { match: /invalid auth token/, kind: 'auth-token-invalid', code: ErrorCode.PermissionDenied, message: () => 'The authentication token expired.', hint: 'Raftdeck signs in again by itself; retry.' },
  { match: /authentication is not enabled/, kind: 'auth-not-enabled', code: ErrorCode.FailedPrecondition, message: () => 'This cluster does not have authentication enabled, but a user name was given.', hint: 'Remove the user name and password from the connection, or enable auth on the cluster.' },
  { match: /user name is empty|user name not found|invalid auth management/, kind: 'auth-failed', code: ErrorCode.PermissionDenied, message: (d) => `Authentication failed: ${d}.`, hint: 'Check the user name of this connection.' },
  { match: /permission denied/, kind: 'permission-denied', code: ErrorCode.PermissionDenied, message: () => 'Permission denied: this user has no role that allows the operation.', hint: 'Grant the user a role with the needed permission (etcdctl role grant-permission), or connect as another user.' },
  { match: /required revision has been compacted/, kind: 'compacted', code: ErrorCode.FailedPrecondition, message: () => 'That revision has been compacted: etcd no longer keeps it.', hint: 'Use a revision at or after the compaction revision.' },
  { match: /required revision is a future revision/, kind: 'future-revision', code: ErrorCode.InvalidParams, message: () => 'That revision does not exist yet.', hint: 'Use a revision at or before the current one.' },
  { match: /request is too large/, kind: 'request-too-large', code: ErrorCode.ResourceExhausted, message: () => 'The request is larger than the server accepts (etcd: request is too large).', hint: "Split the write, or raise the members' --max-request-bytes." },
  { match: /database space exceeded/, kind: 'no-space', code: ErrorCode.ResourceExhausted, message: () => 'The cluster is out of space (NOSPACE alarm): only reads, deletes and compaction are allowed.', hint: 'Compact and defragment, then disarm the NOSPACE alarm; or raise --quota-backend-bytes.' },
  { match: /no leader/, kind: 'no-leader', code: ErrorCode.Unavailable, message: () => 'The cluster has no leader right now.', hint: 'A quorum of members must be running and reachable; check the cluster view.' },
  { match: /leader changed|not leader|not a leader/, kind: 'not-leader', code: ErrorCode.Unavailable, message: (d) => `Leadership changed during the request (${d}).`, hint: 'Retry.' },
  { match: /requested lease not found/, kind: 'lease-not-found', code: ErrorCode.NotFound, message: () => 'The lease does not exist (it expired or was revoked).' },
  { match: /member not found/, kind: 'member-not-found', code: ErrorCode.NotFound, message: () => 'No such member.' },
  { match: /unhealthy cluster|re-configuration failed due to not enough started members/, kind: 'unhealthy-cluster', code: ErrorCode.FailedPrecondition, message: (d) => `The cluster refused the membership change: ${d}.`, hint: 'etcd changes membership only while every member is up and has been connected for a few seconds: start stopped members, wait a moment, and retry.' },
  { match: /key not found/, kind: 'key-not-found', code: ErrorCode.NotFound, message: () => 'Key not found.' },
]

function cleanDetail(details: string): string {
  return details.replace(/^etcdserver: /, '').replace(/^rpc error: code = \w+ desc = /, '')
}

/** Maps any error from a gRPC call to an EtcdError naming what happened and what to do. */
export function fromGrpcError(err: unknown, context: string): EtcdError {
  if (err instanceof EtcdError) return err
  if (!isServiceError(err)) {
    const message = err instanceof Error ? err.message : String(err)
    return new EtcdError('other', ErrorCode.Internal, `${context}: ${message}`)
  }
  const details = err.details ?? ''
  for (const r of rules) {
    if (r.match.test(details)) return new EtcdError(r.kind, r.code, r.message(cleanDetail(details)), r.hint, err.code)
  }
  switch (err.code) {
    case GrpcStatus.UNAVAILABLE:
      if (/certificate|SSL|TLS|handshake|alert/i.test(details))
        return new EtcdError('tls', ErrorCode.Unavailable, `${context}: TLS failed (${details}).`, 'Run "Test connection" for a precise diagnosis of the certificates.', err.code)
      return new EtcdError('unavailable', ErrorCode.Unavailable, `${context}: the endpoint cannot be reached (${details || 'unavailable'}).`, 'Check that etcd is running and that the address and port are right.', err.code)
    case GrpcStatus.DEADLINE_EXCEEDED:
      return new EtcdError('timeout', ErrorCode.Timeout, `${context}: no answer before the deadline.`, 'The cluster may be overloaded or without a leader; check its health.', err.code)
    case GrpcStatus.UNIMPLEMENTED:
      return new EtcdError('unimplemented', ErrorCode.FailedPrecondition, `${context}: the server does not implement this (${details}).`, undefined, err.code)
    case GrpcStatus.INVALID_ARGUMENT:
    case GrpcStatus.OUT_OF_RANGE:
      return new EtcdError('invalid-argument', ErrorCode.InvalidParams, `${context}: ${cleanDetail(details)}.`, undefined, err.code)
    case GrpcStatus.PERMISSION_DENIED:
    case GrpcStatus.UNAUTHENTICATED:
      return new EtcdError('permission-denied', ErrorCode.PermissionDenied, `${context}: ${cleanDetail(details)}.`, undefined, err.code)
    case GrpcStatus.RESOURCE_EXHAUSTED:
      return new EtcdError('request-too-large', ErrorCode.ResourceExhausted, `${context}: ${cleanDetail(details)}.`, undefined, err.code)
    default:
      return new EtcdError('other', ErrorCode.Internal, `${context}: ${cleanDetail(details) || err.message}.`, undefined, err.code)
  }
}
