/** etcdserverpb.Watch: one WatchStream per RPC. */
import type * as grpc from '@grpc/grpc-js'
import type { ApiContext } from '../server/ports'
import { WatchStream, type WatchBudget, type WatchRequest } from '../watch/watchStream'
import { authInfoOf } from './handler'

/** etcd sends progress notifications to idle watchers every 10 minutes. */
export const PROGRESS_INTERVAL_MS = 10 * 60_000

/** Watch needs the store, the auth store and the response size limit. */
export type WatchHost = ApiContext & { readonly maxRequestBytes: number; readonly watchBudget: WatchBudget }

export function watchService(member: WatchHost, progressIntervalMs = PROGRESS_INTERVAL_MS): grpc.UntypedServiceImplementation {
  return {
    Watch: (call: grpc.ServerDuplexStream<WatchRequest, unknown>) => {
      const md = call.metadata
      const stream = new WatchStream({
        store: member.state.store,
        header: (rev) => member.header(rev),
        // `written` once the response is on the connection: what a slow client has not read stays counted.
        send: (r, written) => {
          if (!call.writableEnded && !call.destroyed) call.write(r, () => written())
        },
        budget: member.watchBudget,
        maxResponseBytes: member.maxRequestBytes,
        progressIntervalMs,
        // etcd's isWatchPermitted: the token must be valid (auth on or off) and give read permission.
        authorize: (key, end) => {
          const rangeEnd = end === undefined ? '' : end === '' ? '\u0000' : end
          const ai = authInfoOf(member.state.auth, md)
          if (ai) member.state.auth.checkOp(ai, 'READ', key, rangeEnd)
        },
      })
      call.on('data', (req: WatchRequest) => stream.handle(req))
      const close = (): void => stream.close()
      call.on('end', () => {
        close()
        call.end()
      })
      call.on('error', close)
      call.on('close', close)
      call.on('cancelled', close)
    },
  }
}
