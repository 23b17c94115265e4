// The TCP peer transport accepts nothing before it is given the Raft node to hand messages to,
// and delivers a peer's first message to that node as soon as it does.
import net from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { makeMessage, MessageType, type Message } from '../../../src-main/raft/index'
import { frame } from '../../../src-main/member/peer/framing'
import { encodeMessage } from '../../../src-main/member/peer/messageCodec'
import { PeerTransport } from '../../../src-main/member/peer/tcpTransport'
import { PeerDiagnostics, type PeerHandler } from '../../../src-main/member/peer/transport'
import { Snapshotter } from '../../../src-main/member/snap/snapshotter'
import { freePorts } from '../../support/ports'
import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const transports: PeerTransport[] = []
afterEach(async () => {
  for (const t of transports.splice(0)) await t.stop()
})

/** Member `localId` of cluster 9, listening on `port`; `removal` answers its directory's removal questions. */
function transport(port: number, localId = '1', removal: { isRemoved?: (id: string) => boolean; onRemovedNotice?: () => void } = {}): PeerTransport {
  const t = new PeerTransport(
    {
      identity: { localId, clusterId: '9' },
      directory: { clusterInfo: () => ({ clusterId: '9', members: [] }), isRemoved: removal.isRemoved ?? (() => false), onRemovedNotice: removal.onRemovedNotice ?? (() => {}) },
      diagnostics: new PeerDiagnostics(),
      snapshots: new Snapshotter(mkdtempSync(path.join(os.tmpdir(), 'rd-tcp-snap-'))),
      requests: { handle: async () => ({}) },
      log: () => {},
    },
    [`http://127.0.0.1:${port}`],
  )
  transports.push(t)
  return t
}

/** Connects as member 2 and sends a hello and one message; resolves with the connection's fate. */
function peerSends(port: number, m: Message): Promise<'sent' | 'refused'> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port })
    s.once('error', () => resolve('refused'))
    s.once('connect', () => {
      for (const part of frame(Buffer.from(JSON.stringify({ from: '2', to: '1', clusterId: '9' })))) s.write(part)
      for (const part of frame(encodeMessage(m))) s.write(part)
      s.end(() => resolve('sent'))
    })
  })
}

describe('TCP peer transport', () => {
  it('is not listening before start(node), and hands the first message to the node once started', async () => {
    const [port, deadPort] = await freePorts(2)
    const t = transport(port!)
    // Member 2 is in the cluster (it is not listening; the link to it just retries).
    t.syncPeers([{ ID: '2', peerURLs: [`http://127.0.0.1:${deadPort}`] }])
    const heartbeat = makeMessage({ type: MessageType.Heartbeat, from: '2', to: '1', term: 3, commit: 1 })
    expect(await peerSends(port!, heartbeat)).toBe('refused')
    const stepped: Message[] = []
    let arrived!: () => void
    const first = new Promise<void>((resolve) => (arrived = resolve))
    const node: PeerHandler = {
      step: (m) => {
        stepped.push(m)
        arrived()
      },
      reportUnreachable: () => {},
      reportSnapshot: () => {},
    }
    await t.start(node)
    // Started: the same message now reaches the node.
    expect(await peerSends(port!, heartbeat)).toBe('sent')
    await first
    expect(stepped[0]).toMatchObject({ type: 'MsgHeartbeat', from: '2', to: '1', term: 3, commit: 1 })
  })

  it('dials a member at once when it connects to us, instead of waiting out the retry delay', async () => {
    const [port, peerPort] = await freePorts(2)
    const t = transport(port!)
    // Retry timers never fire on their own here: only the peer's own connection can make us dial.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const servers: net.Server[] = []
    try {
      let unreachable = 0
      await t.start({ step: () => {}, reportUnreachable: () => void unreachable++, reportSnapshot: () => {} })
      t.syncPeers([{ ID: '2', peerURLs: [`http://127.0.0.1:${peerPort}`] }])
      // Member 2 is down: the first dial fails and the link waits for its retry.
      await vi.waitFor(() => expect(unreachable).toBeGreaterThan(0), { timeout: 5000, interval: 10 })
      expect(t.connectedSince('2')).toBe(0)
      // Member 2 comes up and connects to us, as a restarted member does.
      const dialed = new Promise<void>((resolve) => {
        const server = net.createServer((sock) => {
          sock.on('error', () => {})
          resolve()
        })
        servers.push(server)
        server.listen(peerPort, '127.0.0.1')
      })
      await new Promise((r) => servers[0]!.once('listening', r))
      expect(await peerSends(port!, makeMessage({ type: MessageType.HeartbeatResp, from: '2', to: '1', term: 1 }))).toBe('sent')
      await dialed
      await vi.waitFor(() => expect(t.connectedSince('2')).toBeGreaterThan(0), { timeout: 5000, interval: 10 })
    } finally {
      vi.useRealTimers()
      for (const s of servers) s.close()
    }
  })

  it('tells a member removed while its connection was open, on that connection, and drops what it sends', async () => {
    const [port1, port2] = await freePorts(2)
    // Member 1 applies member 2's removal; member 2 missed it and still talks on its old connection.
    const removedAt1 = new Set<string>()
    let told!: () => void
    const toldRemoved = new Promise<void>((resolve) => (told = resolve))
    const one = transport(port1!, '1', { isRemoved: (id) => removedAt1.has(id) })
    const two = transport(port2!, '2', { onRemovedNotice: () => told() })
    const steppedAt1: Message[] = []
    await one.start({ step: (m) => void steppedAt1.push(m), reportUnreachable: () => {}, reportSnapshot: () => {} })
    await two.start({ step: () => {}, reportUnreachable: () => {}, reportSnapshot: () => {} })
    one.syncPeers([{ ID: '2', peerURLs: [`http://127.0.0.1:${port2}`] }])
    two.syncPeers([{ ID: '1', peerURLs: [`http://127.0.0.1:${port1}`] }])
    const heartbeat = (term: number): Message => makeMessage({ type: MessageType.HeartbeatResp, from: '2', to: '1', term })
    await vi.waitFor(() => expect(two.connectedSince('1')).toBeGreaterThan(0), { timeout: 5000, interval: 10 })
    two.send([heartbeat(1)])
    await vi.waitFor(() => expect(steppedAt1.map((m) => m.term)).toEqual([1]), { timeout: 5000, interval: 10 })

    removedAt1.add('2')
    one.syncPeers([])
    two.send([heartbeat(2)])
    await toldRemoved
    expect(steppedAt1.map((m) => m.term)).toEqual([1])
  })
})
