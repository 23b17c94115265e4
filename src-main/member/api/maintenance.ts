/** etcdserverpb.Maintenance: Status, Alarm, Defragment, Hash, HashKV, MoveLeader, Snapshot. */
import * as grpc from '@grpc/grpc-js'
import { SERVER_VERSION, type EtcdServer } from '../server/etcdServer'
import { moveLeader } from '../server/membership'
import { requireAdmin, toServiceError, unary } from './handler'
import { streamSnapshot } from '../snapshot/serve'

/** A fresh etcd reports a bbolt file of this size; our store adds its own bytes on top. */
const BASE_DB_SIZE = 20 * 1024

export function maintenanceService(server: EtcdServer): grpc.UntypedServiceImplementation {
  return {
    Status: unary(server, async () => {
      const st = server.raft.status()
      const size = BASE_DB_SIZE + server.sm.store.sizeInUse()
      return {
        header: server.header(),
        version: SERVER_VERSION,
        dbSize: String(size),
        dbSizeInUse: String(size),
        leader: st.lead,
        raftIndex: String(st.commit),
        raftTerm: String(st.term),
        raftAppliedIndex: String(server.raft.applied),
        errors: server.sm.alarmList().map((a) => `memberID:${a.memberID} alarm:${a.alarm} `),
        isLearner: server.sm.cluster.get(server.localId)?.isLearner ?? false,
      }
    }),
    Alarm: unary(server, async (req: { action: 'GET' | 'ACTIVATE' | 'DEACTIVATE'; memberID: string; alarm: 'NONE' | 'NOSPACE' | 'CORRUPT' }, call) => {
      // Every alarm request, GET included, goes through the log as in etcd (a consistent answer).
      if (req.action !== 'GET') requireAdmin(server, call.metadata)
      const out = await server.propose({ alarm: req })
      return { header: server.header(out.revision), ...(out.result as object) }
    }),
    // The store lives in memory and snapshots are written compact, so there is nothing to defragment.
    Defragment: unary(server, async () => ({ header: server.header() })),
    Hash: unary(server, async () => ({ header: server.header(), hash: server.sm.store.hashKV(0) })),
    HashKV: unary(server, async (req: { revision: string }) => {
      const hash = server.sm.store.hashKV(Number(req.revision))
      // etcd reports -1 until the first compaction.
      const compacted = server.sm.store.compactRev
      return { header: server.header(), hash, compact_revision: compacted === 0 ? '-1' : String(compacted) }
    }),
    MoveLeader: unary(server, async (req: { targetID: string }, call) => {
      requireAdmin(server, call.metadata)
      await moveLeader(server, req.targetID)
      return { header: server.header() }
    }),
    // An etcd 3.4 snapshot file of the applied state, streamed without stalling Raft (snapshot/serve.ts).
    Snapshot: (call: grpc.ServerWritableStream<unknown, unknown>) => {
      Promise.resolve()
        .then(() => requireAdmin(server, call.metadata))
        .then(() => streamSnapshot(server, call))
        .catch((err: unknown) => {
          if (!call.cancelled) call.emit('error', toServiceError(err))
        })
    },
  }
}
