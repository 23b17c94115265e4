import { ApiClient } from './client'
import { ipcTransport } from './ipcTransport'
import { wsTransport } from './wsTransport'
import type { Transport } from './transport'

/** Picks the transport once, at start: the preload bridge in Electron, the WebSocket elsewhere. */
function pickTransport(): Transport {
  return window.raftdeck ? ipcTransport(window.raftdeck) : wsTransport(window.location)
}

let client: ApiClient | null = null

export function api(): ApiClient {
  client ??= new ApiClient(pickTransport())
  return client
}

export type { ApiClient, CallOptions, Progress } from './client'
