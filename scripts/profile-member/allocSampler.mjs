// Loaded into each member by `npm run profile:member -- --alloc` (with --import; never by the app).
// Samples allocations between the script's 'alloc-start' and 'alloc-stop' messages, objects the GC
// has collected included, so it measures the allocation rate that drives the collector. (Node's
// --heap-prof keeps only the samples still alive when the process exits.) The profile goes back
// over the IPC channel; the channel is unref'd so that it never keeps a stopping member alive.
import inspector from 'node:inspector'

const session = new inspector.Session()
session.connect()
process.on('message', (m) => {
  if (m === 'alloc-start') {
    session.post('HeapProfiler.enable', () =>
      session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true }, () => process.send?.({ allocStarted: true })),
    )
  } else if (m === 'alloc-stop') {
    session.post('HeapProfiler.stopSampling', (err, r) => process.send?.(err ? { allocError: err.message } : { allocProfile: r.profile }))
  }
})
process.channel?.unref()
