/**
 * Node/V8 options every member process runs with (the playground's launcher, the test spawner and
 * bin/raftdeck.mjs all pass them; the list lives in nodeFlags.json so the plain-JS launcher reads
 * the same one). Both are about memory, and both were chosen by measurement (docs/member.md,
 * "Memory under load: the heap's growth factor").
 *
 * `--max-semi-space-size=8`: a member keeps its whole MVCC history on the heap. With V8's default
 * young generation (16 MiB semi-spaces) every scavenge while a large snapshot loads copies up to
 * 16 MiB of objects that all survive, one pause of tens of milliseconds each on the member's only
 * thread, and the young generation alone holds ~48 MiB of RSS. 8 MiB keeps those pauses short, and
 * is large enough that requests still in flight under 64–256 concurrent clients (their gRPC and
 * protobuf objects) die young instead of being promoted: with 4 MiB they were, and the old
 * generation filled with that garbage between full collections.
 *
 * `--heap-growing-percent=50`: after a full collection V8 lets the old generation grow to as much as
 * four times what survived before the next one, and keeps the pages afterwards. Under load the
 * leader reached 70–80 MiB of old generation for ~20 MiB alive, and held it at rest. A growth
 * factor of 1.5 keeps it near what is alive: 64-client peak RSS per member 108–113 MiB instead of
 * 123–145 (leader 114–120 instead of 148–182), with no throughput cost that alternating bench runs
 * could show. bench:scale's Kubernetes-sized data set and the no-election test were re-measured
 * with it.
 */
import flags from './nodeFlags.json'

export const MEMBER_NODE_FLAGS: readonly string[] = flags
