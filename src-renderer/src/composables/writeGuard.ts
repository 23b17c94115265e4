// The rules every write in the UI goes through, as a pure function (unit-tested in Node): a read-only
// connection is refused before anything is asked; a production one asks before each change; a change
// that cannot be undone asks wherever it runs. The services enforce read-only and production again.

/** What a write needs to know about where it goes. */
export interface WritePolicy {
  name: string
  readOnly: boolean
  production: boolean
  /** Why it is read-only and what to do, when it is not a read-only connection (e.g. a snapshot file). */
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
  if (policy.readOnlyReason) return `"${policy.name}" ${policy.readOnlyReason}`
  return `"${policy.name}" is a read-only connection: nothing was changed. Edit the connection and turn read-only off to make changes.`
}

/** `policy` null: the write does not go to a cluster (a local file), so only `destructive` matters. */
export function writeDecision(policy: WritePolicy | null, action: string, opts: GuardOptions = {}): WriteDecision {
  if (policy?.readOnly) return { kind: 'refuse', message: readOnlyMessage(policy) }
  const detail = opts.detail ? ` ${opts.detail}` : ''
  if (policy?.production)
    return {
      kind: 'ask',
      production: true,
      title: `Production: ${policy.name}`,
      content: `${action} on "${policy.name}", which is marked as production.${detail} Continue?`,
      positiveText: 'Yes, make the change',
    }
  if (opts.destructive) return { kind: 'ask', production: false, title: `${action}?`, content: `This cannot be undone.${detail}`, positiveText: 'Yes, go ahead' }
  return { kind: 'go' }
}
