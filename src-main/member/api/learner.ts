/**
 * A learner replicates but does not vote; like etcd 3.4 (its gRPC interceptors), it serves only
 * Status and serializable Range and refuses every other call, unary or stream, with "rpc not
 * supported for learner" (Unavailable, which clients take as "try another endpoint").
 * `test/integration/member/membership.test.ts` compares the answers with a real etcd learner.
 */
import * as grpc from '@grpc/grpc-js'
import { Errors } from '../errors'
import type { Roles } from '../server/ports'

export function rejectIfLearner(member: Pick<Roles, 'isLearner'>): void {
  if (member.isLearner()) throw Errors.learnerNotSupported()
}

/**
 * Calls a learner answers. Range is here because a serializable one is served: the KV handler
 * refuses the linearizable ones. raftdeck's own debug service is served to the playground on
 * every member.
 */
function servedByLearner(path: string): boolean {
  return path === '/etcdserverpb.Maintenance/Status' || path === '/etcdserverpb.KV/Range' || path.startsWith('/raftdeck.')
}

/**
 * Refuses, on a learner, every call it does not serve, before the call reads its request. A member
 * that is not a learner gets the call back untouched, so the common path costs one check.
 */
export function learnerInterceptor(member: Pick<Roles, 'isLearner'>): grpc.ServerInterceptor {
  return (method, call) => {
    if (!member.isLearner() || servedByLearner(method.path)) return call as grpc.ServerInterceptingCall
    return new grpc.ServerInterceptingCall(call, {
      start: () => {
        const refusal = Errors.learnerNotSupported()
        call.sendStatus({ code: refusal.code, details: refusal.message, metadata: new grpc.Metadata() })
      },
    })
  }
}
