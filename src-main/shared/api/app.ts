import { s } from '../schema'
import { AREAS, UI_LOCALES, type AppInfo, type AppSettings, type LogEntry } from '../dto'
import { id, method, stream } from './spec'

export const appMethods = {
  'app/info': method<AppInfo>()(s.object({})),
  'app/recentLogs': method<LogEntry[]>()(
    s.object({ limit: s.optional(s.number({ int: true, min: 1, max: 5000 })), minLevel: s.optional(s.enum(['debug', 'info', 'warn', 'error'] as const)) }),
  ),
  /** What the app remembers across runs: language, last cluster and area, first-run tour. */
  'app/settings': method<AppSettings>()(s.object({})),
  /** Changes some settings; `locale: null` goes back to following the system, `lastView: null` forgets the view. */
  'app/updateSettings': method<AppSettings>()(
    s.object({
      locale: s.optional(s.nullable(s.enum(UI_LOCALES))),
      lastView: s.optional(s.nullable(s.object({ target: s.nullable(s.object({ kind: s.enum(['connection', 'playground'] as const), id })), area: s.enum(AREAS) }))),
      tourDone: s.optional(s.boolean()),
    }),
  ),
} as const

export const appStreams = {
  /** Service log lines as they happen (app, playground members, backups). */
  'app/onLog': stream<LogEntry>()(s.object({ minLevel: s.optional(s.enum(['debug', 'info', 'warn', 'error'] as const)) })),
} as const
