import { defineStore } from 'pinia'
import { shallowRef, watch } from 'vue'
import type { PlaygroundSummary } from '@shared/api/playground'
import type { ClusterStatus, Target } from '@shared/dto'
import { clusterHealth, connectionObservations, playgroundObservations, type HealthVerdict } from '@shared/health'
import { api } from '../api'
import { usePlaygroundsStore } from './playgrounds'
import { useTargetsStore } from './targets'
import { useClusterStore } from './cluster'

/** Connections not on screen are asked for their status this often. */
const BACKGROUND_MS = 15_000

const unknown: HealthVerdict = { health: 'unknown', reason: 'no-status', up: 0, total: 0, voters: 0, quorum: 0, leader: null, down: [], lagging: [] }

/**
 * The health of every playground and connection, by the one rule of @shared/health, from the freshest
 * state there is: each playground's live state stream, and each connection's status (the cluster
 * view's own polling for the one on screen, a slow poll for the others). The sidebar, the headers and
 * the status bar all read `of(target)`, so they can never disagree.
 */
export const useHealthStore = defineStore('health', () => {
  const playgrounds = usePlaygroundsStore()
  const targets = useTargetsStore()
  const cluster = useClusterStore()
  const pgState = shallowRef(new Map<string, PlaygroundSummary>())
  const connStatus = shallowRef(new Map<string, ClusterStatus>())
  const pgSubs = new Map<string, () => void>()
  const connSubs = new Map<string, () => void>()

  function setIn<T>(ref: { value: Map<string, T> }, id: string, v: T | null) {
    const next = new Map(ref.value)
    if (v === null) next.delete(id)
    else next.set(id, v)
    ref.value = next
  }

  function sync(subs: Map<string, () => void>, ids: string[], open: (id: string) => () => void, forget: (id: string) => void) {
    for (const [id, stop] of subs) {
      if (!ids.includes(id)) {
        stop()
        subs.delete(id)
        forget(id)
      }
    }
    for (const id of ids) if (!subs.has(id)) subs.set(id, open(id))
  }

  let started = false
  /** Starts following every playground and connection the sidebar lists. */
  function start() {
    if (started) return
    started = true
    watch(
      () => playgrounds.list.map((p) => p.id),
      (ids) =>
        sync(
          pgSubs,
          ids,
          (id) => api().subscribe('playground/onEvents', { id, traces: false }, (ev) => setIn(pgState, id, ev.state), () => pgSubs.delete(id)),
          (id) => setIn(pgState, id, null),
        ),
      { immediate: true },
    )
    watch(
      () => targets.connections.map((c) => c.id),
      (ids) =>
        sync(
          connSubs,
          ids,
          (id) =>
            api().subscribe('cluster/onStatus', { target: { kind: 'connection', id }, intervalMs: BACKGROUND_MS }, (s) => setIn(connStatus, id, s), () => connSubs.delete(id)),
          (id) => setIn(connStatus, id, null),
        ),
      { immediate: true },
    )
  }

  function playgroundHealth(id: string): HealthVerdict {
    const live = pgState.value.get(id)
    const listed = playgrounds.list.find((p) => p.id === id)
    // The list changes phase first (start, stop): a listed phase newer than the live state wins.
    const s = live && listed && listed.phase !== live.phase ? listed : (live ?? listed)
    return s ? clusterHealth(playgroundObservations(s)) : unknown
  }

  function connectionHealth(id: string): HealthVerdict {
    const onScreen = cluster.target?.kind === 'connection' && cluster.target.id === id ? cluster.status : null
    const background = connStatus.value.get(id) ?? null
    const s = onScreen && background ? (onScreen.time >= background.time ? onScreen : background) : (onScreen ?? background)
    return s ? clusterHealth(connectionObservations(s)) : unknown
  }

  function of(t: Target | null): HealthVerdict | null {
    if (!t || t.kind === 'snapshot') return null
    return t.kind === 'playground' ? playgroundHealth(t.id) : connectionHealth(t.id)
  }

  return { start, of }
})
