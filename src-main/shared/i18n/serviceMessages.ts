// The English text of every message the services produce for people, by stable key. The
// Chinese catalog carries the same keys (./zh-CN/*.ts, used by the renderer and by the Electron main process); services build messages with
// msg('area.key', { params }) so the renderer can translate them and the CLI can print them in English.
// Syntax: `{param}`; `singular | plural` chosen by the `count` parameter; `{'@'}` for a literal @ { } |.
// One file per service area under ./messages, so areas are edited apart.
import { backupMessages } from './messages/backup'
import { connMessages } from './messages/conn'
import { keysMessages } from './messages/keys'
import { playgroundMessages } from './messages/playground'
import { restoreMessages } from './messages/restore'

export const serviceMessages = {
  common: {
    unexpected: 'Unexpected error: {detail}',
    unexpectedHint: 'This is a bug in Raftdeck. The service log has the details.',
  },
  backup: backupMessages,
  conn: connMessages,
  keys: keysMessages,
  pg: playgroundMessages,
  restore: restoreMessages,
} as const
