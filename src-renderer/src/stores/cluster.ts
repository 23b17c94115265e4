import { defineStore } from 'pinia'
import { ref, shallowRef } from 'vue'
import type { AlarmInfo, ClusterStatus, EndpointStatus, HashKvResult, Target } from '@shared/dto'
import { ErrorCode } from '@shared/errors'
import { formatMessage, msg } from '@shared/i18n/message'
import type { ApiError, Result } from '@shared/result'
import type { VerifyReport } from '@shared/api/restore'
import { api, type CallOptions } from '../api'
import { timelinePoint, type TimelinePoint } from './cluster.shared'

const HISTORY = 600
const INTERVAL_KEY = 'raftdeck.cluster.intervalMs'

/** The cluster view's live status: a polling subscription per selected target, with its history. */
export const useClusterStore = defineStore('cluster', () => {
  const target = shallowRef<Target | null>(null)
  const status = shallowRef<ClusterStatus | null>(null)
  const history = shallowRef<TimelinePoint[]>([])
  const error = ref<ApiError | null>(null)
  const intervalMs = ref<number>(Number(localStorage.getItem(INTERVAL_KEY)) || 2000)
  const hashKV = shallowRef<HashKvResult | null>(null)
  let stop: (() => void) | null = null

  function onStatus(s: ClusterStatus) {
    status.value = s
    error.value = null
    const p = timelinePoint(s)
    if (p) history.value = [...history.value.slice(-(HISTORY - 1)), p]
  }

  function start() {
    stop?.()
    stop = null
    if (!target.value) return
    if (intervalMs.value > 0) {
      stop = api().subscribe('cluster/onStatus', { target: target.value, intervalMs: intervalMs.value }, onStatus, (err) => {
        stop = null
        if (err) error.value = err
      })
    } else void refresh()
  }

  function follow(t: Target | null) {
    const same = t && target.value && t.kind === target.value.kind && t.id === target.value.id
    if (same && stop) return
    target.value = t
    if (!same) {
      status.value = null
      history.value = []
      hashKV.value = null
      error.value = null
    }
    start()
  }

  function unfollow() {
    stop?.()
    stop = null
  }

  function setInterval(ms: number) {
    intervalMs.value = ms
    localStorage.setItem(INTERVAL_KEY, String(ms))
    start()
  }

  async function refresh() {
    if (!target.value) return
    const r = await api().call('cluster/status', { target: target.value })
    if (r.ok) onStatus(r.value)
    else error.value = r.error
  }

  async function checkConsistency() {
    if (!target.value) return null
    const r = await api().call('cluster/hashKV', { target: target.value })
    if (r.ok) hashKV.value = r.value
    return r
  }

  const noTargetMsg = msg('conn.cluster.noClusterSelected')
  const noTarget: Result<never> = { ok: false, error: { code: ErrorCode.FailedPrecondition, message: formatMessage(noTargetMsg), msg: noTargetMsg } }

  /** Every check of a healthy cluster (the restore verification's), against the selected target. */
  function runChecks(): Promise<Result<VerifyReport>> {
    if (!target.value) return Promise.resolve(noTarget)
    return api().call('cluster/check', { target: target.value })
  }

  // ---- maintenance (the view guards each with useWriteGuard and passes the user's `confirm`) ---------

  async function moveLeader(toMemberId: string, confirm: boolean): Promise<Result<null>> {
    if (!target.value) return noTarget
    const r = await api().call('cluster/moveLeader', { target: target.value, toMemberId, confirm })
    if (r.ok) await refresh()
    return r
  }

  function defragment(endpoint: string, confirm: boolean, opts?: CallOptions): Promise<Result<EndpointStatus>> {
    if (!target.value) return Promise.resolve(noTarget)
    return api().call('cluster/defragment', { target: target.value, endpoint, confirm }, opts)
  }

  function compact(confirm: boolean): Promise<Result<{ revision: string }>> {
    if (!target.value) return Promise.resolve(noTarget)
    return api().call('cluster/compact', { target: target.value, confirm })
  }

  async function disarmAlarm(memberId: string, alarm: 'NOSPACE' | 'CORRUPT', confirm: boolean): Promise<Result<AlarmInfo[]>> {
    if (!target.value) return noTarget
    const r = await api().call('cluster/disarmAlarm', { target: target.value, memberId, alarm, confirm })
    if (r.ok) await refresh()
    return r
  }

  return { target, status, history, error, intervalMs, hashKV, follow, unfollow, setInterval, refresh, checkConsistency, runChecks, moveLeader, defragment, compact, disarmAlarm }
})
