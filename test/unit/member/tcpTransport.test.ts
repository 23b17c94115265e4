// The TCP peer transport accepts nothing before it is given the Raft node to hand messages to,
// and delivers a peer's first message to that node as soon as it does.
import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { makeMessage, MessageType, type Message } from '../../../src-main/raft/index'
import { frame } from '../../../src-main/member/peer/framing'
import { encodeMessage } from '../../../src-main/member/peer/messageCodec'
import { PeerTransport } from '../../../src-main/member/peer/tcpTransport'
import { PeerDiagnostics, type PeerHandler } from '../../../src-main/member/peer/transport'
import { freePorts } from '../../support/ports'

const transports: PeerTransport[] = []
afterEach(async () => {
  for (const t of transports.splice(0)) await t.stop()
})

function transport(port: number): PeerTransport {
  const t = new PeerTransport(
    {
      identity: { localId: '1', clusterId: '9' },
      directory: { clusterInfo: () => ({ clusterId: '9', members: [] }), isRemoved: () => false, onRemovedNotice: () => {} },
      diagnostics: new PeerDiagnostics(),
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
})
