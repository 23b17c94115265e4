// Member snapshots without size cliffs: the state codec in chunks of any size (and the format an
// earlier version wrote), snapshot files written, read, checked and received as streams, and a file
// over 2 GiB (sparse, so the test stays cheap) read back and sent over a real peer connection.
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { crc32 } from 'node:zlib'
import { afterAll, describe, expect, it } from 'vitest'
import { makeMessage, MessageType, type Message } from '../../../src-main/raft/index'
import { sendSnapshot, SnapshotReceiveSession } from '../../../src-main/member/peer/snapshotStream'
import { parseHello } from '../../../src-main/member/peer/hello'
import { frameReader } from '../../../src-main/member/peer/framing'
import type { IncomingSnapshot, SnapshotFiles } from '../../../src-main/member/peer/transport'
import { readSnapshotFile, snapshotFileChunks } from '../../../src-main/member/server/snapshotFile'
import { CHUNK_BYTES, encodeRecordChunks, encodeState, encodeStateChunks, freezeState, StateDecoder, stateHeader } from '../../../src-main/member/server/stateCodec'
import { StateMachine } from '../../../src-main/member/server/stateMachine'
import { IO_CHUNK, SnapshotCorruptError, Snapshotter } from '../../../src-main/member/snap/snapshotter'

const dirs: string[] = []
const tmp = (): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'rd-snapstream-'))
  dirs.push(d)
  return d
}
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true })
})

function put(sm: StateMachine, key: string, value: Buffer | string, lease = '0'): void {
  const t = sm.store.write()
  t.put(key, Buffer.isBuffer(value) ? value : Buffer.from(value), lease)
  t.end()
}

/** A state with every kind of record: compacted history, tombstones, leases, big values, auth. */
function sample(): StateMachine {
  const sm = new StateMachine('9', '1', 2)
  sm.cluster.add({ ID: '1', name: 'n1', peerURLs: ['http://a:1'], clientURLs: [], isLearner: false })
  sm.lessor.grant('-5', 60)
  sm.lessor.grant('9223372036854775807', 60)
  // Lease IDs whose low or high 32 bits look alike to a reader that mixes signed and unsigned halves.
  // (0x80000000 and 0x180000000 share their low half, -0x100000000 and 0x7fffffffffffffff neither.)
  sm.lessor.grant('2147483648', 60)
  sm.lessor.grant('6442450944', 60)
  sm.lessor.grant('-4294967296', 60)
  const leaseOf = (i: number): string => (i % 17 === 0 ? '9223372036854775807' : i % 19 === 0 ? '2147483648' : i % 23 === 0 ? '-4294967296' : i % 29 === 0 ? '6442450944' : '0')
  for (let i = 0; i < 3000; i++) put(sm, `/registry/pods/ns-${i % 13}/p-${i % 500}`, `pod-${i}-${'x'.repeat(i % 300)}`, leaseOf(i))
  for (let i = 0; i < 50; i++) {
    const t = sm.store.write()
    t.deleteRange(`/registry/pods/ns-${i % 13}/p-${i}`, undefined)
    t.end()
  }
  sm.store.compact(2000)
  put(sm, '/big/one', Buffer.alloc(3 * CHUNK_BYTES, 7))
  put(sm, '/big/two', Buffer.alloc(200_000, 9), '-5')
  put(sm, Buffer.from([0xff, 0x00, 0x80]).toString('latin1'), 'binary key')
  sm.auth.userAdd('root', '')
  sm.startAt(4242, 7)
  return sm
}

function fingerprint(sm: StateMachine) {
  return {
    applied: [sm.appliedIndex, sm.appliedTerm],
    rev: [sm.store.currentRev, sm.store.compactRev],
    hash: sm.store.hashKV(0),
    keys: sm.store.keyCount(),
    size: sm.store.sizeInUse(),
    leased: sm.store.keysOfLease('9223372036854775807').length,
    big: sm.store.keysOfLease('-5'),
    lowBit: sm.store.keysOfLease('2147483648'),
    highWord: sm.store.keysOfLease('-4294967296'),
    sameLow: sm.store.keysOfLease('6442450944'),
    // Every retained revision with all its fields (leases as strings), in snapshot order.
    revisions: [...sm.store.allRevisions()].map((r) => `${r.key}|${r.mod}.${r.sub}|${r.create}|${r.version}|${r.lease}|${r.tombstone}|${r.value.length}:${r.value.subarray(0, 16).toString('hex')}`),
    watchLog: sm.store.changesBetween(2000, sm.store.currentRev).length,
    users: sm.auth.userList(),
  }
}

