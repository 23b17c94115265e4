// Any bytes on the peer port are safe: bad hellos, garbage, truncated and oversized frames are
// dropped with a log line; a message must come from the member its connection said hello as. Each
// case ends by showing that a well-behaved peer still gets its message through.
import net from 'node:net'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { makeMessage, MessageType, type Message } from '../../../src-main/raft/index'
import { frame } from '../../../src-main/member/peer/framing'
import { decodeMessage, encodeMessage, MalformedMessage } from '../../../src-main/member/peer/messageCodec'
import { PeerTransport } from '../../../src-main/member/peer/tcpTransport'
import { PeerDiagnostics, type PeerHandler } from '../../../src-main/member/peer/transport'
import { freePorts } from '../../support/ports'

interface Harness {
  port: number
  stepped: Message[]
  logs: string[]
  transport: PeerTransport
}

const transports: PeerTransport[] = []
afterEach(async () => {
  for (const t of transports.splice(0)) await t.stop()
})

/** Member 1 of cluster 9, whose only peer is member 2 (not listening: the link just retries). */
async function harness(): Promise<Harness> {
  const [port, deadPort] = await freePorts(2)
  const logs: string[] = []
  const stepped: Message[] = []
  const t = new PeerTransport(
    {
      identity: { localId: '1', clusterId: '9' },
      directory: { clusterInfo: () => ({ clusterId: '9', members: [] }), isRemoved: (id) => id === '7', onRemovedNotice: () => {} },
      diagnostics: new PeerDiagnostics(),
      requests: { handle: async () => ({}) },
      log: (l) => logs.push(l),
    },
    [`http://127.0.0.1:${port}`],
  )
  transports.push(t)
  t.syncPeers([
    { ID: '1', peerURLs: [`http://127.0.0.1:${port}`] },
    { ID: '2', peerURLs: [`http://127.0.0.1:${deadPort}`] },
  ])
  const node: PeerHandler = { step: (m) => stepped.push(m), reportUnreachable: () => {}, reportSnapshot: () => {} }
  await t.start(node)
  return { port: port!, stepped, logs, transport: t }
}

const hello = (o: object = { from: '2', to: '1', clusterId: '9' }) => Buffer.concat(frame(Buffer.from(JSON.stringify(o))))
const msgFrame = (m: Message) => Buffer.concat(frame(encodeMessage(m)))
const heartbeat = (term: number, from = '2') => makeMessage({ type: MessageType.Heartbeat, from, to: '1', term, commit: 0 })

/** Writes bytes (in chunks), then waits until the server closes the connection or `settleMs` pass. */
function sendRaw(port: number, chunks: Buffer[], settleMs = 300): Promise<'closed by member' | 'still open'> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port })
    let done = false
    const finish = (how: 'closed by member' | 'still open') => {
      if (done) return
      done = true
      s.destroy()
      resolve(how)
    }
    s.on('error', () => finish('closed by member'))
    s.on('close', () => finish('closed by member'))
    s.on('end', () => finish('closed by member'))
    s.once('connect', () => {
      for (const c of chunks) s.write(c)
      setTimeout(() => finish('still open'), settleMs)
    })
  })
}

