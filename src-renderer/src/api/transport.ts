// A transport moves protocol messages; it knows nothing about methods. Two exist: Electron IPC
// (through the preload bridge) and WebSocket (browser shell). The choice is made once, in pickTransport.

import type { ClientMessage, HostMessage } from '@shared/protocol'

export type TransportState = 'connecting' | 'open' | 'closed'

export interface Transport {
  readonly kind: 'ipc' | 'websocket'
  send(msg: ClientMessage): void
  onMessage(listener: (m: HostMessage) => void): void
  /** Called on every state change; after a reconnect ('open' again) live subscriptions are re-opened. */
  onState(listener: (s: TransportState) => void): void
  readonly state: TransportState
}