describe('state codec, format 2', () => {
  it('decodes the same state from chunks cut anywhere', () => {
    const sm = sample()
    const bytes = encodeState(sm)
    const want = fingerprint(sm)
    expect(want.lowBit.length).toBeGreaterThan(0)
    expect(want.highWord.length).toBeGreaterThan(0)
    expect(want.sameLow.length).toBeGreaterThan(0)
    // Separate buffers (as chunks arrive from a peer): records across chunks take the general path.
    for (const cut of [37, 4099, 65_537, CHUNK_BYTES + 3]) {
      const copy = new StateMachine('0', '1', 2)
      const r = copy.beginRestore()
      for (let off = 0; off < bytes.length; off += cut) r.push(Buffer.from(bytes.subarray(off, off + cut)))
      r.finish()
      expect(fingerprint(copy), `cut ${cut}`).toEqual(want)
    }
  })

  it('hands out a chunk once a few ms of work went by, with a record to write or not (null)', () => {
    const sm = sample()
    const revs = [...sm.store.allRevisions()]
    const spin = (): void => {
      const until = performance.now() + 8
      while (performance.now() < until);
    }
    // Work between records (a run of keys with nothing to write) is marked by null.
    const records = function* (): Generator<(typeof revs)[number] | null> {
      yield revs[0]!
      spin()
      yield null
      spin()
      yield null
      yield* revs.slice(1)
    }
    const chunks = [...encodeRecordChunks(stateHeader(sm, sm.store.currentRev, sm.store.compactRev, sm.store.everCompacted), records(), () => sm.store.currentRev)]
    // The first null hands out what was pending (the header and a record), long before CHUNK_BYTES;
    // the second has nothing pending: an empty chunk, the consumer's cue to take a turn.
    expect(chunks[0]!.length).toBeGreaterThan(0)
    expect(chunks[0]!.length).toBeLessThan(CHUNK_BYTES)
    expect(chunks[1]!.length).toBe(0)
    const copy = new StateMachine('0', '1', 2)
    const r = copy.beginRestore()
    for (const c of chunks) r.push(c)
    r.finish()
    expect(fingerprint(copy)).toEqual(fingerprint(sm))
  })

  it('does not count the consumer’s time between pulls as a chunk’s work', () => {
    const sm = new StateMachine('9', '1', 2)
    for (let i = 0; i < 20_000; i++) put(sm, `/registry/pods/ns/pod-${String(i).padStart(6, '0')}`, 'x'.repeat(80))
    const f = freezeState(sm)
    let bytes = 0
    let chunks = 0
    try {
      for (const c of encodeStateChunks(f)) {
        bytes += c.length
        chunks++
        // A consumer that takes longer than CHUNK_MS per chunk (a slow write, other work).
        const until = performance.now() + 6
        while (performance.now() < until);
      }
    } finally {
      f.view.release()
    }
    // Cut by size, about 2.6 MB is 10 or 11 chunks; counting the consumer's time cut one every 256
    // records, about 80. A loaded machine may cut a few early: the bound leaves room for that.
    expect(bytes).toBeGreaterThan(20_000 * 100)
    expect(chunks).toBeLessThan(40)
  })

  it('reads pieces of one buffer as one view: values across a seam are not copied', () => {
    const sm = sample()
    const bytes = encodeState(sm)
    const want = fingerprint(sm)
    for (const cut of [7, 4099, 65_536]) {
      const copy = new StateMachine('0', '1', 2)
      const r = copy.beginRestore()
      for (let off = 0; off < bytes.length; off += cut) r.push(bytes.subarray(off, off + cut))
      r.finish()
      expect(fingerprint(copy), `cut ${cut}`).toEqual(want)
      // Every value is a view into the buffer the pieces came from.
      for (const rev of copy.store.allRevisions()) if (rev.value.length > 0) expect(rev.value.buffer).toBe(bytes.buffer)
    }
  })

  it('keeps revisions too large for a small integer exact (a store restored with a revision bump)', () => {
    const sm = new StateMachine('9', '1', 2)
    sm.store.currentRev = 2 ** 40 + 5
    for (let i = 0; i < 10; i++) put(sm, `/k/${i % 3}`, `v${i}`)
    const copy = new StateMachine('0', '1', 2)
    const r = copy.beginRestore()
    r.push(encodeState(sm))
    r.finish()
    expect(fingerprint(copy)).toEqual(fingerprint(sm))
    const kv = copy.store.range('/k/0', undefined).kvs[0]!
    expect([kv.create, kv.mod, kv.version]).toEqual([2 ** 40 + 6, 2 ** 40 + 15, 4])
  })

  it('reads a state written by the earlier one-buffer format', () => {
    // Format 1 as earlier versions wrote it: JSON header, then fixed 49-byte records.
    const header = { appliedIndex: 9, appliedTerm: 2, currentRev: 4, compactRev: 0, leases: [], cluster: { clusterId: '9', members: [], removed: [] }, alarms: [], auth: { enabled: false, revision: 1, users: [], roles: [] }, revisions: 3, clusterVersion: '3.4.0' }
    const rec = (key: string, value: string, create: number, mod: number, version: number, tombstone = false): Buffer => {
      const fixed = Buffer.alloc(49)
      fixed.writeUInt32LE(key.length, 0)
      fixed.writeUInt32LE(value.length, 4)
      fixed[8] = 1
      fixed.writeDoubleLE(create, 9)
      fixed.writeDoubleLE(mod, 17)
      fixed.writeDoubleLE(0, 25)
      fixed.writeDoubleLE(version, 33)
      fixed.writeDoubleLE(tombstone ? 1 : 0, 41)
      return Buffer.concat([fixed, Buffer.from(key, 'latin1'), Buffer.from(value), Buffer.from('0')])
    }
    const head = Buffer.from(JSON.stringify(header))
    const len = Buffer.alloc(4)
    len.writeUInt32LE(head.length)
    const v1 = Buffer.concat([Buffer.from('RDSNAP1\n'), len, head, rec('b', '1', 3, 3, 1), rec('a', '1', 2, 2, 1), rec('a', '2', 2, 4, 2)])
    const sm = new StateMachine('0', '1', 2)
    sm.restore(v1)
    expect(sm.appliedIndex).toBe(9)
    expect(sm.store.range('', '').kvs.map((r) => `${r.key}=${r.value.toString()}@${r.mod}`)).toEqual(['a=2@4', 'b=1@3'])
    expect(sm.clusterVersion).toBe('3.4.0')
  })

  it('says so when the bytes end early or are not a snapshot', () => {
    const bytes = encodeState(sample())
    const d = new StateDecoder()
    d.push(bytes.subarray(0, bytes.length - 1))
    expect(() => d.finish()).toThrow('ends early')
    expect(() => new StateDecoder().push(Buffer.from('not a snapshot at all'))).toThrow('not a raftdeck state snapshot')
  })
})

