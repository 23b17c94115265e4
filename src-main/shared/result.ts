// Results cross every process boundary as plain data: Electron's IPC drops custom fields of thrown
// errors, and a WebSocket carries only JSON, so failures travel as values, never as exceptions.

import type { ApiError } from './errors'

export type { ApiError }

export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError }

export const ok = <T>(value: T): Result<T> => ({ ok: true, value })
export const fail = (error: ApiError): Result<never> => ({ ok: false, error })
