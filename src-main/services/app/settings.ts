// What the app remembers about its user across runs: the chosen language, the cluster and area last
// open, whether the first-run tour was seen. Kept by the services in the data folder (not in the
// page's storage), because the browser shell gets a new origin (port) on every run.

import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { AREAS, UI_LOCALES, type AppSettings, type LastView, type UiLocale } from '../../shared'
import { writeFileAtomic } from '../fsAtomic'

export type SettingsChange = Partial<AppSettings>

const DEFAULTS: AppSettings = { locale: null, lastView: null, tourDone: false, firstRun: true }

/** Keeps only what is well-formed: a hand-edited or older file never breaks the window. */
export function sanitizeSettings(raw: unknown): AppSettings {
  const out: AppSettings = { ...DEFAULTS }
  if (typeof raw !== 'object' || raw === null) return out
  const r = raw as Record<string, unknown>
  if (typeof r.locale === 'string' && (UI_LOCALES as readonly string[]).includes(r.locale)) out.locale = r.locale as UiLocale
  if (typeof r.tourDone === 'boolean') out.tourDone = r.tourDone
  if (typeof r.firstRun === 'boolean') out.firstRun = r.firstRun
  const v = r.lastView as Record<string, unknown> | null | undefined
  if (v && typeof v === 'object' && typeof v.area === 'string' && (AREAS as readonly string[]).includes(v.area)) {
    const t = v.target as Record<string, unknown> | null | undefined
    const target = t && (t.kind === 'connection' || t.kind === 'playground') && typeof t.id === 'string' ? { kind: t.kind as 'connection' | 'playground', id: t.id } : null
    out.lastView = { target, area: v.area as LastView['area'] }
  }
  return out
}

export class SettingsStore {
  private readonly file: string
  private current: AppSettings | null = null
  /** Writes one after another, so the file always ends with the last change. */
  private chain: Promise<unknown> = Promise.resolve()

  constructor(dataDir: string) {
    this.file = path.join(dataDir, 'settings.json')
  }

  async get(): Promise<AppSettings> {
    if (this.current) return { ...this.current }
    let raw: unknown = null
    try {
      raw = JSON.parse(await readFile(this.file, 'utf8'))
    } catch {
      // absent (first run) or unreadable: start from the defaults
    }
    this.current ??= sanitizeSettings(raw)
    return { ...this.current }
  }

  async update(change: Omit<SettingsChange, 'firstRun'>): Promise<AppSettings> {
    // Recording a view (even "none") ends the first run.
    const next = sanitizeSettings({ ...(await this.get()), ...change, ...('lastView' in change ? { firstRun: false } : {}) })
    this.current = next
    const write = this.chain.then(() => writeFileAtomic(this.file, JSON.stringify(next, null, 2) + '\n'))
    this.chain = write.catch(() => {})
    await write
    return { ...next }
  }
}