describe('Snapshotter streams', () => {
  it('writes from chunks, reads back in chunks with the CRC checked, and sets a damaged file aside', async () => {
    const dir = tmp()
    const snap = new Snapshotter(dir)
    const sm = sample()
    const frozen = sm.freeze()
    const size = await snap.save(4242, 7, snapshotFileChunks({ voters: ['1'], learners: [] }, frozen))
    frozen.release()
    expect(fs.statSync(snap.fileFor(7, 4242)).size).toBe(size)
    const load = async (chunks: AsyncIterable<Buffer>) => {
      const copy = new StateMachine('0', '1', 2)
      const r = copy.beginRestore()
      const conf = await readSnapshotFile(chunks, r)
      r.finish()
      return { conf, fp: fingerprint(copy) }
    }
    const got = await snap.loadNewest(Infinity, load)
    expect(got?.value.conf).toEqual({ voters: ['1'], learners: [] })
    expect(got?.value.fp).toEqual(fingerprint(sm))
    // Damage one byte in the middle: the CRC check at the end refuses the whole file.
    const fd = fs.openSync(snap.fileFor(7, 4242), 'r+')
    fs.writeSync(fd, Buffer.from([0x42]), 0, 1, Math.floor(size / 2))
    fs.closeSync(fd)
    await expect(load(snap.read({ index: 4242, term: 7, file: snap.fileFor(7, 4242) }))).rejects.toBeInstanceOf(SnapshotCorruptError)
    expect(await snap.loadNewest(Infinity, load)).toBeUndefined()
    expect(fs.existsSync(`${snap.fileFor(7, 4242)}.broken`)).toBe(true)
  })

  it('writes nothing for an empty chunk, and gives the event loop a turn there', async () => {
    const snap = new Snapshotter(tmp())
    const a = Buffer.from('first part;')
    const b = Buffer.from('second part')
    let turned = false
    const chunks = function* (): Generator<Buffer> {
      yield a
      setImmediate(() => (turned = true))
      yield Buffer.alloc(0)
      // The immediate ran while the saver took its turn, before it pulled the next chunk.
      expect(turned).toBe(true)
      yield b
    }
    const size = await snap.save(7, 1, chunks())
    const file = fs.readFileSync(snap.fileFor(1, 7))
    expect(size).toBe(4 + a.length + b.length)
    expect(file.subarray(4)).toEqual(Buffer.concat([a, b]))
    expect(file.readUInt32LE(0)).toBe(crc32(Buffer.concat([a, b])) >>> 0)
  })

  it('a file cut short while it is read fails with its own error, also when the read ahead fails', async () => {
    const snap = new Snapshotter(tmp())
    const ref = { index: 10, term: 1, file: snap.fileFor(1, 10) }
    fs.writeFileSync(ref.file, Buffer.alloc(4 + 4 * IO_CHUNK, 1))
    const it = snap.read(ref)[Symbol.asyncIterator]()
    expect((await it.next()).value).toHaveLength(IO_CHUNK)
    // The next chunk is being read ahead; the ones after it cannot be read any more.
    fs.truncateSync(ref.file, 4 + 100)
    let err: unknown
    for (let i = 0; i < 4 && !err; i++) {
      // A slow consumer: the read ahead settles (and may fail) before the next chunk is asked for.
      await new Promise((r) => setTimeout(r, 50))
      err = await it.next().then(() => undefined, (e: unknown) => e)
    }
    expect(err).toBeInstanceOf(SnapshotCorruptError)
    expect((err as Error).message).toMatch(/file ended at \d+ of \d+ bytes/)
  })

  it('a receiver checks size and CRC before the file takes its name', async () => {
    const dir = tmp()
    const snap = new Snapshotter(dir)
    const data = Buffer.from('state bytes '.repeat(1000))
    const file = Buffer.concat([Buffer.alloc(4), data])
    file.writeUInt32LE(crc32(data), 0)
    const good = snap.receiver(3, 30, file.length)
    for (let off = 0; off < file.length; off += 1000) await good.write(file.subarray(off, off + 1000))
    await good.commit()
    expect(fs.readFileSync(snap.fileFor(3, 30))).toEqual(file)
    const bad = snap.receiver(3, 31, file.length)
    const damaged = Buffer.from(file)
    damaged[100] ^= 1
    await bad.write(damaged)
    await expect(bad.commit()).rejects.toThrow('CRC mismatch')
    const short = snap.receiver(3, 32, file.length)
    await short.write(file.subarray(0, 10))
    await expect(short.commit()).rejects.toThrow('received 10 of')
    expect(fs.readdirSync(dir).sort()).toEqual([path.basename(snap.fileFor(3, 30))])
  })
})

