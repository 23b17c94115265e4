/**
 * etcd's client-visible errors: the gRPC status code and the exact message etcd sends, because
 * etcdctl prints the message verbatim ("Error: etcdserver: ...") and clients match on it.
 */
import { status } from '@grpc/grpc-js'

export class EtcdError extends Error {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message)
    this.name = 'EtcdError'
  }
}

/**
 * A factory per error; its `message` lets callers recognise an error without building one (an
 * Error captures a stack trace, which the write path paid on every proposal).
 */
const e = (code: status, message: string) => Object.assign(() => new EtcdError(code, message), { message })

export const Errors = {
  emptyKey: e(status.INVALID_ARGUMENT, 'etcdserver: key is not provided'),
  keyNotFound: e(status.INVALID_ARGUMENT, 'etcdserver: key not found'),
  valueProvided: e(status.INVALID_ARGUMENT, 'etcdserver: value is provided'),
  leaseProvided: e(status.INVALID_ARGUMENT, 'etcdserver: lease is provided'),
  tooManyOps: e(status.INVALID_ARGUMENT, 'etcdserver: too many operations in txn request'),
  duplicateKey: e(status.INVALID_ARGUMENT, 'etcdserver: duplicate key given in txn request'),
  compacted: e(status.OUT_OF_RANGE, 'etcdserver: mvcc: required revision has been compacted'),
  futureRev: e(status.OUT_OF_RANGE, 'etcdserver: mvcc: required revision is a future revision'),
  noSpace: e(status.RESOURCE_EXHAUSTED, 'etcdserver: mvcc: database space exceeded'),
  requestTooLarge: e(status.INVALID_ARGUMENT, 'etcdserver: request is too large'),

  leaseNotFound: e(status.NOT_FOUND, 'etcdserver: requested lease not found'),
  leaseExist: e(status.FAILED_PRECONDITION, 'etcdserver: lease already exists'),
  leaseTTLTooLarge: e(status.OUT_OF_RANGE, 'etcdserver: too large lease TTL'),

  memberExist: e(status.FAILED_PRECONDITION, 'etcdserver: member ID already exist'),
  peerURLExist: e(status.FAILED_PRECONDITION, 'etcdserver: Peer URLs already exists'),
  memberNotEnoughStarted: e(status.FAILED_PRECONDITION, 'etcdserver: re-configuration failed due to not enough started members'),
  memberBadURLs: e(status.INVALID_ARGUMENT, 'etcdserver: given member URLs are invalid'),
  memberNotFound: e(status.NOT_FOUND, 'etcdserver: member not found'),
  memberNotLearner: e(status.FAILED_PRECONDITION, 'etcdserver: can only promote a learner member'),
  learnerNotReady: e(status.FAILED_PRECONDITION, 'etcdserver: can only promote a learner member which is in sync with leader'),
  tooManyLearners: e(status.FAILED_PRECONDITION, 'etcdserver: too many learner members in cluster'),

  notLeader: e(status.FAILED_PRECONDITION, 'etcdserver: not leader'),
  leaderChanged: e(status.UNAVAILABLE, 'etcdserver: leader changed'),
  noLeader: e(status.UNAVAILABLE, 'etcdserver: no leader'),
  notCapable: e(status.UNAVAILABLE, 'etcdserver: not capable'),
  stopped: e(status.UNAVAILABLE, 'etcdserver: server stopped'),
  timeout: e(status.UNAVAILABLE, 'etcdserver: request timed out'),
  timeoutDueToLeaderFail: e(status.UNAVAILABLE, 'etcdserver: request timed out, possibly due to previous leader failure'),
  unhealthy: e(status.UNAVAILABLE, 'etcdserver: unhealthy cluster'),
  corrupt: e(status.DATA_LOSS, 'etcdserver: corrupt cluster'),
  badLeaderTransferee: e(status.FAILED_PRECONDITION, 'etcdserver: bad leader transferee'),
  learnerNotSupported: e(status.UNAVAILABLE, 'etcdserver: rpc not supported for learner'),

  rootUserNotExist: e(status.FAILED_PRECONDITION, 'etcdserver: root user does not exist'),
  rootRoleNotExist: e(status.FAILED_PRECONDITION, 'etcdserver: root user does not have root role'),
  userAlreadyExist: e(status.FAILED_PRECONDITION, 'etcdserver: user name already exists'),
  userEmpty: e(status.INVALID_ARGUMENT, 'etcdserver: user name is empty'),
  userNotFound: e(status.FAILED_PRECONDITION, 'etcdserver: user name not found'),
  roleAlreadyExist: e(status.FAILED_PRECONDITION, 'etcdserver: role name already exists'),
  roleNotFound: e(status.FAILED_PRECONDITION, 'etcdserver: role name not found'),
  roleEmpty: e(status.INVALID_ARGUMENT, 'etcdserver: role name is empty'),
  authFailed: e(status.INVALID_ARGUMENT, 'etcdserver: authentication failed, invalid user ID or password'),
  permissionDenied: e(status.PERMISSION_DENIED, 'etcdserver: permission denied'),
  roleNotGranted: e(status.FAILED_PRECONDITION, 'etcdserver: role is not granted to the user'),
  permissionNotGranted: e(status.FAILED_PRECONDITION, 'etcdserver: permission is not granted to the role'),
  permissionNotGiven: e(status.INVALID_ARGUMENT, 'etcdserver: permission not given'),
  authNotEnabled: e(status.FAILED_PRECONDITION, 'etcdserver: authentication is not enabled'),
  invalidAuthToken: e(status.UNAUTHENTICATED, 'etcdserver: invalid auth token'),
  invalidAuthMgmt: e(status.INVALID_ARGUMENT, 'etcdserver: invalid auth management'),
  authOldRevision: e(status.INVALID_ARGUMENT, 'etcdserver: revision of auth store is old'),

  /** An entry the apply layers did not foresee: refused alike on every member instead of crashing them. */
  applyFailed: (why: string) => new EtcdError(status.INTERNAL, `etcdserver: request could not be applied: ${why}`),
}
