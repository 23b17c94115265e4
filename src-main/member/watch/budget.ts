/** The bounds on what watch streams may queue for clients that do not read (watchStream.ts). */

/** Bytes one stream may have handed to gRPC and not yet written before its watchers fall behind. */
export const STREAM_QUEUE_BYTES = 1024 * 1024
/** Bytes all watch streams of a member may have queued together (a thousand stuck streams included). */
export const MEMBER_QUEUE_BYTES = 64 * 1024 * 1024

/** The bytes every watch stream of one member has queued and not yet written. */
export class WatchBudget {
  queued = 0
  constructor(readonly limit = MEMBER_QUEUE_BYTES) {}
}
