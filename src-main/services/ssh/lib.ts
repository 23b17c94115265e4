// ssh2 is loaded when an SSH tunnel or key is actually used: it is two dozen modules and a native
// add-on (cpu-features), which every `raftdeck backup run` from cron would otherwise load at start.
import type ssh2 from 'ssh2'

export type Ssh2 = typeof ssh2

let loaded: Promise<Ssh2> | undefined

export function loadSsh2(): Promise<Ssh2> {
  loaded ??= import('ssh2').then((m) => m.default)
  return loaded
}
