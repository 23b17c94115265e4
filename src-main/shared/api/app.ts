import { s } from '../schema'
import type { AppInfo, LogEntry } from '../dto'
import { method, stream } from './spec'

export const appMethods = {
  'app/info': method<AppInfo>()(s.object({})),
  'app/recentLogs': method<LogEntry[]>()(
    s.object({ limit: s.optional(s.number({ int: true, min: 1, max: 5000 })), minLevel: s.optional(s.enum(['debug', 'info', 'warn', 'error'] as const)) }),
  ),
} as const

export const appStreams = {
  /** Service log lines as they happen (app, playground members, backups). */
  'app/onLog': stream<LogEntry>()(s.object({ minLevel: s.optional(s.enum(['debug', 'info', 'warn', 'error'] as const)) })),
} as const
