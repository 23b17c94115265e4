import { ref, watch } from 'vue'
import { useRoute, useRouter } from 'vue-router'
import { AREAS, type Area, type LastView } from '@shared/dto'
import { useSettingsStore } from '../stores/settings'
import { useTargetsStore } from '../stores/targets'
import { usePlaygroundsStore } from '../stores/playgrounds'

/** Waits this long for the saved connections and playgrounds before giving up on restoring a view. */
const RESTORE_WAIT_MS = 10_000

/** This window opened on the first run's playground: the tour is offered (once, until done or dismissed). */
export const firstRunLanded = ref(false)

/**
 * Where the window opens and what it remembers:
 * - first run: as soon as the playground the services create on first start shows up, it is selected
 *   and its Cluster view opened (and the tour offered);
 * - later runs: the cluster and area last open, if that cluster still exists;
 * - from then on every change of cluster or area is remembered (app/updateSettings).
 * Anything the user does before that happens wins: nothing is restored over a choice already made.
 */
export function useSession() {
  const settings = useSettingsStore()
  const targets = useTargetsStore()
  const playgrounds = usePlaygroundsStore()
  const route = useRoute()
  const router = useRouter()
  /** The view is settled: restored, or the user chose before it could be. From here on changes are saved. */
  const settled = ref(false)
  let applying = false
  const stops: (() => void)[] = []

  const area = (): Area => ((AREAS as readonly string[]).includes(String(route.name)) ? (route.name as Area) : 'cluster')

  function settle() {
    settled.value = true
    stops.splice(0).forEach((s) => s())
  }

  async function apply(target: LastView['target'], to: Area) {
    applying = true
    try {
      if (target) targets.select(target)
      if (area() !== to) await router.replace({ name: to })
    } finally {
      applying = false
    }
    settle()
  }

  // The user chose something before the restore could: keep it.
  stops.push(
    watch([() => targets.selected, () => route.name], () => {
      if (!applying && !settled.value && (targets.selected || route.name !== 'cluster')) settle()
    }),
  )

  stops.push(
    watch(
      () => settings.loaded,
      (loaded) => {
        if (!loaded || settled.value) return
        const s = settings.settings
        if (s.firstRun) {
          // The services create the "local" playground on first start; open it when it is listed.
          stops.push(
            watch(
              () => playgrounds.list[0],
              (p) => {
                if (p && !settled.value) {
                  firstRunLanded.value = true
                  void apply({ kind: 'playground', id: p.id }, 'cluster')
                }
              },
              { immediate: true },
            ),
          )
          return
        }
        const last = s.lastView
        if (!last) return settle()
        const t = last.target
        if (!t) return void apply(null, last.area)
        const exists = () => (t.kind === 'playground' ? playgrounds.list.some((p) => p.id === t.id) : targets.connections.some((c) => c.id === t.id))
        const loadedAll = () => (t.kind === 'playground' ? playgrounds.list.length > 0 : targets.connectionsLoaded)
        const timer = setTimeout(() => !settled.value && void apply(null, last.area), RESTORE_WAIT_MS)
        stops.push(() => clearTimeout(timer))
        stops.push(
          watch(
            [exists, loadedAll],
            ([yes, all]) => {
              if (settled.value) return
              if (yes) void apply(t, last.area)
              else if (all && t.kind === 'connection') void apply(null, last.area)
            },
            { immediate: true },
          ),
        )
      },
      { immediate: true },
    ),
  )

  // Remember every change of cluster or area once settled.
  let timer: ReturnType<typeof setTimeout> | null = null
  watch([() => targets.selected, () => route.name, settled], () => {
    if (!settled.value || !settings.loaded) return
    const sel = targets.selected
    // A snapshot file is not reopened across runs: remember the area only.
    const view: LastView = { target: sel && sel.kind !== 'snapshot' ? { kind: sel.kind, id: sel.id } : null, area: area() }
    const prev = settings.settings.lastView
    if (prev && prev.area === view.area && prev.target?.kind === view.target?.kind && prev.target?.id === view.target?.id && !settings.settings.firstRun) return
    if (timer) clearTimeout(timer)
    timer = setTimeout(() => void settings.update({ lastView: view }), 250)
  })

  return { settled }
}
