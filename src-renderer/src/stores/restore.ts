// The restore wizard's state and its calls to the services: the target (a saved connection's members
// or rows typed by hand), the snapshot and its check, the impact preview, the plan, rehearsals and the
// verification. The step machine itself is in restore.shared.ts.

import { defineStore } from 'pinia'
import { computed, ref, shallowRef, watch } from 'vue'
import type { BackupFile } from '@shared/api/backups'
import type { ImpactPreview, LintReport, OpenSnapshot, RehearsalResult, RenderedPlan, SnapshotReport, TargetDiscovery, VerifyReport } from '@shared/api/restore'
import type { ApiError } from '@shared/result'
import { api } from '../api'
import { clampStep, emptyRow, factsOf, nextStep, rowProblems, rowsFromDiscovery, toInput, type MemberRow, type WizardStep } from './restore.shared'

export const useRestoreStore = defineStore('restore', () => {
  const step = ref<WizardStep>('target')
  const source = ref<'connection' | 'manual'>('connection')
  const connectionId = ref<string | null>(null)
  const discovery = shallowRef<TargetDiscovery | null>(null)
  const rows = ref<MemberRow[]>([emptyRow(0), emptyRow(1), emptyRow(2)])
  const snapshotPath = ref('')
  const inspection = shallowRef<SnapshotReport | null>(null)
  const catalogue = shallowRef<BackupFile[]>([])
  const impact = shallowRef<ImpactPreview | null>(null)
  const token = ref('')
  const bumpOn = ref<boolean | null>(null)
  const bumpBy = ref(1_000_000_000)
  const plan = shallowRef<RenderedPlan | null>(null)
  const rehearsals = shallowRef<RehearsalResult[]>([])
  const verification = shallowRef<VerifyReport | null>(null)
  const openSnapshots = ref<OpenSnapshot[]>([])
  const busy = ref<string | null>(null)
  /** Empty required fields are pointed out once the user has moved past the target step (or read a connection). */
  const showEmptyErrors = ref(false)
  const error = shallowRef<ApiError | null>(null)

  const problems = computed(() => rowProblems(rows.value))
  const liveReachable = computed(() => source.value === 'connection' && Boolean(discovery.value && discovery.value.members.some((m) => m.reachable)))
  const facts = computed(() => factsOf({ rows: rows.value, inspection: inspection.value, liveReachable: liveReachable.value, planMade: plan.value !== null }))
  const next = computed(() => nextStep(step.value, facts.value))
  const kubernetes = computed(() => inspection.value?.kubernetes ?? false)
  const bumpEnabled = computed(() => bumpOn.value ?? kubernetes.value)

  // A plan belongs to the target and snapshot it was made from: changing either drops it.
  watch([rows, snapshotPath], () => {
    plan.value = null
    verification.value = null
    step.value = clampStep(step.value, facts.value)
  }, { deep: true })
  watch(snapshotPath, () => {
    inspection.value = null
    impact.value = null
  })

  async function run<T>(what: string, call: () => Promise<{ ok: true; value: T } | { ok: false; error: ApiError }>): Promise<T | null> {
    busy.value = what
    error.value = null
    try {
      const r = await call()
      if (!r.ok) {
        error.value = r.error
        return null
      }
      return r.value
    } finally {
      busy.value = null
    }
  }

  async function discover(id: string) {
    connectionId.value = id
    source.value = 'connection'
    discovery.value = null
    const d = await run('discover', () => api().call('restore/discover', { connectionId: id }))
    if (!d) return
    discovery.value = d
    if (d.members.length) {
      rows.value = rowsFromDiscovery(d)
      showEmptyErrors.value = true
    }
  }

  function typeByHand() {
    source.value = 'manual'
    discovery.value = null
    impact.value = null
  }

  function addRow() {
    rows.value = [...rows.value, emptyRow(rows.value.length)]
  }

  function removeRow(i: number) {
    rows.value = rows.value.filter((_, j) => j !== i)
  }

  async function loadCatalogue() {
    const r = await api().call('backups/list', {})
    if (r.ok) catalogue.value = r.value
  }

  async function inspect(path = snapshotPath.value) {
    snapshotPath.value = path.trim()
    inspection.value = null
    const r = await run('inspect', () => api().call('restore/inspect', { path: snapshotPath.value }))
    if (r) inspection.value = r
    if (r?.kubernetes && bumpOn.value === null) bumpBy.value = 1_000_000_000
  }

  async function loadImpact() {
    if (!connectionId.value || !inspection.value?.path) return
    impact.value = await run('impact', () => api().call('restore/impact', { path: inspection.value!.path, target: { kind: 'connection', id: connectionId.value! } }))
  }

  async function makePlan() {
    const p = await run('plan', () =>
      api().call('restore/plan', {
        snapshotPath: inspection.value!.path,
        members: rows.value.map(toInput),
        ...(token.value.trim() ? { token: token.value.trim() } : {}),
        // Untouched, the services choose (on for Kubernetes, sized to cover the live cluster's lead).
        ...(bumpOn.value === null ? {} : { bumpRevision: bumpEnabled.value ? bumpBy.value : 0 }),
        ...(discovery.value?.revision ? { liveRevision: discovery.value.revision } : {}),
      }),
    )
    if (!p) return
    plan.value = p
    token.value = p.plan.token
    if (p.plan.bump) bumpBy.value = p.plan.bump.revision
    rehearsals.value = []
    verification.value = null
  }

  async function rehearse(engine: 'etcd' | 'raftdeck', procedure: 'plan' | 'naive') {
    if (!plan.value) return
    const r = await run(`rehearse-${procedure}`, () => api().call('restore/rehearse', { planId: plan.value!.plan.id, engine, procedure }))
    if (r) rehearsals.value = [r, ...rehearsals.value]
  }

  async function deleteRehearsal(r: RehearsalResult) {
    busy.value = 'delete-rehearsal'
    const res = await api().call('playground/delete', { id: r.playgroundId })
    busy.value = null
    // Already gone (deleted from the sidebar) is as good as deleted.
    if (res.ok || res.error.code === 'NOT_FOUND') rehearsals.value = rehearsals.value.filter((x) => x !== r)
    else error.value = res.error
  }

  async function verify() {
    if (!plan.value || !connectionId.value) return
    verification.value = await run('verify', () => api().call('restore/verify', { planId: plan.value!.plan.id, target: { kind: 'connection', id: connectionId.value! } }))
  }

  async function lint(text: string, opts: { kubernetes?: boolean; etcdVersion?: string }): Promise<LintReport | null> {
    return run('lint', () => api().call('restore/lint', { text, ...opts }))
  }

  async function openSnapshot(path: string): Promise<OpenSnapshot | null> {
    const r = await run('open-snapshot', () => api().call('restore/openSnapshot', { path }))
    if (r && !openSnapshots.value.some((o) => o.id === r.id)) openSnapshots.value = [...openSnapshots.value, r]
    return r
  }

  async function closeSnapshot(id: string) {
    await api().call('restore/closeSnapshot', { id })
    openSnapshots.value = openSnapshots.value.filter((o) => o.id !== id)
  }

  async function loadOpenSnapshots() {
    const r = await api().call('restore/openSnapshots', {})
    if (r.ok) openSnapshots.value = r.value
  }

  function go(s: WizardStep) {
    if (step.value === 'target') showEmptyErrors.value = true
    step.value = clampStep(s, facts.value)
  }

  return {
    step,
    source,
    connectionId,
    discovery,
    rows,
    snapshotPath,
    inspection,
    catalogue,
    impact,
    token,
    bumpOn,
    bumpBy,
    bumpEnabled,
    kubernetes,
    plan,
    rehearsals,
    verification,
    openSnapshots,
    busy,
    error,
    showEmptyErrors,
    problems,
    liveReachable,
    facts,
    next,
    discover,
    typeByHand,
    addRow,
    removeRow,
    loadCatalogue,
    inspect,
    loadImpact,
    makePlan,
    rehearse,
    deleteRehearsal,
    verify,
    lint,
    openSnapshot,
    closeSnapshot,
    loadOpenSnapshots,
    go,
  }
})
