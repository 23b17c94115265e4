import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { ConnectionSummary, Target } from '@shared/dto'
import type { ApiError } from '@shared/result'
import { api } from '../api'
import { usePlaygroundsStore } from './playgrounds'
import { useRestoreStore } from './restore'

/**
 * What the user is looking at: the saved connections (and, with the playground, local clusters) and the
 * one selected in the sidebar. Every feature view (cluster, keys, backups) works on `selected`. Which
 * one was selected last is remembered by the services (composables/useSession.ts), not here.
 */
export const useTargetsStore = defineStore('targets', () => {
  const connections = ref<ConnectionSummary[]>([])
  const selected = ref<Target | null>(null)
  const loadError = ref<ApiError | null>(null)
  /** True once the saved connections have been read at least once (the list is not just empty-before-load). */
  const connectionsLoaded = ref(false)

  const selectedConnection = computed(() =>
    selected.value?.kind === 'connection' ? (connections.value.find((c) => c.id === selected.value!.id) ?? null) : null,
  )
  const playgrounds = usePlaygroundsStore()
  const selectedPlayground = computed(() =>
    selected.value?.kind === 'playground' ? (playgrounds.list.find((p) => p.id === selected.value!.id) ?? null) : null,
  )
  // A snapshot file opened read-only (Restore area) is a target of the key editor; it is not remembered across reloads.
  const restoreStore = useRestoreStore()
  const selectedSnapshot = computed(() => (selected.value?.kind === 'snapshot' ? (restoreStore.openSnapshots.find((s) => s.id === selected.value!.id) ?? null) : null))
  const selectedName = computed(() => selectedConnection.value?.name ?? selectedPlayground.value?.name ?? selectedSnapshot.value?.name ?? null)

  async function loadConnections() {
    const r = await api().call('connections/list', {})
    if (!r.ok) {
      loadError.value = r.error
      return
    }
    loadError.value = null
    connections.value = r.value
    connectionsLoaded.value = true
    if (selected.value?.kind === 'connection' && !r.value.some((c) => c.id === selected.value!.id)) select(null)
  }

  function select(t: Target | null) {
    selected.value = t
  }

  const isSelected = (t: Target) => selected.value?.kind === t.kind && selected.value.id === t.id

  return { connections, connectionsLoaded, selected, selectedConnection, selectedPlayground, selectedSnapshot, selectedName, loadError, loadConnections, select, isSelected }
})
