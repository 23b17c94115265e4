/**
 * How many answers a member produces in one turn of the event loop when it has many to give at once.
 *
 * Node writes a session's pending HTTP/2 frames on the next turn, so answers produced in one long
 * turn all leave at its end, and the client, idle until then, gets them as one burst. Under load a
 * Ready commits dozens of puts and a ReadIndex round releases dozens of reads; producing their
 * answers this many per turn puts the first ones on the wire while the rest are made, and the
 * client works on them meanwhile (docs/member.md: "A Ready's batch applied a chunk per turn" and
 * "Reads released a chunk per turn").
 */
export const ANSWERS_PER_TURN = 16
