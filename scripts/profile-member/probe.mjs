// Loaded into each member by `npm run profile:member` with --alloc or --gc (with --import; never by
// the app). It answers the script over the IPC channel:
// - 'alloc-start' / 'alloc-stop': samples allocations in between, objects the GC has collected
//   included, so it measures the allocation rate that drives the collector (Node's --heap-prof keeps
//   only the samples still alive when the process exits). With `survivors`, objects that die in a
//   minor GC are left out: what is left was promoted to the old generation or allocated there, the
//   part that makes full collections come;
// - 'clock': this process's performance.now(), which the script uses to find the measured load in
//   V8's --trace-gc-nvp lines (their times count from the same start, within a few ms).
// The channel is unref'd so that it never keeps a stopping member alive.
import inspector from 'node:inspector'
import { performance } from 'node:perf_hooks'

const session = new inspector.Session()
session.connect()
process.on('message', (m) => {
  const cmd = typeof m === 'string' ? m : m?.cmd
  if (cmd === 'alloc-start') {
    const survivors = typeof m === 'object' && m.survivors === true
    session.post('HeapProfiler.enable', () =>
      session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: !survivors }, () =>
        process.send?.({ allocStarted: true }),
      ),
    )
  } else if (cmd === 'alloc-stop') {
    session.post('HeapProfiler.stopSampling', (err, r) => process.send?.(err ? { allocError: err.message } : { allocProfile: r.profile }))
  } else if (cmd === 'clock') {
    process.send?.({ clock: performance.now() })
  }
})
process.channel?.unref()
