// The English text of every message the services produce for people, by stable key. The renderer's
// locales carry the same keys (src-renderer/src/i18n/locales/*.ts); services build messages with
// msg('area.key', { params }) so the renderer can translate them and the CLI can print them in English.
// Syntax: `{param}`; `singular | plural` chosen by the `count` parameter; `{'@'}` for a literal @ { } |.

export const serviceMessages = {
  common: {
    unexpected: 'Unexpected error: {detail}',
    unexpectedHint: 'This is a bug in Raftdeck. The service log has the details.',
  },
} as const
