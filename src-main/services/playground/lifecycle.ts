// The playground supervisor's state machine, written down (GUIDE §3.7): a pure transition function,
// so every path is testable without processes. Member processes have their own states; this one is the
// playground as a whole.

import type { PlaygroundPhase } from '../../shared/api/playground'

export type LifecycleEvent =
  /** The user (or a reopen after an app restart) asks for the members to run. */
  | { type: 'start' }
  /** Every member process has started and serves clients. */
  | { type: 'started' }
  /** A member could not be started at all (bad binary, port in use, data dir of another cluster). */
  | { type: 'startFailed'; error: string }
  /** The user asks for all members to stop. */
  | { type: 'stop' }
  /** Every member process has exited after a stop. */
  | { type: 'stopped' }

export interface Transition {
  phase: PlaygroundPhase
  /** Why the transition was refused, when it was. */
  refused?: string
}

/**
 * Members that crash or are killed on purpose do not change the phase: a running playground with a
 * dead member is exactly what users break it for. Only start/stop requests and their outcomes do.
 */
export function transition(phase: PlaygroundPhase, event: LifecycleEvent): Transition {
  switch (event.type) {
    case 'start':
      if (phase === 'stopped' || phase === 'failed') return { phase: 'starting' }
      if (phase === 'running' || phase === 'starting') return { phase }
      return { phase, refused: 'the playground is stopping; start it again when it has stopped' }
    case 'started':
      return phase === 'starting' ? { phase: 'running' } : { phase, refused: `unexpected 'started' in ${phase}` }
    case 'startFailed':
      return phase === 'starting' ? { phase: 'failed' } : { phase, refused: `unexpected 'startFailed' in ${phase}` }
    case 'stop':
      if (phase === 'running' || phase === 'starting' || phase === 'failed') return { phase: 'stopping' }
      if (phase === 'stopped' || phase === 'stopping') return { phase }
      return { phase, refused: `cannot stop in ${phase}` }
    case 'stopped':
      return phase === 'stopping' ? { phase: 'stopped' } : { phase, refused: `unexpected 'stopped' in ${phase}` }
  }
}
