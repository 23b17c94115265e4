// One place that turns gRPC failures into typed, user-facing errors with etcd's meaning. etcd puts its
// own error text in the status details ("etcdserver: …"); that text, not the gRPC code alone, says
// what happened.

import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js'
import { AppError, ErrorCode, msg, type Msg } from '../../shared'

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
    message: string | Msg,
    hint?: string | Msg,
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
  message: (detail: string) => Msg
  hint?: Msg
}

// Ordered: the first match wins. Patterns follow etcd 3.4's error strings (rpctypes).
const rules: Rule[] = [
  { match: /authentication failed, invalid user ID or password/, kind: 'auth-failed', code: ErrorCode.PermissionDenied, message: () => msg('conn.etcd.authFailed'), hint: msg('conn.etcd.authFailedHint') },
  { match: /invalid auth token/, kind: 'auth-token-invalid', code: ErrorCode.PermissionDenied, message: () => msg('conn.etcd.tokenExpired'), hint: msg('conn.etcd.tokenExpiredHint') },
  { match: /authentication is not enabled/, kind: 'auth-not-enabled', code: ErrorCode.FailedPrecondition, message: () => msg('conn.etcd.authNotEnabled'), hint: msg('conn.etcd.authNotEnabledHint') },
  { match: /user name is empty|user name not found|invalid auth management/, kind: 'auth-failed', code: ErrorCode.PermissionDenied, message: (d) => msg('conn.etcd.authFailedDetail', { detail: d }), hint: msg('conn.etcd.authFailedDetailHint') },
  { match: /permission denied/, kind: 'permission-denied', code: ErrorCode.PermissionDenied, message: () => msg('conn.etcd.permissionDenied'), hint: msg('conn.etcd.permissionDeniedHint') },
  { match: /required revision has been compacted/, kind: 'compacted', code: ErrorCode.FailedPrecondition, message: () => msg('conn.etcd.compacted'), hint: msg('conn.etcd.compactedHint') },
  { match: /required revision is a future revision/, kind: 'future-revision', code: ErrorCode.InvalidParams, message: () => msg('conn.etcd.futureRevision'), hint: msg('conn.etcd.futureRevisionHint') },
  { match: /request is too large/, kind: 'request-too-large', code: ErrorCode.ResourceExhausted, message: () => msg('conn.etcd.tooLarge'), hint: msg('conn.etcd.tooLargeHint') },
  { match: /database space exceeded/, kind: 'no-space', code: ErrorCode.ResourceExhausted, message: () => msg('conn.etcd.noSpace'), hint: msg('conn.etcd.noSpaceHint') },
  { match: /no leader/, kind: 'no-leader', code: ErrorCode.Unavailable, message: () => msg('conn.etcd.noLeader'), hint: msg('conn.etcd.noLeaderHint') },
  { match: /leader changed|not leader|not a leader/, kind: 'not-leader', code: ErrorCode.Unavailable, message: (d) => msg('conn.etcd.leaderChanged', { detail: d }), hint: msg('conn.etcd.retry') },
  { match: /requested lease not found/, kind: 'lease-not-found', code: ErrorCode.NotFound, message: () => msg('conn.etcd.leaseNotFound') },
  { match: /member not found/, kind: 'member-not-found', code: ErrorCode.NotFound, message: () => msg('conn.etcd.memberNotFound') },
  { match: /unhealthy cluster|re-configuration failed due to not enough started members/, kind: 'unhealthy-cluster', code: ErrorCode.FailedPrecondition, message: (d) => msg('conn.etcd.unhealthyCluster', { detail: d }), hint: msg('conn.etcd.unhealthyClusterHint') },
  { match: /key not found/, kind: 'key-not-found', code: ErrorCode.NotFound, message: () => msg('conn.etcd.keyNotFound') },
]

function cleanDetail(details: string): string {
  return details.replace(/^etcdserver: /, '').replace(/^rpc error: code = \w+ desc = /, '')
}

/** Maps any error from a gRPC call to an EtcdError naming what happened and what to do. */
export function fromGrpcError(err: unknown, context: string): EtcdError {
  if (err instanceof EtcdError) return err
  if (!isServiceError(err)) {
    const message = err instanceof Error ? err.message : String(err)
    return new EtcdError('other', ErrorCode.Internal, msg('conn.etcd.other', { context, detail: message }))
  }
  const details = err.details ?? ''
  for (const r of rules) {
    if (r.match.test(details)) return new EtcdError(r.kind, r.code, r.message(cleanDetail(details)), r.hint, err.code)
  }
  switch (err.code) {
    case GrpcStatus.UNAVAILABLE:
      if (/certificate|SSL|TLS|handshake|alert/i.test(details))
        return new EtcdError('tls', ErrorCode.Unavailable, msg('conn.etcd.tls', { context, detail: details }), msg('conn.etcd.tlsHint'), err.code)
      return new EtcdError('unavailable', ErrorCode.Unavailable, msg('conn.etcd.unavailable', { context, detail: details || 'unavailable' }), msg('conn.etcd.unavailableHint'), err.code)
    case GrpcStatus.DEADLINE_EXCEEDED:
      return new EtcdError('timeout', ErrorCode.Timeout, msg('conn.etcd.deadline', { context }), msg('conn.etcd.deadlineHint'), err.code)
    case GrpcStatus.UNIMPLEMENTED:
      return new EtcdError('unimplemented', ErrorCode.FailedPrecondition, msg('conn.etcd.unimplemented', { context, detail: details }), undefined, err.code)
    case GrpcStatus.INVALID_ARGUMENT:
    case GrpcStatus.OUT_OF_RANGE:
      return new EtcdError('invalid-argument', ErrorCode.InvalidParams, msg('conn.etcd.otherDot', { context, detail: cleanDetail(details) }), undefined, err.code)
    case GrpcStatus.PERMISSION_DENIED:
    case GrpcStatus.UNAUTHENTICATED:
      return new EtcdError('permission-denied', ErrorCode.PermissionDenied, msg('conn.etcd.otherDot', { context, detail: cleanDetail(details) }), undefined, err.code)
    case GrpcStatus.RESOURCE_EXHAUSTED:
      return new EtcdError('request-too-large', ErrorCode.ResourceExhausted, msg('conn.etcd.otherDot', { context, detail: cleanDetail(details) }), undefined, err.code)
    default:
      return new EtcdError('other', ErrorCode.Internal, msg('conn.etcd.otherDot', { context, detail: cleanDetail(details) || err.message }), undefined, err.code)
  }
}
