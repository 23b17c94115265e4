// The one write guard of the UI: every view that changes a cluster (or deletes something the user
// cannot get back) asks it first. Read-only targets are refused before any question, with a message;
// production targets ask for confirmation; the result says whether to go on and whether the user
// confirmed (the `confirm` flag the services require on production). The rules are in writeGuard.ts.
//
//   const { guard, readOnly } = useWriteGuard()            // the cluster selected in the sidebar
//   const confirm = await guard(compactText, { destructive: true })   // compactText: in the UI's language
//   if (confirm === null) return                          // refused or declined: nothing was sent
//
//   const files = useWriteGuard(null)                     // not a cluster: only `destructive` asks
//   const r = await files.run(t('backups.oneOff.deleteTitle'), () => api().call('backups/delete', { path }), { destructive: true, detail: path })
//
// The questions and the refusals are in the UI's language (`keys.guard.*` in the locales); the action
// and detail the caller passes must already be. Errors are shown with their translated message and hint.

import { computed, toValue, type MaybeRefOrGetter } from 'vue'
import { useDialog, useMessage } from 'naive-ui'
import { ErrorCode } from '@shared/errors'
import type { ApiError, Result } from '@shared/result'
import { errorText, t } from '../i18n'
import { useTargetsStore } from '../stores/targets'
import { writeDecision, type GuardOptions, type WritePolicy } from './writeGuard'

export type { GuardOptions, WritePolicy } from './writeGuard'

/**
 * `source`: omitted for the cluster selected in the sidebar; a policy (or a getter of one) for another
 * target; null when the write does not go to a cluster.
 */
export function useWriteGuard(source?: MaybeRefOrGetter<WritePolicy | null>) {
  const targets = useTargetsStore()
  const dialog = useDialog()
  const message = useMessage()

  const policy = computed<WritePolicy | null>(() => {
    if (source !== undefined) return toValue(source)
    const c = targets.selectedConnection
    if (c) return { name: c.name, readOnly: c.readOnly, production: c.production }
    const p = targets.selectedPlayground
    if (p) return { name: p.name, readOnly: false, production: false }
    const snap = targets.selectedSnapshot
    return snap ? { name: snap.name, readOnly: true, production: false, readOnlyReason: t('keys.guard.snapshot', { name: snap.name }) } : null
  })
  const readOnly = computed(() => policy.value?.readOnly ?? false)
  const production = computed(() => policy.value?.production ?? false)

  /** Resolves to the `confirm` flag to send (true when the user was asked and agreed), or null: do not write. */
  function guard(action: string, opts: GuardOptions = {}): Promise<boolean | null> {
    const d = writeDecision(policy.value, action, opts)
    if (d.kind === 'refuse') {
      message.warning(d.message, { duration: 6000 })
      return Promise.resolve(null)
    }
    if (d.kind === 'go') return Promise.resolve(false)
    return new Promise((resolve) => {
      const answer = (v: boolean | null) => () => resolve(v)
      dialog.warning({
        title: d.title,
        content: d.content,
        positiveText: d.positiveText,
        negativeText: t('common.cancel'),
        onPositiveClick: answer(true),
        onNegativeClick: answer(null),
        onClose: answer(null),
        onMaskClick: answer(null),
      })
    })
  }

  /** A failed call as the user should read it: what went wrong and what to do; a cancellation is no failure. */
  function showError(e: ApiError) {
    const text = errorText(e)
    if (e.code === ErrorCode.Cancelled) message.info(text, { duration: 6000 })
    else message.error(text, { duration: 6000 })
  }

  /** guard, then the write with the `confirm` flag, then its error shown. Null when it was not sent. */
  async function run<T>(action: string, write: (confirm: boolean) => Promise<Result<T>>, opts: GuardOptions = {}): Promise<Result<T> | null> {
    const confirm = await guard(action, opts)
    if (confirm === null) return null
    const r = await write(confirm)
    if (!r.ok) showError(r.error)
    return r
  }

  return { policy, readOnly, production, guard, run, showError }
}
