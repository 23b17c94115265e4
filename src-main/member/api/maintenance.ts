/** etcdserverpb.Maintenance: Status, Alarm, Defragment, Hash, HashKV, MoveLeader, Snapshot. */
import * as grpc from '@grpc/grpc-js'
import { moveLeader } from '../server/membership'
import type { ApiContext, MembershipHost, RaftView } from '../server/ports'
import { EtcdError } from '../errors'
import { SERVER_VERSION } from '../server/version'
import { streamSnapshot, type SnapshotSource } from '../snapshot/serve'
import { authOf, requireAdmin, toServiceError, unary } from './handler'

/** A fresh etcd reports a bbolt file of this size; our store adds its own bytes on top. */
const BASE_DB_SIZE = 20 * 1024

export type MaintenanceHost = ApiContext & MembershipHost & RaftView & SnapshotSource

/**
 * etcd's authMaintenanceServer: Defragment, Snapshot, Hash and HashKV need an admin once auth is
 * on, and etcd 3.4 hands back the auth store's own error unconverted (gRPC code UNKNOWN, message
 * "auth: …"), which is what its clients see; so do ours.
 */
/** Errors of etcd's auth store, which it words "auth: …" where it does not convert them. */
const AUTH_ERRORS = new Set(['etcdserver: invalid auth token', 'etcdserver: user name is empty', 'etcdserver: permission denied', 'etcdserver: user name not found', 'etcdserver: revision of auth store is old'])

function requireMaintenanceAdmin(server: MaintenanceHost, md: grpc.Metadata): void {
  try {
    requireAdmin(server.state.auth, md)
  } catch (err) {
    if (err instanceof EtcdError && AUTH_ERRORS.has(err.message)) throw new EtcdError(grpc.status.UNKNOWN, err.message.replace(/^etcdserver: /, 'auth: '))
    throw err
  }
}

export function maintenanceService(server: MaintenanceHost): grpc.UntypedServiceImplementation {
  return {
    Status: unary(server, async () => {
      const st = server.raftStatus()
      const size = BASE_DB_SIZE + server.state.store.sizeInUse()
      return {
        header: server.header(),
        version: SERVER_VERSION,
        dbSize: String(size),
        dbSizeInUse: String(size),
        leader: st.lead,
        raftIndex: String(st.commit),
        raftTerm: String(st.term),
        raftAppliedIndex: String(server.state.appliedIndex),
        errors: server.state.alarmList().map((a) => `memberID:${a.memberID} alarm:${a.alarm} `),
        isLearner: server.isLearner(),
      }
    }),
    Alarm: unary(server, async (req: { action: 'GET' | 'ACTIVATE' | 'DEACTIVATE'; memberID: string; alarm: 'NONE' | 'NOSPACE' | 'CORRUPT' }, call) => {
      try {
        // Raising and clearing alarms is admin-only here (stricter than etcd 3.4, where anyone can stop all writes).
        if (req.action !== 'GET') requireAdmin(server.state.auth, call.metadata)
        // Every alarm request, GET included, goes through the log as in etcd (a consistent answer).
        const out = await server.propose({ alarm: req }, { auth: authOf(server.state.auth, call.metadata) })
        return { header: server.header(out.revision), ...(out.result as object) }
      } catch (err) {
        // etcd 3.4's Alarm hands back its errors unconverted: code UNKNOWN, the auth store's "auth: …" text.
        if (err instanceof EtcdError) throw new EtcdError(grpc.status.UNKNOWN, AUTH_ERRORS.has(err.message) ? err.message.replace(/^etcdserver: /, 'auth: ') : err.message)
        throw err
      }
    }),
    // Defragment, Hash and HashKV are admin-only once auth is on (etcd's authMaintenanceServer).
    // The store lives in memory and snapshots are written compact, so there is nothing to defragment.
    Defragment: unary(server, async (_req: unknown, call) => {
      requireMaintenanceAdmin(server, call.metadata)
      return { header: server.header() }
    }),
    Hash: unary(server, async (_req: unknown, call) => {
      requireMaintenanceAdmin(server, call.metadata)
      return { header: server.header(), hash: server.state.store.hashKV(0) }
    }),
    HashKV: unary(server, async (req: { revision: string }, call) => {
      requireMaintenanceAdmin(server, call.metadata)
      const hash = server.state.store.hashKV(Number(req.revision))
      // etcd reports -1 until the first compaction.
      const store = server.state.store
      return { header: server.header(), hash, compact_revision: store.everCompacted ? String(store.compactRev) : '-1' }
    }),
    MoveLeader: unary(server, async (req: { targetID: string }, call) => {
      requireAdmin(server.state.auth, call.metadata)
      await moveLeader(server, req.targetID)
      return { header: server.header() }
    }),
    // An etcd 3.4 snapshot file of the applied state, streamed without stalling Raft (snapshot/serve.ts).
    Snapshot: (call: grpc.ServerWritableStream<unknown, unknown>) => {
      Promise.resolve()
        .then(() => requireMaintenanceAdmin(server, call.metadata))
        .then(() => streamSnapshot(server, call))
        .catch((err: unknown) => {
          if (!call.cancelled) call.emit('error', toServiceError(err))
        })
    },
  }
}
