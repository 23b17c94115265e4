import { defineStore } from 'pinia'
import { ref, shallowRef } from 'vue'
import type { AppInfo, LogEntry, LogLevel } from '@shared/dto'
import type { ApiError } from '@shared/result'
import { api } from '../api'
import type { TransportState } from '../api/transport'

const LOG_CAP = 2000

/** Application-wide facts: which shell, where data lives, the live link and the service log. */
export const useAppStore = defineStore('app', () => {
  const info = ref<AppInfo | null>(null)
  const error = ref<ApiError | null>(null)
  const link = ref<TransportState>(api().transport.state)
  // Log lines are append-only and never edited: keep them out of deep reactivity.
  const logs = shallowRef<LogEntry[]>([])
  /** Member processes log a lot at debug level; the activity view starts at info. */
  const logLevel = ref<LogLevel>('info')
  let stopLogs: (() => void) | null = null

  api().transport.onState((s) => {
    link.value = s
    if (s === 'open' && !info.value) void load()
  })

  async function load() {
    const r = await api().call('app/info', {})
    if (r.ok) {
      info.value = r.value
      error.value = null
    } else error.value = r.error
  }

  function appendLog(e: LogEntry) {
    const next = logs.value.length >= LOG_CAP ? logs.value.slice(-LOG_CAP + 1) : logs.value.slice()
    next.push(e)
    logs.value = next
  }

  async function followLogs() {
    if (stopLogs) return
    const r = await api().call('app/recentLogs', { limit: 500, minLevel: logLevel.value })
    if (r.ok) logs.value = r.value
    stopLogs = api().subscribe('app/onLog', { minLevel: logLevel.value }, appendLog, () => {
      stopLogs = null
    })
  }

  async function setLogLevel(level: LogLevel) {
    logLevel.value = level
    unfollowLogs()
    await followLogs()
  }

  function unfollowLogs() {
    stopLogs?.()
    stopLogs = null
  }

  return { info, error, link, logs, logLevel, load, followLogs, unfollowLogs, setLogLevel }
})