/** A snapshot file of `size` bytes: a CRC, then zeros (a hole: no disk blocks, no write cost). */
function sparseSnapshot(snap: Snapshotter, term: number, index: number, size: number): void {
  fs.mkdirSync(snap.dir, { recursive: true })
  const file = snap.fileFor(term, index)
  const zeros = Buffer.alloc(1024 * 1024)
  let crc = 0
  let left = size - 4
  while (left > 0) {
    const n = Math.min(left, zeros.length)
    crc = crc32(zeros.subarray(0, n), crc)
    left -= n
  }
  const fd = fs.openSync(file, 'w')
  const head = Buffer.alloc(4)
  head.writeUInt32LE(crc >>> 0)
  fs.writeSync(fd, head, 0, 4, 0)
  fs.ftruncateSync(fd, size)
  fs.closeSync(fd)
}

/** Receives into a CRC and a byte count only: the wire and the session, without 2 GiB of disk writes. */
function countingFiles(): SnapshotFiles & { got: { bytes: number; crcOk: boolean; committed: boolean } } {
  const got = { bytes: 0, crcOk: false, committed: false }
  return {
    got,
    open: () => Promise.reject(new Error('not a sender')),
    receiver: (_t, _i, size): IncomingSnapshot => {
      let head = Buffer.alloc(0)
      let crc = 0
      return {
        write: async (chunk) => {
          if (head.length < 4) {
            const need = 4 - head.length
            head = Buffer.concat([head, chunk.subarray(0, need)])
            chunk = chunk.subarray(need)
          }
          crc = crc32(chunk, crc)
          got.bytes += chunk.length + (got.bytes === 0 ? 4 : 0)
        },
        commit: async () => {
          got.crcOk = got.bytes === size && crc >>> 0 === head.readUInt32LE(0)
          got.committed = true
          if (!got.crcOk) throw new Error('bad')
        },
        abort: async () => {},
      }
    },
  }
}

