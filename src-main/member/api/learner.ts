/**
 * A learner replicates but does not vote; like etcd, it serves only serializable reads and
 * member-local maintenance calls, and refuses the rest with "rpc not supported for learner".
 */
import { Errors } from '../errors'
import type { Roles } from '../server/ports'

export function rejectIfLearner(member: Pick<Roles, 'isLearner'>): void {
  if (member.isLearner()) throw Errors.learnerNotSupported()
}
