/** etcdserverpb.Watch: one WatchStream per RPC. */
import type * as grpc from '@grpc/grpc-js'
import type { ApiContext } from '../server/ports'
import { WatchStream, type WatchBudget, type WatchRequest } from '../watch/watchStream'
import { authInfoOf, tokenIndexWait } from './handler'

/** etcd sends progress notifications to idle watchers every 10 minutes. */
export const PROGRESS_INTERVAL_MS = 10 * 60_000

/** Requests a stream may send while its token's login is still being applied here. */
const MAX_HELD_REQUESTS = 1_000

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
      // A token from a login this member has not applied yet: hold the requests until it has.
      const ready = tokenIndexWait(member, md)
      if (!ready) call.on('data', (req: WatchRequest) => stream.handle(req))
      else {
        let held: WatchRequest[] | null = []
        call.on('data', (req: WatchRequest) => {
          if (held === null) stream.handle(req)
          else if (held.length < MAX_HELD_REQUESTS) held.push(req)
          else call.destroy(Object.assign(new Error('too many watch requests before the login was applied'), { code: 8 }))
        })
        void ready.then(() => {
          const queued = held ?? []
          held = null
          for (const req of queued) stream.handle(req)
        })
      }
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
