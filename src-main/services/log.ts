// The service log: a bounded ring of recent entries plus live listeners. Every service writes here
// (never to console directly), so the UI can show what the app and its playground members are doing.

import type { LogEntry, LogLevel } from '../shared'

const LEVEL_ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 }

export const levelAtLeast = (level: LogLevel, min: LogLevel): boolean => LEVEL_ORDER[level] >= LEVEL_ORDER[min]

export class LogBus {
  private readonly ring: LogEntry[] = []
  /** info and above kept apart, so chatty member logs (debug) never push them out. */
  private readonly important: LogEntry[] = []
  private readonly listeners = new Set<(e: LogEntry) => void>()

  constructor(
    private readonly capacity = 5000,
    private readonly echo: ((e: LogEntry) => void) | null = null,
    private readonly now: () => number = Date.now,
  ) {}

  write(level: LogLevel, source: string, message: string): void {
    const entry: LogEntry = { time: this.now(), level, source, message }
    this.ring.push(entry)
    if (this.ring.length > this.capacity) this.ring.splice(0, this.ring.length - this.capacity)
    if (level !== 'debug') {
      this.important.push(entry)
      if (this.important.length > this.capacity) this.important.splice(0, this.important.length - this.capacity)
    }
    this.echo?.(entry)
    for (const l of this.listeners) l(entry)
  }

  /** A logger bound to one source, so callers do not repeat it. */
  scoped(source: string): Logger {
    return {
      debug: (m) => this.write('debug', source, m),
      info: (m) => this.write('info', source, m),
      warn: (m) => this.write('warn', source, m),
      error: (m) => this.write('error', source, m),
    }
  }

  recent(limit: number, minLevel: LogLevel = 'debug'): LogEntry[] {
    if (minLevel === 'debug') return this.ring.slice(-limit)
    const out: LogEntry[] = []
    for (let i = this.important.length - 1; i >= 0 && out.length < limit; i--) {
      const e = this.important[i]!
      if (levelAtLeast(e.level, minLevel)) out.push(e)
    }
    return out.reverse()
  }

  subscribe(listener: (e: LogEntry) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  get listenerCount(): number {
    return this.listeners.size
  }
}

export interface Logger {
  debug(message: string): void
  info(message: string): void
  warn(message: string): void
  error(message: string): void
}
