/**
 * Node/V8 options every member process runs with (the playground's launcher, the test spawner and
 * bin/raftdeck.mjs all pass them; the list lives in nodeFlags.json so the plain-JS launcher reads
 * the same one).
 *
 * A member keeps its whole MVCC history on the heap. With V8's default young generation (16 MiB
 * semi-spaces) every scavenge while a large snapshot loads copies up to 16 MiB of objects that all
 * survive, one pause of tens of milliseconds each on the member's only thread, and the young
 * generation alone holds ~48 MiB of RSS. 4 MiB semi-spaces keep each scavenge short and the process
 * smaller; request garbage is short-lived, so scavenges stay cheap under load.
 */
import flags from './nodeFlags.json'

export const MEMBER_NODE_FLAGS: readonly string[] = flags
