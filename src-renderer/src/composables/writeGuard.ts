// The rules every write in the UI goes through, as a plain function (unit-tested in Node, *.web.test.ts): a read-only
// connection is refused before anything is asked; a production one asks before each change; a change
// that cannot be undone asks wherever it runs. The services enforce read-only and production again.
// The questions are in the UI's language (`keys.guard.*`); the `action` and `detail` a caller passes are
// already in it (the caller translates them).

import { t } from '../i18n'

/** What a write needs to know about where it goes. */
export interface WritePolicy {
  name: string
  readOnly: boolean
  production: boolean
  /** Why it is read-only and what to do, as a whole sentence in the UI's language, when it is not a read-only connection (e.g. a snapshot file). */
  readOnlyReason?: string
}

export interface GuardOptions {
  /** Ask even where the target does not require it: the change cannot be undone (compaction, deleting a file). */
  destructive?: boolean
  /** More words for the question, e.g. the file or the key it is about. */
  detail?: string
}

export type WriteDecision =
  | { kind: 'refuse'; message: string }
  | { kind: 'ask'; production: boolean; title: string; content: string; positiveText: string }
  | { kind: 'go' }

export function readOnlyMessage(policy: WritePolicy): string {
  return policy.readOnlyReason ?? t('keys.guard.readOnly', { name: policy.name })
}

/** `policy` null: the write does not go to a cluster (a local file), so only `destructive` matters. */
export function writeDecision(policy: WritePolicy | null, action: string, opts: GuardOptions = {}): WriteDecision {
  if (policy?.readOnly) return { kind: 'refuse', message: readOnlyMessage(policy) }
  const detail = opts.detail
  if (policy?.production)
    return {
      kind: 'ask',
      production: true,
      title: t('keys.guard.productionTitle', { name: policy.name }),
      content: detail ? t('keys.guard.productionDetail', { action, name: policy.name, detail }) : t('keys.guard.production', { action, name: policy.name }),
      positiveText: t('keys.guard.productionYes'),
    }
  if (opts.destructive)
    return {
      kind: 'ask',
      production: false,
      title: t('keys.guard.destructiveTitle', { action }),
      content: detail ? t('keys.guard.destructiveDetail', { detail }) : t('keys.guard.destructive'),
      positiveText: t('keys.guard.destructiveYes'),
    }
  return { kind: 'go' }
}
