/**
 * A learner replicates but does not vote; like etcd 3.4 (its gRPC interceptors), it serves only
 * Status and serializable Range and refuses every other call, unary or stream, with "rpc not
 * supported for learner" (Unavailable, which clients take as "try another endpoint").
 * `test/integration/member/membership.test.ts` compares the answers with a real etcd learner.
 */
import type * as grpc from '@grpc/grpc-js'
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
 * What a learner answers instead of serving a call, before reading its request (etcd's interceptor
 * order); undefined on a voting member, so the common path costs one check. Applied to every call
 * by the client port's stream hook (`unaryPath.ts`).
 */
export function learnerRefusal(member: Pick<Roles, 'isLearner'>, path: string): { code: grpc.status; details: string } | undefined {
  if (!member.isLearner() || servedByLearner(path)) return undefined
  const refusal = Errors.learnerNotSupported()
  return { code: refusal.code, details: refusal.message }
}
