import type { ClientMessage, HostMessage } from '@shared/protocol'
import type { Transport, TransportState } from './transport'

/**
 * WebSocket to the browser shell's host on the page's own origin; the access cookie set by the first
 * page load authenticates it. Reconnects with capped backoff if the host restarts or the link drops.
 */
export function wsTransport(location: Location): Transport {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/rpc`
  const messageListeners: ((m: HostMessage) => void)[] = []
  const stateListeners: ((s: TransportState) => void)[] = []
  let socket: WebSocket
  let state: TransportState = 'connecting'
  let retry = 0

  const setState = (s: TransportState) => {
    state = s
    stateListeners.forEach((l) => l(s))
  }

  const open = () => {
    socket = new WebSocket(url)
    socket.onopen = () => {
      retry = 0
      setState('open')
    }
    socket.onmessage = (ev) => {
      let m: HostMessage
      try {
        m = JSON.parse(String(ev.data)) as HostMessage
      } catch {
        return
      }
      messageListeners.forEach((l) => l(m))
    }
    socket.onclose = () => {
      setState('closed')
      const delay = Math.min(5000, 250 * 2 ** retry++)
      setTimeout(() => {
        setState('connecting')
        open()
      }, delay)
    }
  }
  open()

  return {
    kind: 'websocket',
    get state() {
      return state
    },
    /** Sends now; the client never sends while the link is not open (it queues and resubscribes itself). */
    send(msg: ClientMessage) {
      if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(msg))
    },
    onMessage: (l) => void messageListeners.push(l),
    onState: (l) => void stateListeners.push(l),
  }
}
