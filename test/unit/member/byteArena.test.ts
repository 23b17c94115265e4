import { describe, expect, it } from 'vitest'
import { ByteArena, isKept, MAX_SHARED_BYTES, SLAB_BYTES } from '../../../src-main/member/byteArena'
import { internalRequestCodec } from '../../../src-main/etcdpb/load'
import type { InternalRequest } from '../../../src-main/member/server/pb'
import { StateMachine } from '../../../src-main/member/server/stateMachine'
import { keptEntry } from '../../../src-main/member/server/raftNode'
import { EntryType, type Entry } from '../../../src-main/raft'

describe('ByteArena', () => {
  it('copies the bytes: the copy does not change when the source does', () => {
    const a = new ByteArena()
    const src = Buffer.from('hello')
    const c = a.copy(src)
    src.fill(0)
    expect(c.toString()).toBe('hello')
  })

  it('packs small copies into one slab of its own, not into the buffer they came from', () => {
    // A small Buffer from Node's pool shares an 8 KiB slab with whatever else was allocated.
    const pooled = Buffer.from('x'.repeat(100))
    expect(pooled.buffer.byteLength).toBeGreaterThan(pooled.length)
    const a = new ByteArena()
    const first = a.copy(pooled)
    const second = a.copy(Buffer.from('y'.repeat(300)))
    expect(first.buffer).not.toBe(pooled.buffer)
    expect(second.buffer).toBe(first.buffer)
    expect(first.buffer.byteLength).toBe(SLAB_BYTES)
    expect(second.byteOffset).toBe(first.byteOffset + 100)
    expect(second.toString()).toBe('y'.repeat(300))
  })

  it('starts a new slab when a copy does not fit in what is left', () => {
    const a = new ByteArena()
    const chunk = Buffer.alloc(MAX_SHARED_BYTES, 1)
    const copies = Array.from({ length: SLAB_BYTES / MAX_SHARED_BYTES + 1 }, () => a.copy(chunk))
    const slabs = new Set(copies.map((c) => c.buffer))
    expect(slabs.size).toBe(2)
    expect(copies.at(-1)!.byteOffset).toBe(0)
    for (const c of copies) expect(c.equals(chunk)).toBe(true)
  })

  it('gives a large copy an allocation of its own, of its exact size', () => {
    const a = new ByteArena()
    const small = a.copy(Buffer.from('s'))
    const big = a.copy(Buffer.alloc(MAX_SHARED_BYTES + 1, 2))
    expect(big.buffer).not.toBe(small.buffer)
    expect(big.buffer.byteLength).toBe(MAX_SHARED_BYTES + 1)
    // The slab is still used for the next small one.
    expect(a.copy(Buffer.from('t')).buffer).toBe(small.buffer)
  })

  it('tells its own copies, small and large, from any other memory', () => {
    const a = new ByteArena()
    const small = a.copy(Buffer.from('small'))
    const large = a.copy(Buffer.alloc(MAX_SHARED_BYTES + 1, 3))
    expect(isKept(small)).toBe(true)
    expect(isKept(small.subarray(1, 3))).toBe(true)
    expect(isKept(large)).toBe(true)
    expect(isKept(Buffer.from('pooled'))).toBe(false)
    expect(isKept(Buffer.alloc(100))).toBe(false)
    expect(isKept(new Uint8Array(10))).toBe(false)
  })

  it('an empty copy takes no space', () => {
    const a = new ByteArena()
    expect(a.copy(new Uint8Array(0)).length).toBe(0)
    const x = a.copy(Buffer.from('x'))
    expect(x.byteOffset).toBe(0)
  })
})

describe('keptEntry', () => {
  it('keeps an entry’s data in the arena, not in the buffer it was decoded from', () => {
    const arena = new ByteArena()
    const frame = Buffer.alloc(4096, 0x41)
    const e: Entry = { term: 3, index: 42, type: EntryType.Normal, data: frame.subarray(10, 310) }
    const kept = keptEntry(e, arena)
    frame.fill(0)
    expect({ term: kept.term, index: kept.index, type: kept.type }).toEqual({ term: 3, index: 42, type: EntryType.Normal })
    expect(Buffer.from(kept.data).equals(Buffer.alloc(300, 0x41))).toBe(true)
    expect(kept.data.buffer).toBe(arena.copy(Buffer.from('x')).buffer)
    // No view of its own: each read is a fresh view of the arena's bytes.
    expect(kept.data).not.toBe(kept.data)
    expect(Object.values(kept).some((v) => v instanceof Uint8Array)).toBe(false)
  })
})

describe('a put applied from the Raft log', () => {
  const codec = internalRequestCodec<InternalRequest>()
  const putEntry = (index: number, key: string, value: Buffer): Entry => ({
    term: 1,
    index,
    type: EntryType.Normal,
    data: codec.encode({ ID: String(index), proposer: '1', request: 'put', put: { key: Buffer.from(key), value, lease: '0', prev_kv: false, ignore_value: false, ignore_lease: false } }),
  })

  it('keeps its value in the log’s copy of the entry: one copy, not two', () => {
    const log = new ByteArena()
    const sm = new StateMachine('9', '1', 2)
    const value = Buffer.alloc(256, 0x5a)
    const kept = keptEntry(putEntry(1, '/k', value), log)
    sm.applyEntry(kept)
    const stored = sm.store.rangeAt('/k', undefined, sm.store.currentRev, 0).kvs[0]!.value
    expect(stored.equals(value)).toBe(true)
    // The revision's bytes are the log entry's, inside the log's slab.
    expect(stored.buffer).toBe(kept.data.buffer)
    expect(stored.byteOffset).toBeGreaterThan(kept.data.byteOffset)
    expect(stored.byteOffset + stored.length).toBeLessThanOrEqual(kept.data.byteOffset + kept.data.length)
  })

  it('copies a value that came from anywhere else, so the buffer it came in can go', () => {
    const sm = new StateMachine('9', '1', 2)
    const raw = putEntry(1, '/k', Buffer.alloc(256, 0x33))
    sm.applyEntry(raw)
    const stored = sm.store.rangeAt('/k', undefined, sm.store.currentRev, 0).kvs[0]!.value
    expect(stored.equals(Buffer.alloc(256, 0x33))).toBe(true)
    expect(stored.buffer).not.toBe(raw.data.buffer)
    expect(isKept(stored)).toBe(true)
  })
})
