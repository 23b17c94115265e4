import type { ClientMessage, HostMessage } from '@shared/protocol'
import type { Transport, TransportState } from './transport'

export function ipcTransport(bridge: RaftdeckBridge): Transport {
  const listeners: ((m: HostMessage) => void)[] = []
  bridge.on((m) => listeners.forEach((l) => l(m)))
  return {
    kind: 'ipc',
    state: 'open' as TransportState,
    send(msg: ClientMessage) {
      void bridge.call(msg)
    },
    onMessage: (l) => void listeners.push(l),
    // IPC does not drop while the window lives.
    onState: () => {},
  }
}
