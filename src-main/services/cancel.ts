// Stopping long operations. A cancelled or timed-out call's AbortSignal carries an AppError as its
// reason (set by the dispatcher); services throw that error, adding what they had done before stopping,
// so the user reads "Import stopped after writing 300 of 1,000 keys" rather than a bare "aborted".

import { AppError, ErrorCode } from '../shared'

/** The error a stopped operation ends with: the signal's reason (CANCELLED or TIMEOUT), plus what was done. */
export function stoppedError(signal: AbortSignal, soFar?: string): AppError {
  const reason: unknown = signal.reason
  const base = reason instanceof AppError ? reason : new AppError(ErrorCode.Cancelled, 'Cancelled.')
  if (!soFar) return base
  return new AppError(base.code, `${base.message} ${soFar}`, base.hint, base.details)
}

/** Throws the stop error if the signal is aborted; call it between steps of a long loop. */
export function throwIfStopped(signal: AbortSignal | undefined, soFar?: string): void {
  if (signal?.aborted) throw stoppedError(signal, soFar)
}

/** A CANCELLED error for a caller's request to stop. */
export const cancelledByCaller = (): AppError => new AppError(ErrorCode.Cancelled, 'Cancelled.')

/** A TIMEOUT error for a call that ran past its method's limit. */
export function timedOut(timeoutMs: number): AppError {
  const limit = timeoutMs >= 60_000 ? `${Math.round(timeoutMs / 60_000)} min` : timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`
  return new AppError(ErrorCode.Timeout, `Stopped: it did not finish within ${limit}.`, 'Check the cluster’s health, or try a smaller piece (a narrower prefix, a smaller file).')
}
