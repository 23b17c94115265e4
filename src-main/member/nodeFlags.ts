/**
 * Node/V8 options every member process runs with (the playground's launcher, the test spawner and
 * bin/raftdeck.mjs all pass them, with MEMBER_ENV below; both live in nodeFlags.json so the plain-JS
 * launcher reads the same ones). Each was chosen by measurement: the first two are about memory (docs/member.md,
 * "Memory under load: the heap's growth factor"), the third about how soon a member runs at its
 * pace (docs/member.md, "The one-client cells measured V8's warm-up"), the fourth about memory at
 * rest (docs/member.md, "Memory back when the load stops").
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
 *
 * `--interrupt-budget=8192`: V8 optimises a function once it has run through this much bytecode
 * (three times, and again after its type feedback changes); the default is 66 KiB. A member's
 * request path is many small functions run once per request, and with the default some of them
 * were still not optimised five seconds into a new load shape (one client after many): one
 * client's puts ran up to 20% below their own pace for about three seconds, and spread reads for
 * six, while etcd, built ahead of time, starts at its pace. With an eighth of the budget the member
 * is there within a second; the steady pace, start-up to a leader with a Kubernetes-sized snapshot,
 * and 64-client throughput did not get worse.
 *
 * `--expose-gc`: lets a member that has gone quiet after a load shrink its young generation with
 * two scavenges (server/idleHeap.ts). V8's own memory reducer does it 15–45 s after a load, and on
 * a leader sometimes never; the member does it within 10 s, 15 MiB per member.
 */
import options from './nodeFlags.json'

export const MEMBER_NODE_FLAGS: readonly string[] = options.flags

/**
 * Environment every member process runs with, beside those options (from the same file).
 *
 * `MALLOC_MMAP_THRESHOLD_=122880`: glibc's malloc gives an allocation of this size or more a memory
 * mapping of its own, returned to the system when freed, where by default the threshold rises to
 * the size of any such allocation once it is freed, after which 128 KiB allocations come from the
 * heap. The Raft log's slabs (byteArena.ts, LOG_SLAB_BYTES) are kept for a long time; in malloc's
 * heap, among the requests' short-lived buffers, they left it unable to shrink after a load: 16 MiB
 * more per member at rest after 150,000 puts (docs/member.md, "The log's bytes in memory of their
 * own"). It stays above 64 KiB, the size of Node's socket read buffers, which come and go with
 * every read.
 */
export const MEMBER_ENV: Readonly<Record<string, string>> = options.env
