import { defineStore } from 'pinia'
import { ref, shallowRef } from 'vue'
import type { PlaygroundEvent, PlaygroundSummary, PlaygroundTrace } from '@shared/api/playground'
import type { ApiError } from '@shared/result'
import { api } from '../api'
import type { TimelinePoint } from './cluster.shared'
import { stateDiffToLog, traceToLog, type LogEvent } from './playgrounds.shared'

const HISTORY = 1200
const LOG_CAP = 3000

/**
 * Playgrounds: the list (kept live by a stream) and, for the one on screen, its live state, the
 * recent trace events for the message flow, a term/leader history and the readable event log. Large
 * arrays live in shallowRefs and are replaced, never mutated deeply.
 */
export const usePlaygroundsStore = defineStore('playgrounds', () => {
  const list = ref<PlaygroundSummary[]>([])
  const current = shallowRef<PlaygroundSummary | null>(null)
  const traces = shallowRef<PlaygroundTrace[]>([])
  const history = shallowRef<TimelinePoint[]>([])
  const log = shallowRef<LogEvent[]>([])
  const dropped = ref(0)
  const error = ref<ApiError | null>(null)
  let stopList: (() => void) | null = null
  let stopEvents: (() => void) | null = null
  let followed: string | null = null

  function watchList() {
    if (stopList) return
    stopList = api().subscribe('playground/onList', {}, (l) => (list.value = l), () => (stopList = null))
  }

  function onEvent(ev: PlaygroundEvent) {
    const prev = current.value
    current.value = ev.state
    traces.value = ev.traces
    dropped.value += ev.dropped
    const lines: LogEvent[] = []
    for (const t of ev.traces) {
      const l = traceToLog(t)
      if (l) lines.push(l)
    }
    lines.push(...stateDiffToLog(prev, ev.state))
    if (lines.length) log.value = [...log.value, ...lines].slice(-LOG_CAP)
    const up = ev.state.members.filter((m) => m.raft && m.process === 'running')
    if (up.length) {
      const leader = up.find((m) => m.raft!.role === 'leader')
      history.value = [
        ...history.value.slice(-(HISTORY - 1)),
        {
          time: Date.now(),
          term: Math.max(...up.map((m) => Number(m.raft!.term))),
          index: Math.max(...up.map((m) => Number(m.raft!.commit))),
          leaderId: leader?.id ?? null,
        },
      ]
    }
    // Keep the sidebar list in step without waiting for the list stream.
    const i = list.value.findIndex((p) => p.id === ev.state.id)
    if (i >= 0 && list.value[i]!.phase !== ev.state.phase) list.value = list.value.map((p) => (p.id === ev.state.id ? ev.state : p))
  }

  function follow(id: string | null) {
    if (followed === id && stopEvents) return
    stopEvents?.()
    stopEvents = null
    followed = id
    current.value = null
    traces.value = []
    history.value = []
    log.value = []
    dropped.value = 0
    error.value = null
    if (!id) return
    stopEvents = api().subscribe('playground/onEvents', { id, traces: true }, onEvent, (err) => {
      stopEvents = null
      if (err) error.value = err
    })
  }

  function unfollow() {
    stopEvents?.()
    stopEvents = null
    followed = null
  }

  return { list, current, traces, history, log, dropped, error, watchList, follow, unfollow }
})
