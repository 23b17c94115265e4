import { describe, expect, it } from 'vitest'
import { MvccStore } from '../../../src-main/member/mvcc/store'
import { EtcdError } from '../../../src-main/member/errors'
import { KeyRevision } from '../../../src-main/member/mvcc/types'

const put = (s: MvccStore, k: string, v: string, lease = '0') => {
  const t = s.write()
  t.put(k, Buffer.from(v), lease)
  return t.end()
}
const del = (s: MvccStore, k: string, end?: string) => {
  const t = s.write()
  const n = t.deleteRange(k, end).length
  t.end()
  return n
}
const view = (s: MvccStore, k: string, end: string | undefined, rev = 0) =>
  s.range(k, end, { rev }).kvs.map((r) => `${r.key}=${r.value.toString()}@${r.create}/${r.mod}/v${r.version}`)

describe('mvcc store', () => {
  it('starts at revision 1 and gives each write the next revision', () => {
    const s = new MvccStore()
    expect(s.currentRev).toBe(1)
    expect(put(s, 'a', '1')).toBe(2)
    expect(put(s, 'a', '2')).toBe(3)
    expect(view(s, 'a', undefined)).toEqual(['a=2@2/3/v2'])
  })

  it('deletes leave tombstones: a recreated key starts a new generation', () => {
    const s = new MvccStore()
    put(s, 'a', '1')
    expect(del(s, 'a')).toBe(1)
    expect(view(s, 'a', undefined)).toEqual([])
    put(s, 'a', 'x')
    expect(view(s, 'a', undefined)).toEqual(['a=x@4/4/v1'])
    expect(view(s, 'a', undefined, 2)).toEqual(['a=1@2/2/v1'])
    expect(view(s, 'a', undefined, 3)).toEqual([])
  })

  it('a delete of nothing does not advance the revision', () => {
    const s = new MvccStore()
    expect(del(s, 'zz')).toBe(0)
    expect(s.currentRev).toBe(1)
  })

  it('ranges, prefix ends and the "\\0" end', () => {
    const s = new MvccStore()
    for (const k of ['a', 'ab', 'abc', 'b', 'c']) put(s, k, k)
    expect(s.range('ab', 'ac').kvs.map((r) => r.key)).toEqual(['ab', 'abc'])
    expect(s.range('b', '').kvs.map((r) => r.key)).toEqual(['b', 'c'])
    const limited = s.range('a', '', { limit: 2 })
    expect(limited.kvs.map((r) => r.key)).toEqual(['a', 'ab'])
    expect(limited.count).toBe(5)
  })

  it('txn writes share one revision with increasing sub revisions and see their own writes', () => {
    const s = new MvccStore()
    const t = s.write()
    t.put('x', Buffer.from('1'), '0')
    expect(t.range('x', undefined).kvs[0]?.value.toString()).toBe('1')
    t.put('y', Buffer.from('2'), '0')
    expect(t.end()).toBe(2)
    expect(s.range('a', '').kvs.map((r) => [r.key, r.mod, r.sub])).toEqual([
      ['x', 2, 0],
      ['y', 2, 1],
    ])
  })

  it('future and compacted revisions fail with etcd errors', () => {
    const s = new MvccStore()
    for (let i = 0; i < 5; i++) put(s, 'k', String(i))
    expect(() => s.range('k', undefined, { rev: 7 })).toThrow('etcdserver: mvcc: required revision is a future revision')
    s.compact(4)
    expect(() => s.range('k', undefined, { rev: 3 })).toThrow('etcdserver: mvcc: required revision has been compacted')
    expect(view(s, 'k', undefined, 4)).toEqual(['k=2@2/4/v3'])
    expect(() => s.compact(4)).toThrow(EtcdError)
    expect(() => s.compact(99)).toThrow('future revision')
  })

  it('compaction removes keys whose last revision is an old tombstone', () => {
    const s = new MvccStore()
    put(s, 'gone', '1')
    del(s, 'gone')
    put(s, 'kept', '1')
    s.compact(4)
    expect(s.keyCount()).toBe(1)
    expect(s.changesBetween(0, 10).map((r) => r.mod)).toEqual([4])
  })

  it('tracks keys attached to leases', () => {
    const s = new MvccStore()
    put(s, 'a', '1', '7')
    put(s, 'b', '1', '7')
    put(s, 'a', '2', '0')
    expect(s.keysOfLease('7')).toEqual(['b'])
    del(s, 'b')
    expect(s.keysOfLease('7')).toEqual([])
  })

  it('restores from its own revisions with the same hash', () => {
    const s = new MvccStore()
    put(s, 'a', '1', '5')
    put(s, 'b', '2')
    del(s, 'a')
    const copy = new MvccStore()
    copy.restore([...s.allRevisions()], s.currentRev, s.compactRev)
    expect(copy.hashKV(0)).toBe(s.hashKV(0))
    expect(view(copy, 'a', '', 2)).toEqual(['a=1@2/2/v1'])
  })

  it('notifies commit listeners once per revision', () => {
    const s = new MvccStore()
    const seen: string[] = []
    s.onCommit((events, rev) => seen.push(`${rev}:${events.map((e) => e.type + e.kv.key).join(',')}`))
    const t = s.write()
    t.put('a', Buffer.from('1'), '0')
    t.deleteRange('a', undefined)
    t.end()
    expect(seen).toEqual(['2:PUTa,DELETEa'])
  })
})

