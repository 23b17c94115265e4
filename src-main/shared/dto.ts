// Data shapes that cross the API boundary. Plain JSON: no classes, no bigint (64-bit etcd IDs travel
// as decimal strings so no precision is lost in JavaScript numbers).

export type ShellKind = 'electron' | 'browser'

export interface AppInfo {
  name: string
  version: string
  shell: ShellKind
  platform: string
  /** Where Raftdeck keeps playgrounds, profiles and backups. */
  dataDir: string
  /** An etcd binary found on this machine, for the real-etcd playground engine; null when none. */
  etcdBinary: string | null
  /** How secrets in connection profiles are protected on this shell. */
  secretStorage: 'os-keychain' | 'file-0600'
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

export interface LogEntry {
  /** Milliseconds since the epoch. */
  time: number
  level: LogLevel
  /** Which part of the app wrote it: 'app', 'playground/demo/n1', 'backup/nightly'… */
  source: string
  message: string
}