/** A well-behaved peer gets a heartbeat through (the port still works). */
async function stillWorks(h: Harness, term: number): Promise<void> {
  await sendRaw(h.port, [hello(), msgFrame(heartbeat(term))], 50)
  const deadline = Date.now() + 5000
  while (!h.stepped.some((m) => m.term === term)) {
    if (Date.now() > deadline) throw new Error(`heartbeat of term ${term} never arrived; log: ${h.logs.join(' | ')}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

describe('peer port: any bytes are safe', () => {
  it('drops the six bytes "length 2, {}" with a log line instead of exiting', async () => {
    const h = await harness()
    const six = Buffer.from([2, 0, 0, 0, 0x7b, 0x7d])
    expect(await sendRaw(h.port, [six])).toBe('closed by member')
    expect(h.logs.join('\n')).toMatch(/dropped connection from 127\.0\.0\.1:\d+: bad hello \(from is not a decimal ID\)/)
    await stillWorks(h, 5)
  })

  it('drops bad hellos: not JSON, wrong cluster, another member, an unknown member, an oversized frame', async () => {
    const h = await harness()
    const cases: Array<[Buffer, RegExp]> = [
      [Buffer.concat(frame(Buffer.from('GET / HTTP/1.1'))), /bad hello \(not JSON\)/],
      [hello({ from: '2', to: '1', clusterId: '10' }), /request cluster ID mismatch/],
      [hello({ from: '2', to: '3', clusterId: '9' }), /hello is for member 3, this is 1/],
      [hello({ from: '5', to: '1', clusterId: '9' }), /member 5 is not in this cluster/],
      [hello({ from: '18446744073709551616', to: '1', clusterId: '9' }), /from 18446744073709551616 is out of range/],
      [hello({ query: 'everything' }), /unknown query/],
      // An HTTP request read as a length prefix: 542 MB announced before any hello.
      [Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), /bad hello: frame of 542393671 bytes is over the limit of 65536 bytes/],
    ]
    for (const [bytes, why] of cases) {
      expect(await sendRaw(h.port, [bytes])).toBe('closed by member')
      expect(h.logs.join('\n')).toMatch(why)
    }
    expect(h.stepped).toHaveLength(0)
    await stillWorks(h, 6)
  })

  it('drops a message whose sender is not the member the connection said hello as', async () => {
    const h = await harness()
    expect(await sendRaw(h.port, [hello(), msgFrame(heartbeat(7, '3'))])).toBe('closed by member')
    expect(h.logs.join('\n')).toMatch(/dropped connection from member 2 .*: message MsgHeartbeat claims to be from 3 to 1/)
    const toOther = makeMessage({ type: MessageType.Heartbeat, from: '2', to: '4', term: 7, commit: 0 })
    expect(await sendRaw(h.port, [hello(), msgFrame(toOther)])).toBe('closed by member')
    expect(h.stepped).toHaveLength(0)
    await stillWorks(h, 8)
  })

  it('drops malformed and truncated messages but keeps the connection of an identified peer', async () => {
    const h = await harness()
    const good = encodeMessage(heartbeat(9))
    const truncated = Buffer.concat(frame(good.subarray(0, good.length - 3)))
    const hup = Buffer.concat(frame(encodeMessage(makeMessage({ type: MessageType.Hup, from: '2', to: '1', term: 9 }))))
    const nanTerm = Buffer.from(good)
    nanTerm.writeDoubleLE(Number.NaN, 18)
    expect(await sendRaw(h.port, [hello(), truncated, hup, Buffer.concat(frame(nanTerm)), msgFrame(heartbeat(10))])).toBe('still open')
    const log = h.logs.join('\n')
    expect(log).toMatch(/dropped message from member 2: truncated at byte/)
    expect(log).toMatch(/dropped message from member 2: message type MsgHup is not sent between members/)
    expect(log).toMatch(/dropped message from member 2: term NaN is not a log position/)
    expect(h.stepped.map((m) => m.term)).toEqual([10])
  })

  it('closes a connection that announces an oversized frame after its hello, and one that never says hello', async () => {
    const h = await harness()
    const huge = Buffer.alloc(4)
    huge.writeUInt32LE(0xffffffff, 0)
    expect(await sendRaw(h.port, [hello(), huge])).toBe('closed by member')
    expect(h.logs.join('\n')).toMatch(/frame of 4294967295 bytes is over the limit/)
    // Half a frame, then the client goes away: nothing to log, nothing to crash.
    expect(await sendRaw(h.port, [Buffer.from([10, 0, 0, 0, 1, 2])], 50)).toBe('still open')
    await stillWorks(h, 11)
  })

  it('survives arbitrary bytes before and after a hello (fast-check)', async () => {
    const h = await harness()
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 4 }), async (afterHello, parts) => {
        const chunks = parts.map((p) => Buffer.from(p))
        await sendRaw(h.port, afterHello ? [hello(), ...chunks] : chunks, 5)
      }),
      { numRuns: 150, seed: 1313 },
    )
    await stillWorks(h, 12)
  })
})

describe('peer message codec', () => {
  it('decodes only whole, well-formed messages: every other input throws MalformedMessage', () => {
    const valid = encodeMessage(
      makeMessage({ type: MessageType.App, from: '2', to: '1', term: 3, logTerm: 2, index: 7, commit: 6, entries: [{ term: 3, index: 8, type: 0, data: Buffer.from('x') }] }),
    )
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.tuple(fc.nat(valid.length - 1), fc.nat(255)).map(([i, v]) => Buffer.from(valid).fill(v, i, i + 1)), fc.nat(valid.length - 1).map((n) => valid.subarray(0, n))), (bytes) => {
        try {
          const m = decodeMessage(Buffer.from(bytes))
          // What decodes must be a message whose numbers make sense.
          expect(Number.isSafeInteger(m.term) && m.term >= 0).toBe(true)
          for (const e of m.entries) expect([0, 1]).toContain(e.type)
        } catch (err) {
          expect(err).toBeInstanceOf(MalformedMessage)
        }
      }),
      { numRuns: 2000, seed: 13 },
    )
  })
})
