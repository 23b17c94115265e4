import { defineStore } from 'pinia'
import { ref } from 'vue'

/**
 * The command palette, the shortcut sheet and what the keyboard asked of a view that may not be on screen
 * yet (a key prefix to jump to, a backup to take, a key to save): each view consumes its request when it
 * shows, so shortcuts work from any area.
 */
export const usePaletteStore = defineStore('palette', () => {
  const open = ref(false)
  const sheet = ref(false)
  const pendingKeyPrefix = ref<string | null>(null)
  /** `b` asked for a backup of the selected cluster: the Backups area takes it when it shows. */
  const pendingBackup = ref(false)
  /** Ctrl/Cmd+S: bumped on each press; the open key's editor saves when it has changes. */
  const saveRequests = ref(0)
  return { open, sheet, pendingKeyPrefix, pendingBackup, saveRequests }
})
