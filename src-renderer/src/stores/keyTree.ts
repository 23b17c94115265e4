// The key tree's state: the loaded part of the selected cluster's key space (a flat index outside deep
// reactivity, see keyTree.shared.ts), the live watch on the open folder, prefix search, and the
// operations on whole folders (count, delete, export, import). The open key lives in keyEditor.ts.

import { defineStore } from 'pinia'
import { computed, markRaw, ref, shallowRef, watch } from 'vue'
import type { ImportPlan, KeyExportFile, KeyName, SearchResult } from '@shared/api/keys'
import type { Target } from '@shared/dto'
import { ErrorCode } from '@shared/errors'
import type { ApiError, Result } from '@shared/result'
import { api, type CallOptions } from '../api'
import { errorText, t } from '../i18n'
import { useTargetsStore } from './targets'
import { KeyTreeIndex, type TreeRow } from './keyTree.shared'
import { encodeB64, keyNameOf, parentFolders, typedToBytes } from './keys.shared'

const PAGE_SIZE = 500

/** Built when used, so it is in the UI's language of the moment. */
export const noTarget = (): ApiError => ({ code: ErrorCode.FailedPrecondition, message: t('keys.tree.noTarget') })
const liveEnded = () => t('keys.tree.liveEnded')
const refused = <T>(error: ApiError): Result<T> => ({ ok: false, error })

