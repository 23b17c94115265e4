// Read-only and production rules, as the user meets them: a read-only connection never offers a write,
// and a production one asks before each change. The services enforce the same rules again.
import { computed } from 'vue'
import { useDialog, useMessage } from 'naive-ui'
import type { ApiError } from '@shared/result'
import { useTargetsStore } from '../../stores/targets'

export function useWriteGuard() {
  const targets = useTargetsStore()
  const dialog = useDialog()
  const message = useMessage()
  const readOnly = computed(() => targets.selectedConnection?.readOnly ?? targets.selected?.kind === 'snapshot')
  const production = computed(() => targets.selectedConnection?.production ?? false)

  /** Resolves to the `confirm` flag to send, or null when the user declined (or may not write). */
  function guard(action: string): Promise<boolean | null> {
    if (readOnly.value) {
      message.warning(targets.selected?.kind === 'snapshot' ? 'A snapshot file is read-only: restore it into a playground to change it.' : 'This connection is read-only. Edit the connection to allow changes.')
      return Promise.resolve(null)
    }
    if (!production.value) return Promise.resolve(false)
    return new Promise((resolve) => {
      dialog.warning({
        title: 'Production cluster',
        content: `${action} on "${targets.selectedConnection?.name}", which is marked as production. Continue?`,
        positiveText: 'Yes, make the change',
        negativeText: 'Cancel',
        onPositiveClick: () => resolve(true),
        onNegativeClick: () => resolve(null),
        onClose: () => resolve(null),
        onMaskClick: () => resolve(null),
      })
    })
  }

  function showError(e: ApiError) {
    message.error(e.hint ? `${e.message} ${e.hint}` : e.message, { duration: 6000 })
  }

  return { readOnly, production, guard, showError }
}
