import { defineStore } from 'pinia'
import { computed, ref, watch } from 'vue'

export type ThemeChoice = 'light' | 'dark' | 'system'

const KEY = 'raftdeck.theme'

export const useThemeStore = defineStore('theme', () => {
  const stored = localStorage.getItem(KEY)
  const choice = ref<ThemeChoice>(stored === 'light' || stored === 'dark' ? stored : 'system')
  const media = window.matchMedia('(prefers-color-scheme: dark)')
  const systemDark = ref(media.matches)
  media.addEventListener('change', (e) => (systemDark.value = e.matches))

  const dark = computed(() => (choice.value === 'system' ? systemDark.value : choice.value === 'dark'))
  watch(choice, (c) => localStorage.setItem(KEY, c))
  watch(dark, (d) => document.documentElement.classList.toggle('dark', d), { immediate: true })

  function toggle() {
    choice.value = dark.value ? 'light' : 'dark'
  }

  return { choice, dark, toggle }
})
