/**
 * A learner replicates but does not vote; like etcd, it serves only serializable reads and
 * member-local maintenance calls, and refuses the rest with "rpc not supported for learner".
 */
import { Errors } from '../errors'
import type { EtcdServer } from '../server/etcdServer'

export function rejectIfLearner(server: EtcdServer): void {
  if (server.sm.cluster.get(server.localId)?.isLearner) throw Errors.learnerNotSupported()
}
