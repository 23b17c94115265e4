import { useDialog } from 'naive-ui'
import { useTargetsStore } from '../stores/targets'

/**
 * Asks before a change on a production connection; resolves with whether to go on and with the
 * `confirm` flag the services require for production targets. Read-only targets are refused by the
 * services themselves, with a message that says so.
 */
export function useWriteGuard() {
  const dialog = useDialog()
  const targets = useTargetsStore()

  function confirmWrite(action: string): Promise<{ go: boolean; confirm: boolean }> {
    const c = targets.selectedConnection
    if (!c?.production) return Promise.resolve({ go: true, confirm: false })
    return new Promise((resolve) => {
      dialog.warning({
        title: `Production: ${c.name}`,
        content: `${action} on a cluster marked as production. Go ahead?`,
        positiveText: 'Yes, do it',
        negativeText: 'Cancel',
        onPositiveClick: () => resolve({ go: true, confirm: true }),
        onNegativeClick: () => resolve({ go: false, confirm: false }),
        onClose: () => resolve({ go: false, confirm: false }),
        onMaskClick: () => resolve({ go: false, confirm: false }),
      })
    })
  }

  return { confirmWrite }
}