describe('what the store keeps of a written value', () => {
  it('a copy of its own: neither the caller’s buffer nor the slab it was cut from stays alive', () => {
    const s = new MvccStore()
    // A value decoded from a request is a view of a larger buffer (a frame, a pool slab).
    const frame = Buffer.alloc(64 * 1024, 0x61)
    const value = frame.subarray(1000, 1256)
    const t = s.write()
    t.put('k', value, '0')
    t.end()
    frame.fill(0x62)
    const kept = s.range('k', undefined).kvs[0]!.value
    expect(kept.toString()).toBe('a'.repeat(256))
    expect(kept.buffer).not.toBe(frame.buffer)
    expect(kept.buffer.byteLength).toBeLessThan(frame.length)
  })

  it('no Buffer of its own per revision: each read of the value is a fresh view of the kept bytes', () => {
    const s = new MvccStore()
    put(s, 'a', 'one')
    put(s, 'b', 'two')
    const [a, b] = s.range('a', 'c').kvs
    expect(a!.value).not.toBe(a!.value)
    expect(a!.value.buffer).toBe(a!.value.buffer)
    // Values written one after the other share one slab.
    expect(b!.value.buffer).toBe(a!.value.buffer)
    expect(Object.values(a!).some((v) => Buffer.isBuffer(v))).toBe(false)
  })

  it('a put that keeps the live value (ignore_value) shares it rather than copying it again', () => {
    const s = new MvccStore()
    put(s, 'k', 'v1')
    const before = s.range('k', undefined).kvs[0]!
    const t = s.write()
    t.put('k', before.value, '7')
    t.end()
    const after = s.range('k', undefined).kvs[0]!
    expect(after.mod).toBeGreaterThan(before.mod)
    // The same bytes, not a copy of them: the new revision holds a view of the old one's value.
    expect(after.holds(before.value)).toBe(true)
    expect(after.value.toString()).toBe('v1')
  })
})

describe('KeyRevision', () => {
  it('takes its value where it lies in a larger buffer, and reads back exactly those bytes', () => {
    const chunk = Buffer.from('....hello world....')
    const r = KeyRevision.make('k', chunk, 2, 3, 0, 1, '0', false, 4, 15)
    expect(r.valueLength).toBe(11)
    expect(r.value.toString()).toBe('hello world')
    expect(r.holds(chunk.subarray(4, 15))).toBe(true)
    expect(r.holds(chunk.subarray(4, 14))).toBe(false)
    expect(r.holds(Buffer.from('hello world'))).toBe(false)
  })
})