export const useKeyTreeStore = defineStore('keyTree', () => {
  const targets = useTargetsStore()
  const target = computed<Target | null>(() => targets.selected)
  const separator = ref('/')

  const index = shallowRef<KeyTreeIndex | null>(null)
  /** Bumped whenever the index changes; the index itself is not reactive. */
  const treeVersion = ref(0)
  const rows = computed<TreeRow[]>(() => {
    void treeVersion.value
    return index.value ? markRaw(index.value.rows()) : []
  })
  const rootError = ref<ApiError | null>(null)
  /** The folder whose changes are watched (the last one opened). */
  const watchedFolder = ref<string | null>(null)
  /** Why live updates stopped, when they did. */
  const liveError = ref<string | null>(null)
  const searchResult = shallowRef<SearchResult | null>(null)

  const touch = () => treeVersion.value++
  const call = api().call.bind(api())

  // ---- browsing ---------------------------------------------------------------------------------

  async function loadRoot(): Promise<void> {
    stopWatches()
    searchResult.value = null
    rootError.value = null
    const t = target.value
    if (!t) {
      index.value = null
      return
    }
    const idx = markRaw(new KeyTreeIndex(keyNameOf(new Uint8Array())))
    const r = await call('keys/browse', { target: t, prefix: '', separator: separator.value, pageSize: PAGE_SIZE })
    if (target.value !== t) return
    if (!r.ok) {
      rootError.value = r.error
      index.value = null
      return
    }
    idx.setPage(r.value, false)
    index.value = idx
    // Kubernetes-style key spaces start with one "/" folder: open it right away.
    const only = r.value.entries.length === 1 ? r.value.entries[0] : undefined
    if (only?.folder) await expand(only.key.b64)
    else watchFolder('')
    touch()
  }

  async function loadFolder(prefixB64: string, append: boolean): Promise<void> {
    const idx = index.value
    const t = target.value
    if (!idx || !t) return
    const cur = idx.folders.get(prefixB64)
    idx.startLoading(prefixB64)
    touch()
    const r = await call('keys/browse', {
      target: t,
      prefix: prefixB64,
      separator: separator.value,
      pageSize: PAGE_SIZE,
      ...(append && cur?.cursor ? { cursor: cur.cursor, revision: cur.revision } : {}),
    })
    if (index.value !== idx) return
    if (!r.ok) {
      idx.failLoading(prefixB64, null)
      // A pinned revision that got compacted: start the folder again at the current revision.
      if (append && r.error.details?.etcd === 'compacted') {
        await loadFolder(prefixB64, false)
        return
      }
      idx.failLoading(prefixB64, errorText(r.error))
    } else idx.setPage(r.value, append)
    touch()
  }

  async function expand(prefixB64: string): Promise<void> {
    const idx = index.value
    if (!idx) return
    idx.expanded.add(prefixB64)
    touch()
    if (!idx.folders.has(prefixB64) || idx.folders.get(prefixB64)!.error) await loadFolder(prefixB64, false)
    // After the load: the watch starts right after the revision the folder was read at, so nothing is missed.
    watchFolder(prefixB64)
  }

  function collapse(prefixB64: string): void {
    index.value?.expanded.delete(prefixB64)
    touch()
  }

  function toggle(prefixB64: string): Promise<void> | void {
    return index.value?.expanded.has(prefixB64) ? collapse(prefixB64) : expand(prefixB64)
  }

  const loadMore = (prefixB64: string) => loadFolder(prefixB64, true)

  /** Opens the folders down to a key, loading pages of its folder until the key shows up. */
  async function reveal(key: KeyName): Promise<void> {
    const idx = index.value
    if (!idx) return
    const folders = parentFolders(key.display, separator.value).map((f) => encodeB64(typedToBytes(f)))
    for (const id of folders) {
      if (!idx.isListed(id)) break
      await expand(id)
    }
    // The key may sit beyond the first page of its folder.
    const folderId = folders[folders.length - 1] ?? idx.root.b64
    for (let i = 0; i < 50; i++) {
      const f = idx.folders.get(folderId)
      if (!f || f.byKey.has(key.b64) || !f.cursor) break
      await loadMore(folderId)
    }
  }

  async function search(query: string): Promise<Result<SearchResult> | null> {
    const t = target.value
    if (!t || !query) {
      searchResult.value = null
      return null
    }
    const r = await call('keys/search', { target: t, query, limit: 200 })
    if (r.ok) searchResult.value = markRaw(r.value)
    return r
  }

  // ---- live updates -----------------------------------------------------------------------------

  let stopFolderWatch: (() => void) | null = null

  function watchFolder(prefixB64: string) {
    const t = target.value
    if (!t || watchedFolder.value === prefixB64) return
    stopFolderWatch?.()
    watchedFolder.value = prefixB64
    const folder = index.value?.folders.get(prefixB64)
    liveError.value = null
    stopFolderWatch = api().subscribe(
      'keys/onWatch',
      { target: t, key: prefixB64, prefix: true, ...(folder?.revision ? { fromRevision: String(BigInt(folder.revision) + 1n) } : {}) },
      (batch) => {
        if (index.value?.applyEvents(prefixB64, batch.events, separator.value)) touch()
      },
      (err) => {
        // The services ended the watch (compaction, lost connection): say so; Refresh starts a new one.
        if (watchedFolder.value !== prefixB64) return
        watchedFolder.value = null
        liveError.value = err ? errorText(err) : liveEnded()
      },
    )
  }

  function stopWatches() {
    stopFolderWatch?.()
    stopFolderWatch = null
    watchedFolder.value = null
  }

  // ---- whole folders ----------------------------------------------------------------------------

  function countPrefix(prefixB64: string): Promise<Result<{ count: number; revision: string }>> {
    const t = target.value
    return t ? call('keys/count', { target: t, prefix: prefixB64 }) : Promise.resolve(refused(noTarget()))
  }

  async function deletePrefix(prefixB64: string, typed: string, expectCount: number, revision: string, confirm: boolean): Promise<Result<{ deleted: number; revision: string }>> {
    const t = target.value
    if (!t) return refused(noTarget())
    const r = await call('keys/deletePrefix', { target: t, prefix: prefixB64, typedPrefix: typed, expectCount, revision, confirm })
    if (r.ok) await loadRoot()
    return r
  }

  function exportPrefix(prefixB64: string, opts?: CallOptions): Promise<Result<KeyExportFile>> {
    const t = target.value
    return t ? call('keys/export', { target: t, prefix: prefixB64 }, opts) : Promise.resolve(refused(noTarget()))
  }

  function planImport(file: string, opts?: CallOptions): Promise<Result<ImportPlan>> {
    const t = target.value
    return t ? call('keys/importPlan', { target: t, file }, opts) : Promise.resolve(refused(noTarget()))
  }

  /**
   * Reloads the tree afterwards, also when the import stopped part-way (what it wrote is there). The
   * reload is not waited for: the result must not wait on a cluster that may be slow to answer.
   */
  async function applyImport(file: string, planRevision: string, confirm: boolean, opts?: CallOptions): Promise<Result<{ written: number; skipped: number; conflicts: KeyName[] }>> {
    const t = target.value
    if (!t) return refused(noTarget())
    const r = await call('keys/import', { target: t, file, planRevision, confirm }, opts)
    if (r.ok || r.error.code === ErrorCode.Cancelled || r.error.code === ErrorCode.Timeout) void loadRoot()
    return r
  }

  watch(target, () => void loadRoot())

  return {
    target,
    separator,
    index,
    rows,
    treeVersion,
    rootError,
    watchedFolder,
    liveError,
    searchResult,
    loadRoot,
    expand,
    collapse,
    toggle,
    loadMore,
    reveal,
    search,
    stopWatches,
    countPrefix,
    deletePrefix,
    exportPrefix,
    planImport,
    applyImport,
  }
})
