// Service messages of the keys services (English; ../zh-CN/keys.ts mirrors it).
// The CLI and the logs print these texts through formatMessage(); tests that read the English keep passing.
export const keysMessages = {
  emptyKey: 'The key is empty.',
  emptyKeyHint: 'etcd keys need at least one byte.',
  textAndB64: 'Send the value as text or as base64, not both.',
  deleteNeedsRevision: 'Deleting needs the mod revision of the key you looked at.',
  renameSame: 'The new name is the same as the old one.',
  renameTaken: 'A key named like that already exists (mod revision {modRevision}).',
  renameTakenHint: 'Pick another name, or delete that key first.',
  deleteEverything: 'Refusing to delete every key of the cluster from the key editor.',
  deleteEverythingHint: 'Pick a folder (a non-empty prefix).',
  typedMismatch: 'The typed prefix does not match the folder.',
  typedMismatchHint: 'Type {prefix} exactly to confirm.',
  prefixChanged: 'Keys under this prefix changed after you counted them (now {now} keys); nothing was deleted.',
  prefixChangedHint: 'Count again and confirm the new number.',
  deletedTooMany: 'Deleted {deleted} keys, more than the {expected} counted.',
  transfer: {
    tooBig: 'The prefix holds more than {mib} MiB.',
    tooBigHint: 'Export a narrower prefix.',
    notJson: 'The file is not JSON: {detail}.',
    notExport: 'The file is not a Raftdeck key export (format raftdeck-keys/1).',
    pickExport: 'Pick a file made by "Export".',
    entryNoKey: 'Entry {index} has no key.',
    entryEmptyKey: 'Entry {index} has an empty key.',
    duplicate: 'Key {key} appears twice in the file.',
  },
  /** What a stopped import says it did (after the stop reason: cancelled, or the time limit). */
  stopped: {
    cancelled: 'Cancelled.',
    withWork: '{reason} {soFar}',
    noneWritten: 'No key was written.',
    someWritten: '{written} of {total} keys were written before it stopped; they stay written. A new dry run shows what is left.',
  },
  /** Phases of the long calls' progress. */
  phase: {
    reading: 'Reading keys',
    comparing: 'Comparing with the keys in etcd',
    readingCurrent: 'Reading the current values',
    writing: 'Writing keys',
  },
  k8s: {
    envelope: 'The Kubernetes envelope is damaged: {detail}.',
    undecodable: 'The {kind} bytes do not decode ({detail}); showing the raw field tree.',
    object: 'object',
  },
} as const
