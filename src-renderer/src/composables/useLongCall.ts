// One long call a view waits for, with its progress and a way to stop it. The view starts the call
// through `run`, shows `<CallProgress>` while `running`, and wires its Cancel button to `cancel`.
// Switching to another view does not stop it (a snapshot or an import the user asked for goes on, and
// its result is still reported); closing the window does, since the services stop the calls of a client
// that went away.
//
//   const job = useLongCall()
//   const r = await job.run((opts) => tree.applyImport(file, rev, confirm, opts))
//   <CallProgress v-if="job.running" :progress="job.progress" :cancelling="job.cancelling" @cancel="job.cancel" />
//
// Cancelling asks the services to stop; the call still resolves with what they answer (finished anyway,
// or CANCELLED with what was done before stopping). See docs/architecture.md, "Long calls".

import { reactive, shallowRef } from 'vue'
import type { CallOptions, Progress } from '../api'

export function useLongCall() {
  const progress = shallowRef<Progress | null>(null)
  let controller: AbortController | null = null

  const state = reactive({
    running: false,
    cancelling: false,
    get progress(): Progress | null {
      return progress.value
    },
    /** Runs one call; a second run while one is going is refused (returns null). */
    async run<T>(start: (opts: CallOptions) => Promise<T>, initial: Progress | null = null): Promise<T | null> {
      if (controller) return null
      const c = (controller = new AbortController())
      state.running = true
      state.cancelling = false
      progress.value = initial
      try {
        return await start({ signal: c.signal, onProgress: (p) => (progress.value = p) })
      } finally {
        controller = null
        state.running = false
        state.cancelling = false
        progress.value = null
      }
    },
    /** For progress the view measures itself (e.g. one member after another). */
    report(p: Progress) {
      progress.value = p
    },
    /** The signal of the running call, for a view that runs several calls in one job. */
    get signal(): AbortSignal | null {
      return controller?.signal ?? null
    },
    cancel() {
      if (!controller || state.cancelling) return
      state.cancelling = true
      controller.abort()
    },
  })

  return state
}

export type LongCall = ReturnType<typeof useLongCall>
