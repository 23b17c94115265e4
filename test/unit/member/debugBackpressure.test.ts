// The debug Watch stream drops trace events while its buffer is full instead of queueing them in
// the member without bound, and sends them again once the stream drains.
import { EventEmitter } from 'node:events'
import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { traceGate } from '../../../src-main/member/api/debug'

describe('debug trace backpressure', () => {
  it('drops traces while the stream is full and resumes after drain', () => {
    const written: object[] = []
    let room = 3
    const sink = Object.assign(new EventEmitter(), {
      write(msg: object) {
        written.push(msg)
        return --room > 0
      },
    })
    const gate = traceGate(sink)
    for (let i = 0; i < 10; i++) gate.trace({ i })
    expect(written).toEqual([{ trace: { i: 0 } }, { trace: { i: 1 } }, { trace: { i: 2 } }])
    expect(gate.dropped).toBe(7)
    room = 100
    sink.emit('drain')
    gate.trace({ i: 10 })
    expect(written.at(-1)).toEqual({ trace: { i: 10 } })
    expect(gate.dropped).toBe(7)
  })

  it('keeps a slow object stream bounded (a real Writable, as gRPC server streams are)', async () => {
    let release: (() => void) | undefined
    const slow = new Writable({
      objectMode: true,
      highWaterMark: 16,
      write(_chunk, _enc, cb) {
        release = cb
      },
    })
    const gate = traceGate(slow)
    for (let i = 0; i < 10_000; i++) gate.trace({ i })
    expect(slow.writableLength).toBeLessThanOrEqual(16)
    expect(gate.dropped).toBeGreaterThanOrEqual(10_000 - 17)
    // The reader catches up: the stream drains and traces flow again.
    while (slow.writableLength > 0) {
      const r = release
      release = undefined
      r?.()
      await new Promise((resolve) => setImmediate(resolve))
    }
    const before = gate.dropped
    gate.trace({ i: 'after' })
    expect(gate.dropped).toBe(before)
  })
})
