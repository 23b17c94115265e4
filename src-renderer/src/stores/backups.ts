import { defineStore } from 'pinia'
import { ref, shallowRef } from 'vue'
import type { BackupCatalogEntry, BackupEvent, BackupRun, ScheduleView } from '@shared/api/backupSchedules'
import type { ApiError } from '@shared/result'
import { api } from '../api'

/**
 * Scheduled backups: the schedules with their next runs and freshness, the history of runs and the
 * files the manifests own. Kept current by the backupSchedules/onEvent stream while a view follows
 * it; failures are also kept as alerts until dismissed (the browser shell's notification).
 */
export const useBackupsStore = defineStore('backups', () => {
  const schedules = ref<ScheduleView[]>([])
  const history = shallowRef<BackupRun[]>([])
  const files = shallowRef<BackupCatalogEntry[]>([])
  const error = ref<ApiError | null>(null)
  /** Runs in progress, by schedule id, with the state they reached. */
  const live = ref<Record<string, BackupRun>>({})
  const alerts = ref<BackupRun[]>([])
  let stop: (() => void) | null = null
  let reloadTimer: ReturnType<typeof setTimeout> | null = null

  async function load() {
    const [s, h, f] = await Promise.all([api().call('backupSchedules/list', {}), api().call('backupSchedules/history', { limit: 300 }), api().call('backupSchedules/catalog', {})])
    if (s.ok) schedules.value = s.value
    else error.value = s.error
    if (h.ok) history.value = h.value
    if (f.ok) files.value = f.value
    if (s.ok && h.ok && f.ok) error.value = null
  }

  function reloadSoon() {
    if (reloadTimer) return
    reloadTimer = setTimeout(() => {
      reloadTimer = null
      void load()
    }, 150)
  }

  function onEvent(e: BackupEvent) {
    if (e.kind === 'run') {
      const next = { ...live.value }
      if (e.run.state === 'done') delete next[e.run.scheduleId]
      else next[e.run.scheduleId] = e.run
      live.value = next
      if (e.run.state === 'done' || e.run.state === 'committed' || e.run.state === 'started') reloadSoon()
    } else if (e.kind === 'failure') {
      alerts.value = [e.run, ...alerts.value.filter((a) => a.run !== e.run.run)].slice(0, 5)
      reloadSoon()
    } else reloadSoon()
  }

  /** Follows events (idempotent): the app shell calls it once so failures alert on every screen. */
  function follow() {
    if (stop) return
    stop = api().subscribe('backupSchedules/onEvent', {}, onEvent, () => (stop = null))
  }

  function dismiss(run: string) {
    alerts.value = alerts.value.filter((a) => a.run !== run)
  }

  return { schedules, history, files, error, live, alerts, load, follow, dismiss }
})
