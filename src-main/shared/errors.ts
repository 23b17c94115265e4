// The error taxonomy shared by every service and both shells. Services throw AppError; the dispatcher
// turns it into an ApiError envelope (result.ts carries it). Codes are stable strings so the UI can
// branch on them. A message and hint may be given as a Msg (key + parameters of the service catalog,
// i18n/serviceMessages.ts): the renderer then shows them in the user's language, and `message` still
// holds the English text for the CLI, logs and older clients.

import { formatMessage, isMsg, msg, type Msg } from './i18n/message'

export const ErrorCode = {
  /** The caller sent parameters that do not match the method's schema. */
  InvalidParams: 'INVALID_PARAMS',
  /** No such method or stream in the contract. */
  UnknownMethod: 'UNKNOWN_METHOD',
  /** A referenced object (connection, playground, member, subscription) does not exist. */
  NotFound: 'NOT_FOUND',
  /** The object exists but is in a state where the operation cannot run. */
  FailedPrecondition: 'FAILED_PRECONDITION',
  /** Too many subscriptions, requests or bytes. */
  ResourceExhausted: 'RESOURCE_EXHAUSTED',
  /** The target could not be reached. */
  Unavailable: 'UNAVAILABLE',
  /** A deadline passed. */
  Timeout: 'TIMEOUT',
  /** The caller asked to stop the operation. What it did before stopping is said in the message. */
  Cancelled: 'CANCELLED',
  /** The operation was refused because of the caller's rights or a read-only mode. */
  PermissionDenied: 'PERMISSION_DENIED',
  /** A compare-and-swap lost: someone else changed the data first. */
  Conflict: 'CONFLICT',
  /** A bug or an unexpected failure. */
  Internal: 'INTERNAL',
} as const

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]

/** A failure as it crosses a process boundary: plain data. */
export interface ApiError {
  code: ErrorCode
  /** What went wrong, in the user's terms. */
  message: string
  /** What to do about it. */
  hint?: string
  /** Machine-readable extras (e.g. the field that failed validation). */
  details?: Record<string, unknown>
  /** The message as a catalog key with parameters, for translation. */
  msg?: Msg
  /** The hint as a catalog key with parameters. */
  hintMsg?: Msg
}

/** An expected failure with a message for the user and, where possible, a hint about what to do. */
export class AppError extends Error {
  readonly code: ErrorCode
  readonly hint: string | undefined
  readonly details: Record<string, unknown> | undefined
  readonly msg: Msg | undefined
  readonly hintMsg: Msg | undefined

  constructor(code: ErrorCode, message: string | Msg, hint?: string | Msg, details?: Record<string, unknown>) {
    super(isMsg(message) ? formatMessage(message) : message)
    this.name = 'AppError'
    this.code = code
    this.hint = isMsg(hint) ? formatMessage(hint) : hint
    this.details = details
    this.msg = isMsg(message) ? message : undefined
    this.hintMsg = isMsg(hint) ? hint : undefined
  }

  toApiError(): ApiError {
    const e: ApiError = { code: this.code, message: this.message }
    if (this.hint !== undefined) e.hint = this.hint
    if (this.details !== undefined) e.details = this.details
    if (this.msg) e.msg = this.msg
    if (this.hintMsg) e.hintMsg = this.hintMsg
    return e
  }
}

/** Converts anything thrown into an ApiError without leaking stack traces to the renderer. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof AppError) return err.toApiError()
  const message = err instanceof Error ? err.message : String(err)
  return new AppError(ErrorCode.Internal, msg('common.unexpected', { detail: message }), msg('common.unexpectedHint')).toApiError()
}
