import { defineStore } from 'pinia'
import { computed, ref, watch } from 'vue'
import type { AppSettings, LastView, UiLocale } from '@shared/dto'
import { api } from '../api'
import { setLocale, systemLocale } from '../i18n'

type Change = { locale?: UiLocale | null; lastView?: LastView | null; tourDone?: boolean }

/**
 * What the app remembers across runs, kept by the services (app/settings): the language (null follows
 * the system's), the cluster and area last open, and whether the first-run tour was seen.
 */
export const useSettingsStore = defineStore('settings', () => {
  const settings = ref<AppSettings>({ locale: null, lastView: null, tourDone: false, firstRun: false })
  /** True once the services answered: before that, nothing is restored or written. */
  const loaded = ref(false)
  const system = systemLocale()
  const locale = computed<UiLocale>(() => settings.value.locale ?? system)
  watch(locale, (l) => setLocale(l), { immediate: true })

  let loading: Promise<void> | null = null
  function load(): Promise<void> {
    loading ??= (async () => {
      const r = await api().call('app/settings', {})
      if (r.ok) {
        settings.value = r.value
        loaded.value = true
      } else loading = null
    })()
    return loading
  }
  api().transport.onState((s) => {
    if (s === 'open' && !loaded.value) void load()
  })

  async function update(change: Change) {
    settings.value = { ...settings.value, ...change, ...('lastView' in change ? { firstRun: false } : {}) }
    const r = await api().call('app/updateSettings', change)
    if (r.ok) settings.value = r.value
  }

  /** null goes back to following the system's language. */
  const chooseLocale = (l: UiLocale | null) => update({ locale: l })

  return { settings, loaded, locale, system, load, update, chooseLocale }
})
