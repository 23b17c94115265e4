// The wire messages shared by both transports (Electron IPC and WebSocket). The transports move these
// objects; the dispatcher gives them meaning. Keeping one protocol means the renderer's code paths are
// identical in both shells.

import type { Msg } from './i18n/message'
import type { Result } from './result'

/**
 * How far a long call has come, as its handler reports it. `done` and `total` count `unit`s; `total` is
 * null while it is not known. `phase` names the step in the user's words ("Writing keys"), in English;
 * `phaseMsg`, when the handler sets it, is the same step as a message key the renderer translates.
 */
export interface Progress {
  phase?: string
  phaseMsg?: Msg
  done: number
  total: number | null
  unit: 'keys' | 'bytes' | 'members' | 'items'
}

export type ClientMessage =
  | { t: 'call'; id: number; method: string; params: unknown }
  /**
   * Asks the host to stop the call with this id. The call still gets exactly one 'result': the handler's
   * own (it may have finished first, or report what it did before stopping), or a CANCELLED error.
   */
  | { t: 'cancel'; id: number }
  | { t: 'sub'; id: number; stream: string; params: unknown }
  | { t: 'unsub'; id: number }

export type HostMessage =
  | { t: 'result'; id: number; result: Result<unknown> }
  /** Progress of the call with the same id; never sent after its 'result'. */
  | { t: 'progress'; id: number; progress: Progress }
  /** An event of the subscription opened by the 'sub' message with the same id. */
  | { t: 'event'; id: number; payload: unknown }
  /** The subscription ended: stopped by the client, by the service, or with an error. */
  | { t: 'end'; id: number; result: Result<null> }

export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024

/** Structural check of an untrusted client message; parameters are validated later per method. */
export function parseClientMessage(raw: unknown): ClientMessage | null {
  if (typeof raw !== 'object' || raw === null) return null
  const m = raw as Record<string, unknown>
  if (typeof m.id !== 'number' || !Number.isSafeInteger(m.id) || m.id < 0) return null
  switch (m.t) {
    case 'call':
      return typeof m.method === 'string' ? { t: 'call', id: m.id, method: m.method, params: m.params } : null
    case 'sub':
      return typeof m.stream === 'string' ? { t: 'sub', id: m.id, stream: m.stream, params: m.params } : null
    case 'cancel':
      return { t: 'cancel', id: m.id }
    case 'unsub':
      return { t: 'unsub', id: m.id }
    default:
      return null
  }
}

/** Electron IPC channel names; the preload accepts nothing else. */
export const IPC_CHANNEL_RPC = 'raftdeck:rpc'
export const IPC_CHANNEL_EVENT = 'raftdeck:event'