describe('snapshots over 2 GiB', () => {
  // Read from disk in chunks (Snapshotter.open), framed, sent, and CRC-checked on arrival.
  const SIZE = 2 ** 31 + 5 * 1024 * 1024 + 17

  it('are sent and received over a peer connection in chunks, never held whole', async () => {
    const snap = new Snapshotter(tmp())
    sparseSnapshot(snap, 2, 900, SIZE)
    const files = countingFiles()
    const stepped: Message[] = []
    let largestFrame = 0
    const server = net.createServer((sock) => {
      let session: SnapshotReceiveSession | undefined
      sock.on(
        'data',
        frameReader(
          (f) => {
            largestFrame = Math.max(largestFrame, f.length)
            if (!session) {
              const hello = parseHello(f)
              if (hello.kind !== 'snapshot') throw new Error(`not a snapshot hello: ${hello.kind}`)
              session = new SnapshotReceiveSession(sock, hello, '2', files, { step: (m) => stepped.push(m), reportUnreachable: () => {}, reportSnapshot: () => {} }, () => {})
            } else session.onFrame(f)
          },
          (e) => sock.destroy(e),
        ),
      )
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    const port = (server.address() as net.AddressInfo).port
    const m = makeMessage({ type: MessageType.Snap, to: '2', from: '1', term: 2, snapshot: { data: new Uint8Array(0), metadata: { index: 900, term: 2, confState: { voters: ['1', '2'], learners: [] } } } })
    const rss0 = process.memoryUsage.rss()
    let peakRss = rss0
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 50)
    try {
      const ok = await sendSnapshot({ url: `http://127.0.0.1:${port}`, m, files: { open: (t, i) => snap.open(t, i), receiver: () => files.receiver(0, 0, 0) }, localId: '1', clusterId: '9' })
      expect(ok).toBe(true)
    } finally {
      clearInterval(sampler)
      server.close()
    }
    expect(files.got).toEqual({ bytes: SIZE, crcOk: true, committed: true })
    expect(stepped.map((x) => [x.type, x.snapshot?.metadata.index])).toEqual([[MessageType.Snap, 900]])
    expect(largestFrame).toBeLessThanOrEqual(1024 * 1024)
    // Both ends in this process: far less than one copy of the 2 GiB state was ever held.
    expect(peakRss - rss0).toBeLessThan(512 * 1024 * 1024)
  }, 180_000)
})
