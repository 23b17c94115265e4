/**
 * A stream table for Node's HTTP/2 sessions that does not promote every stream to V8's old
 * generation.
 *
 * Why: a Node 20 HTTP/2 session keeps its open streams in a Map. V8 stores a Map in a hash table
 * that it replaces with a fresh one when the table fills up with deleted entries, every few dozen
 * streams at 64 concurrent calls; the new table is allocated in the generation of the one it
 * replaces, and the table it leaves behind still points at the streams that were open then. Once the
 * table has reached the old generation (a session idle through two minor GCs is enough), every
 * minor GC takes those dead tables' pointers as live: the open streams, and everything they reach
 * (headers, buffers, listeners, the call), survive until they are promoted, then wait for a full
 * collection. On a leader under 64 clients that was 1.7 KB promoted per put (0.25 KB with this
 * table, about what a follower keeps) and a full collection every 0.6 s (docs/member.md, "The
 * session's stream table").
 *
 * The fix: a Map subclass that holds a fixed number of placeholder entries besides the streams, so
 * the table is large enough that it is replaced once in a few thousand streams instead of once in
 * dozens, and never shrinks. It costs 60–110 KB per client connection. Placeholders use negative
 * keys (stream ids are positive) and are hidden from everything Node reads: size, iteration and
 * forEach count and visit streams only.
 */
import type http2 from 'node:http2'
import { types } from 'node:util'

/** Placeholder entries per session. V8 then keeps a table of 4,096 entries, replaced about once in
 * 3,000 new streams. (With 512, a plain server promoted 180 B per request at 256 streams, against
 * 97 B with 1,024: docs/member.md.) */
export const STREAM_TABLE_PADDING = 1024

/** A Map of stream id to stream whose placeholders (negative keys) do not show. */
export class StreamTable<V> extends Map<number, V | null> {
  private readonly padding: number

  constructor(padding: number) {
    super()
    this.padding = padding
    for (let i = 1; i <= padding; i++) super.set(-i, null)
  }

  override get size(): number {
    return super.size - this.padding
  }

  override forEach(callback: (value: V, key: number, map: Map<number, V | null>) => void, thisArg?: unknown): void {
    super.forEach((value, key, map) => {
      if (key >= 0) callback.call(thisArg, value as V, key, map)
    })
  }

  override *entries(): MapIterator<[number, V]> {
    for (const [key, value] of super.entries()) if (key >= 0) yield [key, value as V]
  }

  override *keys(): MapIterator<number> {
    for (const key of super.keys()) if (key >= 0) yield key
  }

  override *values(): MapIterator<V> {
    for (const [key, value] of super.entries()) if (key >= 0) yield value as V
  }

  override [Symbol.iterator](): MapIterator<[number, V]> {
    return this.entries()
  }

  override clear(): void {
    for (const key of [...this.keys()]) super.delete(key)
  }
}

interface SessionState {
  streams?: unknown
}

/** A session's internal state object (Node keeps it under a symbol described `state`). */
function sessionState(session: http2.Http2Session): SessionState | undefined {
  const key = Object.getOwnPropertySymbols(session).find((s) => s.description === 'state')
  return key ? (session as unknown as Record<symbol, SessionState | undefined>)[key] : undefined
}

/** The table a session keeps its open streams in: Node's own, or a StreamTable once padded. */
export function streamTableOf(session: http2.Http2Session): unknown {
  return sessionState(session)?.streams
}

/**
 * Gives a new server session the padded stream table. Returns false, changing nothing, when the
 * session does not look as expected (no state object, or its stream table is not an empty Map):
 * a Node upgrade that changes this costs speed, not correctness, and the unit test fails on it.
 */
export function padStreamTable(session: http2.ServerHttp2Session, padding = STREAM_TABLE_PADDING): boolean {
  const state = sessionState(session)
  const streams = state?.streams
  // Node's own table is a SafeMap of its internals: a Map whose prototype chain does not reach
  // Map.prototype, so it is recognised by its internal slot, not by instanceof.
  if (!state || !types.isMap(streams) || streams instanceof StreamTable || streams.size !== 0) return false
  state.streams = new StreamTable(padding)
  return true
}
