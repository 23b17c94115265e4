/**
 * Background work on the member's one thread (physical compaction): short slices with a turn of the
 * event loop between them, so Raft's ticks, peer messages and clients are never kept waiting for
 * more than a slice.
 */
import type { BackgroundRunner } from '../mvcc/store'

/** Longest slice of background work. */
export const SLICE_MS = 5
/** How long work that waits (a snapshot holds a frozen view) sleeps before it looks again. */
const BLOCKED_RETRY_MS = 20

export function sliceRunner(sliceMs = SLICE_MS): BackgroundRunner {
  return (step) => {
    const run = (): void => {
      const t0 = performance.now()
      for (;;) {
        const r = step()
        if (r === 'done') return
        if (r === 'blocked') {
          setTimeout(run, BLOCKED_RETRY_MS).unref()
          return
        }
        if (performance.now() - t0 >= sliceMs) {
          setImmediate(run)
          return
        }
      }
    }
    setImmediate(run)
  }
}
