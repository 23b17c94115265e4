import { describe, expect, it } from 'vitest'
import { ByteArena, MAX_SHARED_BYTES, SLAB_BYTES } from '../../../src-main/member/byteArena'
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
