import type { StreamSink } from './types'

/**
 * A stream that runs `load` now and then every `intervalMs` after the previous run finished (never two
 * at once, so a slow cluster is not flooded). Errors end the stream; stopping cancels the next run.
 */
export function pollStream<T>(load: () => Promise<T>, intervalMs: number, sink: StreamSink<T>): () => void {
  let stopped = false
  let timer: ReturnType<typeof setTimeout> | null = null
  const tick = async () => {
    if (stopped) return
    try {
      const value = await load()
      if (stopped) return
      sink.emit(value)
      timer = setTimeout(() => void tick(), intervalMs)
    } catch (err) {
      if (!stopped) sink.end(err)
    }
  }
  void tick()
  return () => {
    stopped = true
    if (timer) clearTimeout(timer)
  }
}
