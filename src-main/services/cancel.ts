// Stopping long operations. A cancelled or timed-out call's AbortSignal carries an AppError as its
// reason (set by the dispatcher); services throw that error, adding what they had done before stopping,
// so the user reads "Import stopped after writing 300 of 1,000 keys" rather than a bare "aborted".

import { AppError, ErrorCode, formatMessage, isMsg, msg, type Msg } from '../shared'

/**
 * The error a stopped operation ends with: the signal's reason (CANCELLED or TIMEOUT), plus what was
 * done (a sentence, or a message the UI translates).
 */
export function stoppedError(signal: AbortSignal, soFar?: string | Msg): AppError {
  const reason: unknown = signal.reason
  const base = reason instanceof AppError ? reason : cancelledByCaller()
  if (!soFar) return base
  const message = base.msg ? msg('conn.cancel.soFar', { message: base.msg, soFar }) : `${base.message} ${isMsg(soFar) ? formatMessage(soFar) : soFar}`
  return new AppError(base.code, message, base.hintMsg ?? base.hint, base.details)
}

/** Throws the stop error if the signal is aborted; call it between steps of a long loop. */
export function throwIfStopped(signal: AbortSignal | undefined, soFar?: string | Msg): void {
  if (signal?.aborted) throw stoppedError(signal, soFar)
}

/** A CANCELLED error for a caller's request to stop. */
export function cancelledByCaller(): AppError {
  return new AppError(ErrorCode.Cancelled, msg('conn.cancel.cancelled'))
}

/** A TIMEOUT error for a call that ran past its method's limit. */
export function timedOut(timeoutMs: number): AppError {
  const limit =
    timeoutMs >= 60_000 ? msg('conn.cancel.min', { n: Math.round(timeoutMs / 60_000) }) : timeoutMs >= 1000 ? msg('conn.cancel.s', { n: Math.round(timeoutMs / 1000) }) : msg('conn.cancel.ms', { n: String(timeoutMs) })
  return new AppError(ErrorCode.Timeout, msg('conn.cancel.timedOut', { limit }), msg('conn.cancel.timedOutHint'))
}
