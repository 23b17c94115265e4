import { onBeforeUnmount } from 'vue'
import { useRoute, useRouter } from 'vue-router'
import { usePaletteStore } from '../stores/palette'
import { useTargetsStore } from '../stores/targets'
import { useClusterStore } from '../stores/cluster'
import { useKeyTreeStore } from '../stores/keyTree'

/** The shortcuts the sheet (`?`) lists, in its order. `mod` is Ctrl, or ⌘ on macOS. */
export const SHORTCUTS = [
  { keys: ['mod', 'K'], what: 'palette' },
  { keys: ['?'], what: 'sheet' },
  { keys: ['mod', 'S'], what: 'save' },
  { keys: ['R'], what: 'refresh' },
  { keys: ['B'], what: 'backup' },
  { keys: ['1', '…', '5'], what: 'areas' },
  { keys: ['Esc'], what: 'close' },
] as const

const AREA_KEYS = ['cluster', 'keys', 'backups', 'restore', 'activity'] as const

/** Typing in a field: single-letter shortcuts stay out of the way. */
function typing(e: KeyboardEvent): boolean {
  const el = e.target as HTMLElement | null
  // The key tree's type-ahead takes letters and digits too.
  return !!el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName) || !!el.closest('.cm-editor, [role="tree"]'))
}

/** One window-wide keyboard handler for the shortcuts of SHORTCUTS. */
export function useShortcuts() {
  const palette = usePaletteStore()
  const targets = useTargetsStore()
  const route = useRoute()
  const router = useRouter()

  function onKey(e: KeyboardEvent) {
    const mod = e.ctrlKey || e.metaKey
    const k = e.key.toLowerCase()
    if (mod && !e.altKey && k === 'k') {
      e.preventDefault()
      palette.sheet = false
      palette.open = !palette.open
      return
    }
    if (mod && !e.altKey && k === 's') {
      // Never the browser's "save page": in the Keys area it saves the open key.
      e.preventDefault()
      if (route.name === 'keys') palette.saveRequests++
      return
    }
    if (mod || e.altKey || typing(e) || palette.open) return
    if (e.key === '?') {
      palette.sheet = !palette.sheet
    } else if (k === 'r') {
      if (route.name === 'keys' && targets.selected) void useKeyTreeStore().loadRoot()
      else if (route.name === 'cluster' && targets.selected?.kind === 'connection') void useClusterStore().refresh()
      else return
    } else if (k === 'b') {
      if (!targets.selected || targets.selected.kind === 'snapshot') return
      palette.pendingBackup = true
      if (route.name !== 'backups') void router.push({ name: 'backups' })
    } else if (/^[1-5]$/.test(e.key)) {
      void router.push({ name: AREA_KEYS[Number(e.key) - 1]! })
    } else return
    e.preventDefault()
  }
  window.addEventListener('keydown', onKey)
  onBeforeUnmount(() => window.removeEventListener('keydown', onKey))
}
